"""Server time per console page on a bucket of 10,000 objects and a state with 200 versions.

    python3 Tests/bench/console_pages.py [BINARY]      (default .build/release/lockstep)

Starts an ephemeral server, fills it with boto3 (10,000 1 KiB objects under a 30-day lifecycle rule, 200 versions of a
20 KiB state, a held lock), signs in to the console, then loads each page ROUNDS times (env, default 20) and prints
the median and p90 wall time per load over loopback and the server CPU per load (from /proc/PID/stat)."""

import concurrent.futures
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

import boto3
import requests
from botocore.config import Config

BINARY = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lockstep"
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    port = free_port()
    server = subprocess.Popen([BINARY, "serve", "--port", str(port), "--ephemeral", "--access-key", "bench", "--secret-key", "bench-secret"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    endpoint = json.loads(server.stdout.readline())["endpoint"]
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench-secret",
                          region_name="us-east-1", config=Config(max_pool_connections=16, retries={"max_attempts": 0}))
        s3.create_bucket(Bucket="many")
        s3.put_bucket_lifecycle_configuration(Bucket="many", LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
        body = b"x" * 1024
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket="many", Key=f"objects/{i:05d}", Body=body), range(10_000)))
        s3.create_bucket(Bucket="tfstate")
        s3.put_bucket_versioning(Bucket="tfstate", VersioningConfiguration={"Status": "Enabled"})
        for serial in range(1, 201):
            state = {"version": 4, "terraform_version": "1.11.0", "serial": serial, "lineage": "bench", "outputs": {},
                     "resources": [{"mode": "managed", "type": "null_resource", "name": f"r{i}",
                                    "instances": [{"attributes": {"id": f"{i}-{serial if i % 10 == 0 else 0}", "pad": "p" * 60}}]}
                                   for i in range(200)]}
            s3.put_object(Bucket="tfstate", Key="app/terraform.tfstate", Body=json.dumps(state).encode())
        s3.put_object(Bucket="tfstate", Key="app/terraform.tfstate.tflock", Body=b'{"ID":"x","Who":"bench"}')

        session = requests.Session()
        session.post(endpoint + "/_lockstep/console/signin", data={"accessKey": "bench", "secretKey": "bench-secret"})
        pages = [("buckets (2 buckets, 10,000 objects)", "/_lockstep/console/"),
                 ("bucket page (first 100 of 10,000 versions)", "/_lockstep/console/b/many"),
                 ("state page (200 versions, first load)", "/_lockstep/console/b/tfstate/state/app/terraform.tfstate"),
                 ("state page (200 versions, parsed states cached)", "/_lockstep/console/b/tfstate/state/app/terraform.tfstate"),
                 ("keys (scans 10,201 versions' metadata)", "/_lockstep/console/keys"),
                 ("clock and lifecycle timeline (10,000 objects)", "/_lockstep/console/clock"),
                 ("requests (last 200 of 1,000)", "/_lockstep/console/requests")]
        print("| page | median (ms) | p90 (ms) | server CPU per load (ms) | page size |")
        print("|---|---|---|---|---|")
        for label, path in pages:
            rounds = 1 if "first load" in label else ROUNDS
            times = []
            before = cpu_seconds(server.pid)
            for _ in range(rounds):
                start = time.perf_counter()
                answer = session.get(endpoint + path)
                times.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            cpu = (cpu_seconds(server.pid) - before) / rounds * 1000
            times.sort()
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            print(f"| {label} | {statistics.median(times):.1f} | {p90:.1f} | {cpu:.1f} | {len(answer.content) // 1024} KiB |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
