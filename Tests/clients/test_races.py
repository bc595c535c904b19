"""Races and crashes a shared test fixture meets: readers racing overwrites and deletes get whole versions, 64-way
conditional writes have exactly one winner, and `kill -9` during DeleteObjects leaves a store whose listing and GETs
agree, with no orphaned blob files. Each test is bounded to a few seconds of racing."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3helpers import MiB, make_client

pytestmark = pytest.mark.slow

RACE_SECONDS = 6


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_multipart(s3, bucket: str, key: str, data: bytes, part_size: int = 5 * MiB) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), part_size), start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number,
                              Body=data[start:start + part_size])["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})


def race(readers, writer, seconds: float = RACE_SECONDS) -> list[str]:
    """Runs `writer` in a loop and `readers` (each returns a problem or None) in loops until time is up."""
    stop = threading.Event()
    problems: list[str] = []
    counts = {"reads": 0, "writes": 0}
    lock = threading.Lock()

    def loop_reader(read):
        while not stop.is_set():
            problem = read()
            with lock:
                counts["reads"] += 1
                if problem:
                    problems.append(problem)

    def loop_writer():
        while not stop.is_set():
            writer()
            with lock:
                counts["writes"] += 1

    threads = [threading.Thread(target=loop_reader, args=(r,), daemon=True) for r in readers]
    threads.append(threading.Thread(target=loop_writer, daemon=True))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert counts["reads"] > 20 and counts["writes"] > 2, counts
    return problems


def test_readers_racing_overwrites_get_whole_versions(lockstep, bucket):
    """A 6 MiB multipart object and a 2 MiB object overwritten over and over while GETs stream them: every GET is
    200 with one complete version (it used to end short, or fail with a missing blob, when the overwrite freed the
    old version's files mid-read)."""
    setup = make_client(lockstep)
    bodies = {
        "mp": [bytes([n]) * (6 * MiB) for n in (1, 2)],
        "simple": [bytes([n]) * (2 * MiB) for n in (3, 4)],
    }
    known = {key: {sha(b) for b in versions} for key, versions in bodies.items()}
    put_multipart(setup, bucket, "mp", bodies["mp"][0])
    setup.put_object(Bucket=bucket, Key="simple", Body=bodies["simple"][0])
    turn = [0]

    def writer():
        s3 = writer.client
        turn[0] += 1
        put_multipart(s3, bucket, "mp", bodies["mp"][turn[0] % 2])
        s3.put_object(Bucket=bucket, Key="simple", Body=bodies["simple"][turn[0] % 2])
    writer.client = make_client(lockstep)

    def reader(key):
        client = make_client(lockstep)

        def read():
            try:
                got = client.get_object(Bucket=bucket, Key=key)
                body = got["Body"].read()
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                return f"{key}: {e!r}"
            if len(body) != got["ContentLength"] or sha(body) not in known[key]:
                return f"{key}: {len(body)} bytes of {got['ContentLength']}, not a whole version"
            return None
        return read

    problems = race([reader("mp"), reader("mp"), reader("simple"), reader("simple")], writer)
    assert not problems, problems[:5]


def test_readers_racing_version_deletes_get_whole_versions_or_404(lockstep, bucket_factory):
    """In a versioned bucket, old versions are deleted by id while readers fetch them by id: each GET is the whole
    version, or 404 NoSuchVersion once it is gone — never a torn body or a 500."""
    bucket = bucket_factory("race")
    setup = make_client(lockstep)
    setup.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    body = bytes(range(256)) * (4 * 1024)  # 1 MiB: a blob file
    live: list[str] = []
    lock = threading.Lock()
    for _ in range(4):
        live.append(setup.put_object(Bucket=bucket, Key="k", Body=body)["VersionId"])

    def writer():
        s3 = writer.client
        new = s3.put_object(Bucket=bucket, Key="k", Body=body)["VersionId"]
        with lock:
            live.append(new)
            old = live.pop(0)
        s3.delete_object(Bucket=bucket, Key="k", VersionId=old)
    writer.client = make_client(lockstep)

    def reader():
        client = make_client(lockstep)

        def read():
            with lock:
                version = live[0]
            try:
                got = client.get_object(Bucket=bucket, Key="k", VersionId=version)
                data = got["Body"].read()
            except ClientError as e:
                if e.response["Error"]["Code"] == "NoSuchVersion":
                    return None
                return f"{version}: {e.response['Error']['Code']}"
            except Exception as e:  # noqa: BLE001
                return f"{version}: {e!r}"
            return None if data == body else f"{version}: {len(data)} bytes, not the version"
        return read

    problems = race([reader(), reader(), reader()], writer)
    assert not problems, problems[:5]


def test_64_way_conditional_write_has_one_winner(lockstep, bucket):
    """64 clients race `If-None-Match: *` on one key: exactly one 200, every other one 412."""
    client = make_client(lockstep, max_pool_connections=64)  # boto3 clients are thread-safe; 64 connections
    barrier = threading.Barrier(64)

    def attempt(n: int) -> int:
        barrier.wait()
        try:
            client.put_object(Bucket=bucket, Key="terraform.tfstate.tflock", Body=f"holder {n}".encode(), IfNoneMatch="*")
            return 200
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"]

    with ThreadPoolExecutor(64) as pool:
        outcomes = list(pool.map(attempt, range(64)))
    assert outcomes.count(200) == 1, outcomes
    assert outcomes.count(412) == 63, outcomes
    holder = make_client(lockstep).get_object(Bucket=bucket, Key="terraform.tfstate.tflock")["Body"].read()
    assert holder == f"holder {outcomes.index(200)}".encode()


def blob_files(data_dir: Path) -> int:
    return sum(1 for d in (data_dir / "blobs").iterdir() for _ in d.iterdir()) if (data_dir / "blobs").exists() else 0


def test_kill9_during_delete_objects_keeps_listing_and_gets_in_agreement(spawn_lockstep, tmp_path):
    """kill -9 while DeleteObjects batches run: after restart every listed key GETs whole, every key that GETs is
    listed, and once the start-up sweep has run there is one blob file per remaining object — none orphaned."""
    data_dir = tmp_path / "delete-data"
    server = spawn_lockstep(data_dir)
    s3 = make_client(server)
    s3.create_bucket(Bucket="del")
    bodies = {f"obj-{i:04d}": bytes([i % 251]) * 100_000 for i in range(400)}  # 100 kB each: one blob file apiece
    writer = make_client(server, max_pool_connections=8)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda kv: writer.put_object(Bucket="del", Key=kv[0], Body=kv[1]), bodies.items()))

    first_batch_done = threading.Event()

    def deleter():
        client = make_client(server)
        keys = sorted(bodies)
        for start in range(0, len(keys), 10):
            try:
                client.delete_objects(Bucket="del", Delete={"Objects": [{"Key": k} for k in keys[start:start + 10]], "Quiet": True})
            except Exception:  # noqa: BLE001 - the server went away
                return
            first_batch_done.set()

    thread = threading.Thread(target=deleter, daemon=True)
    thread.start()
    assert first_batch_done.wait(timeout=30)
    time.sleep(0.05)
    server.kill9()
    thread.join(timeout=30)

    server.start()
    s3 = make_client(server)
    listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="del") for o in p.get("Contents", [])]
    assert 0 < len(listed) < len(bodies), f"{len(listed)} left: the kill should land mid-way"
    for key in bodies:
        try:
            data = s3.get_object(Bucket="del", Key=key)["Body"].read()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "NoSuchKey"
            assert key not in listed, f"{key} is listed but does not GET"
            continue
        assert key in listed, f"{key} GETs but is not listed"
        assert data == bodies[key], f"{key}: body differs"
    deadline = time.monotonic() + 20
    while blob_files(data_dir) != len(listed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert blob_files(data_dir) == len(listed), "orphaned blob files remain after the start-up sweep"
