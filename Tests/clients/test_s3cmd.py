"""Lockstep through Debian's s3cmd: mb/put/get/ls/sync/del/rb, awkward names, multipart."""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from s3helpers import write_tree, MiB, unique_bucket_name

AWKWARD_NAMES = [
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "unicodé 日本.txt",
    "per%cent.txt",
    "amp&and=eq.txt",
    "paren(1).txt",
    "semi;colon.txt",
    "hash#tag.txt",
    "question?mark.txt",
]


def ls_keys(s3cmd, url: str) -> dict:
    """{key: size} from `s3cmd ls --recursive URL`."""
    out = s3cmd("ls", "--recursive", url).stdout
    entries = {}
    for line in out.splitlines():
        m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d\s+(\d+)\s+s3://[^/]+/(.*)$", line)
        assert m, f"unexpected s3cmd ls line: {line!r}"
        entries[m.group(2)] = int(m.group(1))
    return entries


def test_mb_ls_rb(s3cmd, s3):
    name = unique_bucket_name("s3cmd")
    s3cmd("mb", f"s3://{name}")
    try:
        s3.head_bucket(Bucket=name)
        assert re.search(rf"s3://{re.escape(name)}$", s3cmd("ls").stdout, re.M)
    finally:
        s3cmd("rb", f"s3://{name}")
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_put_get_info_del(s3cmd, s3, bucket, tmp_path, name):
    src = tmp_path / "src" / name
    src.parent.mkdir()
    data = f"s3cmd payload for {name}\n".encode() * 20
    src.write_bytes(data)
    key = f"dir/{name}"
    s3cmd("put", src, f"s3://{bucket}/{key}")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert ls_keys(s3cmd, f"s3://{bucket}/") == {key: len(data)}
    info = s3cmd("info", f"s3://{bucket}/{key}").stdout
    assert re.search(rf"File size:\s+{len(data)}", info), info
    dst = tmp_path / "dst"
    dst.mkdir()
    s3cmd("get", f"s3://{bucket}/{key}", dst / "out")
    assert (dst / "out").read_bytes() == data
    s3cmd("del", f"s3://{bucket}/{key}")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_sync_up_and_down(s3cmd, s3, bucket, tmp_path):
    up = tmp_path / "up"
    tree = {f"sub dir/{n}": f"content of {n}".encode() for n in AWKWARD_NAMES}
    tree["top.bin"] = os.urandom(100_000)
    tree["a/b/c/deep.txt"] = b"deep"
    write_tree(up, tree)
    s3cmd("sync", f"{up}/", f"s3://{bucket}/mirror/")
    assert ls_keys(s3cmd, f"s3://{bucket}/mirror/") == {f"mirror/{k}": len(v) for k, v in tree.items()}
    down = tmp_path / "down"
    down.mkdir()
    s3cmd("sync", f"s3://{bucket}/mirror/", f"{down}/")
    got = {str(p.relative_to(down)): p.read_bytes() for p in down.rglob("*") if p.is_file()}
    assert got == tree
    # Re-sync after deleting one local file, with --delete-removed.
    (up / "top.bin").unlink()
    s3cmd("sync", "--delete-removed", f"{up}/", f"s3://{bucket}/mirror/")
    assert "mirror/top.bin" not in ls_keys(s3cmd, f"s3://{bucket}/mirror/")


def test_multipart_put_and_get(s3cmd, s3, bucket, tmp_path):
    data = os.urandom(12 * MiB + 333)
    src = tmp_path / "big file.bin"
    src.write_bytes(data)
    s3cmd("put", "--multipart-chunk-size-mb=5", src, f"s3://{bucket}/big file.bin")
    head = s3.head_object(Bucket=bucket, Key="big file.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"'), head["ETag"]
    out = tmp_path / "back.bin"
    s3cmd("get", f"s3://{bucket}/big file.bin", out)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cp_mv_and_recursive_del(s3cmd, s3, bucket, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"copy me")
    s3cmd("put", f, f"s3://{bucket}/orig.txt")
    s3cmd("cp", f"s3://{bucket}/orig.txt", f"s3://{bucket}/copy dir/copy+1.txt")
    s3cmd("mv", f"s3://{bucket}/orig.txt", f"s3://{bucket}/moved é.txt")
    assert ls_keys(s3cmd, f"s3://{bucket}/") == {"copy dir/copy+1.txt": 7, "moved é.txt": 7}
    s3cmd("del", "--recursive", "--force", f"s3://{bucket}/")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_get_missing_object_fails(s3cmd, bucket, tmp_path):
    proc = s3cmd("get", f"s3://{bucket}/not-there", tmp_path / "x", check=False)
    assert proc.returncode != 0
    assert re.search(r"404|NoSuchKey|not found|does not exist", proc.stderr, re.I), proc.stderr
