#!/usr/bin/env bash
# Runs every lockstep-bench scenario against one S3 server, starting a fresh server process for each scenario (so RSS
# and state do not carry over) and stopping it by PID afterwards: the repository's own counterpart of the external
# s3bench run-suite.sh. JSON lines go to stdout, the commands to stderr.
#
#   SERVER_CMD='.build/release/lockstep serve --port {port} --ephemeral --access-key test --secret-key test' \
#       bash Tests/bench/lockstep-bench.sh > lockstep.jsonl
#   SERVER_CMD='moto_server -H 127.0.0.1 -p {port}' PORT=19312 bash Tests/bench/lockstep-bench.sh > moto.jsonl
#   python3 Tests/bench/summarize.py lockstep.jsonl moto.jsonl
#
# SERVER_CMD is run as `bash -c "exec $SERVER_CMD"` so that the PID we get is the server's own (use the real binary,
# not `swift run` or a wrapper that forks). Knobs (environment): PORT (below the ephemeral range), DUR, C, LARGE,
# STREAMS, LIST_OBJECTS, VERSIONS, STARTUP_N, PAYLOAD, SCENARIOS, SERVER_LOG, QUIET_WAIT (before each scenario, wait up
# to this long for the CPUs to be <15% busy; 0 disables), BENCH (the lockstep-bench binary; default the release build,
# built when missing). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else test/test.
set -euo pipefail

: "${SERVER_CMD:?set SERVER_CMD, e.g. SERVER_CMD='moto_server -H 127.0.0.1 -p {port}'}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-19311}
BENCH=${BENCH:-$ROOT/.build/release/lockstep-bench}
DUR=${DUR:-15s}
C=${C:-8}
LARGE=${LARGE:-1GiB}
STREAMS=${STREAMS:-1}
LIST_OBJECTS=${LIST_OBJECTS:-10000}
VERSIONS=${VERSIONS:-1000}
STARTUP_N=${STARTUP_N:-10}
PAYLOAD=${PAYLOAD:-sha256}
SERVER_LOG=${SERVER_LOG:-/dev/null}
QUIET_WAIT=${QUIET_WAIT:-5m}
SCENARIOS=${SCENARIOS:-"startup put-small get-small lock-cycle lock-contention put-large get-large list versions"}

if [ ! -x "$BENCH" ]; then
  echo "+ swift build -c release --product lockstep-bench" >&2
  (cd "$ROOT" && swift build -c release --product lockstep-bench >&2)
fi

E=http://127.0.0.1:$PORT
CMD=${SERVER_CMD//\{port\}/$PORT}
SERVER_PID=

run() {
  { printf "+"; printf " %q" "$@"; echo; } >&2
  "$@"
}

start_server() {
  bash -c "exec $CMD" >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  "$BENCH" wait-ready -endpoint "$E" -max-wait 120s
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap stop_server EXIT

common=(-endpoint "$E" -payload "$PAYLOAD")

for sc in $SCENARIOS; do
  if [ "$QUIET_WAIT" != 0 ]; then
    "$BENCH" wait-quiet -max-wait "$QUIET_WAIT" || true
  fi
  if [ "$sc" = startup ]; then
    run "$BENCH" startup -cmd "$SERVER_CMD" -port "$PORT" -n "$STARTUP_N"
    continue
  fi
  start_server
  pid=(-server-pid "$SERVER_PID")
  case $sc in
    put-small|get-small) run "$BENCH" "$sc" "${common[@]}" "${pid[@]}" -c "$C" -size 1KiB -duration "$DUR" ;;
    lock-cycle)          run "$BENCH" lock-cycle "${common[@]}" "${pid[@]}" -duration "$DUR" ;;
    lock-contention)     run "$BENCH" lock-contention "${common[@]}" "${pid[@]}" -c "$C" -hold 5ms -duration "$DUR" ;;
    put-large|get-large) run "$BENCH" "$sc" "${common[@]}" "${pid[@]}" -size "$LARGE" -streams "$STREAMS" ;;
    list)                run "$BENCH" list "${common[@]}" "${pid[@]}" -objects "$LIST_OBJECTS" -prefixes 10 -page 1000 ;;
    versions)            run "$BENCH" versions "${common[@]}" "${pid[@]}" -versions "$VERSIONS" -page 100 ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
  stop_server
done
