"""Lockstep through Debian's rclone (S3 backend, provider Other, path style)."""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from s3helpers import write_tree, MiB, md5_hex, unique_bucket_name

AWKWARD_NAMES = [
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "unicodé 日本.txt",
    "per%cent.txt",
    "hash#tag.txt",
    "question?mark.txt",
    "amp&and=eq.txt",
    "quote'single.txt",
]


def lsl(rclone, remote: str) -> dict:
    """{path: size} from `rclone lsl`."""
    out = rclone("lsl", remote).stdout
    entries = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (.*)$", line)
        assert m, f"unexpected rclone lsl line: {line!r}"
        entries[m.group(2)] = int(m.group(1))
    return entries


def test_mkdir_lsd_rmdir(rclone, s3):
    name = unique_bucket_name("rclone")
    rclone("mkdir", f"lockstep:{name}")
    try:
        s3.head_bucket(Bucket=name)
        assert re.search(rf" {re.escape(name)}$", rclone("lsd", "lockstep:").stdout, re.M)
    finally:
        rclone("rmdir", f"lockstep:{name}")
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_copyto_cat_delete(rclone, s3, bucket, tmp_path, name):
    data = f"rclone payload for {name}\n".encode() * 10
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    key = f"dir/{name}"
    rclone("copyto", src, f"lockstep:{bucket}/{key}")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert lsl(rclone, f"lockstep:{bucket}") == {key: len(data)}
    assert rclone("cat", f"lockstep:{bucket}/{key}").stdout.encode() == data
    assert rclone("md5sum", f"lockstep:{bucket}/{key}").stdout.split()[0] == md5_hex(data)
    rclone("copyto", f"lockstep:{bucket}/{key}", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == data
    rclone("deletefile", f"lockstep:{bucket}/{key}")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_sync_check_and_delete(rclone, s3, bucket, tmp_path):
    up = tmp_path / "up"
    tree = {f"names/{n}": f"content of {n}".encode() for n in AWKWARD_NAMES}
    tree["deep/a/b/c.bin"] = os.urandom(200_000)
    tree["empty.txt"] = b""
    write_tree(up, tree)
    rclone("sync", up, f"lockstep:{bucket}/mirror")
    assert lsl(rclone, f"lockstep:{bucket}/mirror") == {k: len(v) for k, v in tree.items()}
    # rclone check compares sizes and MD5 hashes (from the ETags) in both directions.
    rclone("check", up, f"lockstep:{bucket}/mirror")
    down = tmp_path / "down"
    rclone("sync", f"lockstep:{bucket}/mirror", down)
    got = {str(p.relative_to(down)): p.read_bytes() for p in down.rglob("*") if p.is_file()}
    assert got == tree
    # Deleting locally and syncing removes the remote copy.
    (up / "names" / "plain.txt").unlink()
    rclone("sync", up, f"lockstep:{bucket}/mirror")
    assert "names/plain.txt" not in lsl(rclone, f"lockstep:{bucket}/mirror")
    rclone("delete", f"lockstep:{bucket}/mirror")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_multipart_upload(rclone, s3, bucket, tmp_path):
    data = os.urandom(12 * MiB + 777)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    rclone("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, f"lockstep:{bucket}/big file.bin")
    head = s3.head_object(Bucket=bucket, Key="big file.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]
    rclone("copyto", f"lockstep:{bucket}/big file.bin", tmp_path / "back.bin")
    assert hashlib.sha256((tmp_path / "back.bin").read_bytes()).digest() == hashlib.sha256(data).digest()
    # rclone's own byte-for-byte comparison of the local copy with the remote object.
    (tmp_path / "cmp").mkdir()
    (tmp_path / "back.bin").rename(tmp_path / "cmp" / "big file.bin")
    rclone("check", "--download", tmp_path / "cmp", f"lockstep:{bucket}")


def test_server_side_copy_and_move(rclone, s3, bucket, tmp_path):
    src = tmp_path / "f.txt"
    src.write_bytes(b"server side copy")
    rclone("copyto", src, f"lockstep:{bucket}/a/orig.txt")
    rclone("copyto", f"lockstep:{bucket}/a/orig.txt", f"lockstep:{bucket}/b/copy é.txt")
    rclone("moveto", f"lockstep:{bucket}/a/orig.txt", f"lockstep:{bucket}/c/moved+.txt")
    assert lsl(rclone, f"lockstep:{bucket}") == {"b/copy é.txt": 16, "c/moved+.txt": 16}
    assert s3.get_object(Bucket=bucket, Key="c/moved+.txt")["Body"].read() == b"server side copy"


def test_purge(rclone, s3):
    name = unique_bucket_name("rclone")
    rclone("mkdir", f"lockstep:{name}")
    for i in range(5):
        s3.put_object(Bucket=name, Key=f"p/{i}", Body=b"x")
    rclone("purge", f"lockstep:{name}")
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
