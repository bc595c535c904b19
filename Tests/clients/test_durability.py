"""Crash safety: what Lockstep acknowledged survives `kill -9`; what it did not acknowledge leaves no trace.

Each test runs its own server on its own data dir (the session server is not touched).
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import time

import pytest
from botocore.exceptions import ClientError

from s3helpers import MiB, RawS3, make_client, md5_hex, multipart_etag, start_partial_put

pytestmark = pytest.mark.slow


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing(s3, bucket, key) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return True
        raise


def all_keys(s3, bucket) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def verify(s3, bucket, expected: dict) -> None:
    assert sorted(all_keys(s3, bucket)) == sorted(expected)
    for key, want in expected.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
        assert sha(body) == sha(want["data"]), f"{key}: content differs after restart"
        assert got["ETag"] == want["etag"], key
        assert got["Metadata"] == want.get("metadata", {}), key
        if "content_type" in want:
            assert got["ContentType"] == want["content_type"], key


def test_kill9_keeps_acknowledged_writes(spawn_lockstep, tmp_path):
    data_dir = tmp_path / "durable-data"
    server = spawn_lockstep(data_dir)
    s3 = make_client(server)
    rnd = random.Random(20240601)
    s3.create_bucket(Bucket="durable")
    s3.create_bucket(Bucket="durable-empty")
    s3.put_bucket_tagging(Bucket="durable", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    expected: dict[str, dict] = {}

    names = ["plain", "with space", "ünïcödé/日本", "plus+sign", "pct%20", "deep/a/b/c"]
    for i in range(40):
        key = f"small/{names[i % len(names)]}-{i:02d}"
        data = rnd.randbytes(rnd.choice([0, 1, 100, 4096, 65536, rnd.randint(1, 70_000)]))
        meta = {"index": str(i)} if i % 3 == 0 else {}
        resp = s3.put_object(Bucket="durable", Key=key, Body=data, Metadata=meta, ContentType="application/x-test")
        expected[key] = {"data": data, "etag": resp["ETag"], "metadata": meta, "content_type": "application/x-test"}
    for i in range(6):
        key = f"medium/obj-{i}"
        data = rnd.randbytes(rnd.randint(1 * MiB, 3 * MiB))
        resp = s3.put_object(Bucket="durable", Key=key, Body=data)
        expected[key] = {"data": data, "etag": resp["ETag"]}
    for i in range(4):
        key = f"multipart/obj-{i}"
        parts = [rnd.randbytes(5 * MiB) for _ in range(1 + i % 2)] + [rnd.randbytes(rnd.randint(1, MiB))]
        up = s3.create_multipart_upload(Bucket="durable", Key=key, Metadata={"mp": str(i)})["UploadId"]
        etags = [s3.upload_part(Bucket="durable", Key=key, UploadId=up, PartNumber=n + 1, Body=p)["ETag"]
                 for n, p in enumerate(parts)]
        resp = s3.complete_multipart_upload(Bucket="durable", Key=key, UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
        assert resp["ETag"] == multipart_etag(parts)
        expected[key] = {"data": b"".join(parts), "etag": resp["ETag"], "metadata": {"mp": str(i)}}
    assert len(expected) == 50

    # Acknowledged overwrites, deletes, copies and tags must survive as well.
    for key in ["small/plain-00", "medium/obj-1"]:
        data = rnd.randbytes(1000)
        resp = s3.put_object(Bucket="durable", Key=key, Body=data)
        expected[key] = {"data": data, "etag": resp["ETag"]}
    for key in ["small/with space-01", "multipart/obj-3"]:
        s3.delete_object(Bucket="durable", Key=key)
        del expected[key]
    s3.copy_object(Bucket="durable", Key="copied/from-medium-0", CopySource={"Bucket": "durable", "Key": "medium/obj-0"})
    expected["copied/from-medium-0"] = dict(expected["medium/obj-0"])
    s3.put_object_tagging(Bucket="durable", Key="medium/obj-2", Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})

    server.kill9()
    server.start()
    s3 = make_client(server)

    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "durable" in names and "durable-empty" in names
    verify(s3, "durable", expected)
    assert s3.get_object_tagging(Bucket="durable", Key="medium/obj-2")["TagSet"] == [{"Key": "t", "Value": "1"}]
    assert s3.get_bucket_tagging(Bucket="durable")["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert s3.list_objects_v2(Bucket="durable-empty")["KeyCount"] == 0

    # Still fully writable, and a second crash right after restart loses nothing either.
    s3.put_object(Bucket="durable", Key="after-restart", Body=b"new")
    expected["after-restart"] = {"data": b"new", "etag": f'"{md5_hex(b"new")}"'}
    server.kill9()
    server.start()
    verify(make_client(server), "durable", expected)


def test_kill9_during_uploads(spawn_lockstep, tmp_path):
    server = spawn_lockstep(tmp_path / "crash-data")
    s3 = make_client(server)
    s3.create_bucket(Bucket="crash")
    rnd = random.Random(7)
    expected = {}
    for i in range(10):
        data = rnd.randbytes(rnd.randint(0, 300_000))
        resp = s3.put_object(Bucket="crash", Key=f"before/{i}", Body=data)
        expected[f"before/{i}"] = {"data": data, "etag": resp["ETag"]}
    victim_v1 = rnd.randbytes(2 * MiB)
    expected["victim"] = {"data": victim_v1, "etag": s3.put_object(Bucket="crash", Key="victim", Body=victim_v1)["ETag"]}

    # A multipart upload with one acknowledged part, never completed.
    up = s3.create_multipart_upload(Bucket="crash", Key="unfinished-mpu")["UploadId"]
    s3.upload_part(Bucket="crash", Key="unfinished-mpu", UploadId=up, PartNumber=1, Body=rnd.randbytes(5 * MiB))

    # Two single PUTs cut off mid-body: a new key, and an overwrite of an existing one.
    total = 48 * MiB
    partial = start_partial_put(server, "crash", "partial.bin", total, rnd.randbytes(16 * MiB))
    overwrite = start_partial_put(server, "crash", "victim", total, rnd.randbytes(12 * MiB))
    time.sleep(1.0)  # let the server take in what was sent
    server.kill9()
    partial.close()
    overwrite.close()

    server.start()
    s3 = make_client(server)
    verify(s3, "crash", expected)  # includes: "victim" still holds its first version
    assert missing(s3, "crash", "partial.bin")
    assert missing(s3, "crash", "unfinished-mpu")

    # The interrupted key can be written normally now.
    full = rnd.randbytes(6 * MiB)
    s3.put_object(Bucket="crash", Key="partial.bin", Body=full)
    assert sha(s3.get_object(Bucket="crash", Key="partial.bin")["Body"].read()) == sha(full)
    # A restart after a clean SIGTERM finds everything as well.
    assert server.stop() == 0
    server.start()
    expected["partial.bin"] = {"data": full, "etag": f'"{md5_hex(full)}"'}
    verify(make_client(server), "crash", expected)


def test_kill9_during_multipart_completion_is_all_or_nothing(spawn_lockstep, tmp_path):
    """Kill the server right after sending CompleteMultipartUpload: afterwards the object is either
    absent or complete and correct, never partial."""
    server = spawn_lockstep(tmp_path / "mpu-data")
    s3 = make_client(server)
    s3.create_bucket(Bucket="mpu")
    rnd = random.Random(99)
    parts = [rnd.randbytes(5 * MiB) for _ in range(4)] + [rnd.randbytes(123)]
    up = s3.create_multipart_upload(Bucket="mpu", Key="big")["UploadId"]
    etags = [s3.upload_part(Bucket="mpu", Key="big", UploadId=up, PartNumber=n + 1, Body=p)["ETag"]
             for n, p in enumerate(parts)]
    raw = RawS3(server.endpoint, server.access_key, server.secret_key)
    body = ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n + 1}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags))
        + "</CompleteMultipartUpload>").encode()
    req = raw.sign("POST", "/mpu/big", query={"uploadId": up}, headers={"content-length": str(len(body))},
                   payload_hash=hashlib.sha256(body).hexdigest())
    sock = socket.create_connection((raw.host, raw.port), timeout=30)
    head = f"POST {req.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
    sock.sendall(head.encode() + body)
    time.sleep(0.05)
    server.kill9()
    sock.close()
    server.start()
    s3 = make_client(server)
    try:
        got = s3.get_object(Bucket="mpu", Key="big")
    except ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        # Not completed: the upload must still be completable.
        s3.complete_multipart_upload(Bucket="mpu", Key="big", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
        got = s3.get_object(Bucket="mpu", Key="big")
    assert sha(got["Body"].read()) == sha(b"".join(parts))
    assert got["ETag"] == multipart_etag(parts)


def test_restart_after_sigterm_keeps_everything(spawn_lockstep, tmp_path):
    server = spawn_lockstep(tmp_path / "term-data")
    s3 = make_client(server)
    s3.create_bucket(Bucket="term")
    objs = {f"k{i}": os.urandom(i * 1000) for i in range(20)}
    for k, v in objs.items():
        s3.put_object(Bucket="term", Key=k, Body=v, Metadata={"n": k})
    assert server.stop() == 0
    server.start()
    s3 = make_client(server)
    for k, v in objs.items():
        got = s3.get_object(Bucket="term", Key=k)
        assert got["Body"].read() == v and got["Metadata"] == {"n": k}


def test_session_server_restart(lockstep, bucket):
    """restart() of the shared server (SIGTERM, then start on the same data dir) keeps its data."""
    s3 = make_client(lockstep)
    s3.put_object(Bucket=bucket, Key="survives-restart", Body=b"still here", Metadata={"a": "b"})
    lockstep.restart()
    s3 = make_client(lockstep)
    got = s3.get_object(Bucket=bucket, Key="survives-restart")
    assert got["Body"].read() == b"still here" and got["Metadata"] == {"a": "b"}


def test_kill9_during_concurrent_writes(spawn_lockstep, tmp_path):
    """Writers in parallel (the store commits them in groups); kill -9 mid-stream. Every write that
    was acknowledged is there after restart; a write in flight is either absent or complete."""
    import threading

    server = spawn_lockstep(tmp_path / "concurrent-data")
    make_client(server).create_bucket(Bucket="conc")
    acked: dict[str, str] = {}
    attempted: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        s3 = make_client(server)
        rnd = random.Random(n)
        i = 0
        while not stop.is_set():
            key = f"w{n}/obj-{i:05d}"
            data = rnd.randbytes(rnd.choice([10, 1000, 50_000, 200_000]))
            with lock:
                attempted[key] = sha(data)
            try:
                s3.put_object(Bucket="conc", Key=key, Body=data)
            except Exception:
                return  # the server went away mid-request
            with lock:
                acked[key] = sha(data)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acked) >= 50, f"only {len(acked)} writes were acknowledged in 20 s"

    server.start()
    s3 = make_client(server)
    present = set(all_keys(s3, "conc"))
    lost = sorted(set(acked) - present)
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}"
    assert present <= set(attempted), "keys that were never written appeared"
    for key in present:
        body = s3.get_object(Bucket="conc", Key=key)["Body"].read()
        assert sha(body) == attempted[key], f"{key}: stored body is not what was sent"
