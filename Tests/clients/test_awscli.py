"""Lockstep through the aws CLI (v1, from pip): s3 cp/sync/ls/rm/mb/rb/presign and some s3api calls."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import time
import urllib.request
from pathlib import Path


import s3helpers
from s3helpers import MiB, md5_hex, unique_bucket_name

# Local file names (relative paths) that exercise escaping in URLs, XML and the CLI's own parsing.
TREE = {
    "plain.txt": b"plain\n",
    "with space.txt": b"spaces in the name\n",
    "sub dir/nested+plus.txt": b"plus and a directory with a space\n",
    "unicodé/日本語.txt": "unicode name ✓\n".encode(),
    "per%cent.txt": b"percent\n",
    "hash#tag.txt": b"hash\n",
    "amp&and=eq.txt": b"ampersand\n",
    "quote'single.txt": b"quote\n",
    "deep/a/b/c/d.bin": os.urandom(70_000),
    "empty.txt": b"",
}


def write_tree(root: Path, tree: dict, age_seconds: int = 3600) -> None:
    """Write files, dated an hour back so that sync's size-and-time comparison is deterministic."""
    past = time.time() - age_seconds
    s3helpers.write_tree(root, tree)
    for rel in tree:
        os.utime(root / rel, (past, past))


def read_tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def s3_ls_recursive(aws, url: str) -> dict:
    """{key: size} from `aws s3 ls --recursive`."""
    out = aws("s3", "ls", "--recursive", url).stdout
    entries = {}
    for line in out.splitlines():
        m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(\d+) (.*)$", line)
        assert m, f"unexpected ls line: {line!r}"
        entries[m.group(2)] = int(m.group(1))
    return entries


def test_cp_20mib_up_and_down(aws, s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    data = os.urandom(20 * MiB)
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/dir/big file.bin")
    head = s3.head_object(Bucket=bucket, Key="dir/big file.bin")
    assert head["ContentLength"] == len(data)
    assert re.fullmatch(r'"[0-9a-f]{32}-\d+"', head["ETag"]), head["ETag"]  # uploaded in parts
    dst = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/dir/big file.bin", dst)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cp_small_file_and_stdout(aws, bucket, tmp_path):
    src = tmp_path / "small+name é.txt"
    src.write_bytes(b"hello from the aws cli\n")
    aws("s3", "cp", src, f"s3://{bucket}/small+name é.txt")
    proc = aws("s3", "cp", f"s3://{bucket}/small+name é.txt", "-")
    assert proc.stdout == "hello from the aws cli\n"
    # Copy between keys on the server side.
    aws("s3", "cp", f"s3://{bucket}/small+name é.txt", f"s3://{bucket}/copied/again.txt")
    assert aws("s3", "cp", f"s3://{bucket}/copied/again.txt", "-").stdout == "hello from the aws cli\n"


def test_cp_from_stdin(aws, s3, bucket):
    # An upload of unknown size from a pipe (multipart once it passes the 8 MiB threshold).
    data = os.urandom(11 * MiB)
    aws("s3", "cp", "-", f"s3://{bucket}/from-stdin.bin", input=data)
    got = s3.get_object(Bucket=bucket, Key="from-stdin.bin")
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(data).digest()


def test_cp_missing_object_fails(aws, bucket, tmp_path):
    proc = aws("s3", "cp", f"s3://{bucket}/does-not-exist", tmp_path / "x", check=False)
    assert proc.returncode != 0
    assert "404" in proc.stderr or "Not Found" in proc.stderr


def test_sync_up_and_down(aws, bucket, tmp_path):
    up = tmp_path / "up"
    write_tree(up, TREE)
    aws("s3", "sync", up, f"s3://{bucket}/tree")
    listed = s3_ls_recursive(aws, f"s3://{bucket}/tree/")
    assert listed == {f"tree/{k}": len(v) for k, v in TREE.items()}

    down = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/tree", down)
    assert read_tree(down) == TREE

    # Nothing changed: a second sync transfers nothing.
    assert aws("s3", "sync", "--no-progress", up, f"s3://{bucket}/tree").stdout.strip() == ""

    # One changed file (different size) is the only one uploaded.
    (up / "with space.txt").write_bytes(b"changed, and longer than before\n")
    out = aws("s3", "sync", "--no-progress", up, f"s3://{bucket}/tree").stdout
    assert out.count("upload:") == 1 and "with space.txt" in out

    # --delete removes what is gone locally.
    (up / "hash#tag.txt").unlink()
    out = aws("s3", "sync", "--no-progress", "--delete", up, f"s3://{bucket}/tree").stdout
    assert "delete:" in out
    listed = s3_ls_recursive(aws, f"s3://{bucket}/tree/")
    assert "tree/hash#tag.txt" not in listed and len(listed) == len(TREE) - 1

    down2 = tmp_path / "down2"
    aws("s3", "sync", f"s3://{bucket}/tree", down2)
    assert filecmp.cmp(up / "with space.txt", down2 / "with space.txt", shallow=False)
    assert read_tree(down2) == read_tree(up)


def test_ls(aws, bucket_factory, tmp_path):
    bucket = bucket_factory()
    write_tree(tmp_path / "t", {"a/1.txt": b"1", "a/2.txt": b"22", "b.txt": b"333"})
    aws("s3", "sync", tmp_path / "t", f"s3://{bucket}/")
    buckets = aws("s3", "ls").stdout
    assert re.search(rf"^\S+ \S+ {re.escape(bucket)}$", buckets, re.M), buckets
    top = aws("s3", "ls", f"s3://{bucket}/").stdout
    assert re.search(r"^\s+PRE a/$", top, re.M) and re.search(r" 3 b\.txt$", top, re.M), top
    assert s3_ls_recursive(aws, f"s3://{bucket}") == {"a/1.txt": 1, "a/2.txt": 2, "b.txt": 3}
    summary = aws("s3", "ls", "--recursive", "--summarize", f"s3://{bucket}").stdout
    assert "Total Objects: 3" in summary and "Total Size: 6" in summary


def test_ls_many_keys_paginates(aws, s3, bucket):
    from concurrent.futures import ThreadPoolExecutor

    keys = [f"many/{i:04d}" for i in range(1100)]  # more than one 1000-key page
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))
    assert sorted(s3_ls_recursive(aws, f"s3://{bucket}/many/")) == keys


def test_mb_rb_rm(aws, s3, tmp_path):
    name = unique_bucket_name("cli")
    aws("s3", "mb", f"s3://{name}")
    try:
        (tmp_path / "f").write_bytes(b"x")
        aws("s3", "cp", tmp_path / "f", f"s3://{name}/x/f")
        aws("s3", "cp", tmp_path / "f", f"s3://{name}/x/g")
        proc = aws("s3", "rb", f"s3://{name}", check=False)
        assert proc.returncode != 0 and "BucketNotEmpty" in proc.stderr
        aws("s3", "rm", "--recursive", f"s3://{name}/x/")
        assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    finally:
        aws("s3", "rb", "--force", f"s3://{name}", check=False)
    proc = aws("s3", "ls", f"s3://{name}", check=False)
    assert proc.returncode != 0 and "NoSuchBucket" in proc.stderr


def test_presign(aws, bucket, tmp_path):
    (tmp_path / "f").write_bytes(b"presigned by the cli")
    aws("s3", "cp", tmp_path / "f", f"s3://{bucket}/p q.txt")
    url = aws("s3", "presign", f"s3://{bucket}/p q.txt", "--expires-in", "120").stdout.strip()
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.read() == b"presigned by the cli"


def test_s3api_calls(aws, bucket, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"s3api body")
    put = json.loads(aws("s3api", "put-object", "--bucket", bucket, "--key", "api/obj", "--body", body,
                         "--content-type", "text/x-api", "--metadata", "owner=cli,purpose=test",
                         "--tagging", "t=1").stdout)
    assert put["ETag"] == f'"{md5_hex(b"s3api body")}"'
    head = json.loads(aws("s3api", "head-object", "--bucket", bucket, "--key", "api/obj").stdout)
    assert head["ContentLength"] == 10 and head["ContentType"] == "text/x-api"
    assert head["Metadata"] == {"owner": "cli", "purpose": "test"}
    tags = json.loads(aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "api/obj").stdout)
    assert tags["TagSet"] == [{"Key": "t", "Value": "1"}]
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "api/").stdout)
    assert [o["Key"] for o in listed["Contents"]] == ["api/obj"]
    out = tmp_path / "out.bin"
    got = json.loads(aws("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--range", "bytes=0-4",
                         out).stdout)
    assert out.read_bytes() == b"s3api" and got["ContentRange"] == "bytes 0-4/10"
    aws("s3api", "copy-object", "--bucket", bucket, "--key", "api/copy", "--copy-source", f"{bucket}/api/obj")
    loc = json.loads(aws("s3api", "get-bucket-location", "--bucket", bucket).stdout)
    assert loc.get("LocationConstraint") in (None, "")
    aws("s3api", "delete-object", "--bucket", bucket, "--key", "api/obj")
    proc = aws("s3api", "head-object", "--bucket", bucket, "--key", "api/obj", check=False)
    assert proc.returncode != 0 and "404" in proc.stderr
    proc = aws("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", tmp_path / "x", check=False)
    assert proc.returncode != 0 and "NoSuchKey" in proc.stderr


def test_s3api_multipart(aws, bucket, tmp_path):
    part1, part2 = os.urandom(5 * MiB), os.urandom(1000)
    (tmp_path / "p1").write_bytes(part1)
    (tmp_path / "p2").write_bytes(part2)
    up = json.loads(aws("s3api", "create-multipart-upload", "--bucket", bucket, "--key", "mp").stdout)["UploadId"]
    e1 = json.loads(aws("s3api", "upload-part", "--bucket", bucket, "--key", "mp", "--upload-id", up,
                        "--part-number", "1", "--body", tmp_path / "p1").stdout)["ETag"]
    e2 = json.loads(aws("s3api", "upload-part", "--bucket", bucket, "--key", "mp", "--upload-id", up,
                        "--part-number", "2", "--body", tmp_path / "p2").stdout)["ETag"]
    parts = json.loads(aws("s3api", "list-parts", "--bucket", bucket, "--key", "mp", "--upload-id", up).stdout)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2]
    spec = tmp_path / "parts.json"
    spec.write_text(json.dumps({"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}))
    aws("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", "mp", "--upload-id", up,
        "--multipart-upload", f"file://{spec}")
    aws("s3api", "get-object", "--bucket", bucket, "--key", "mp", tmp_path / "mp.out")
    assert (tmp_path / "mp.out").read_bytes() == part1 + part2


def test_wrong_credentials_rejected(aws, bucket):
    proc = aws("s3", "ls", f"s3://{bucket}", check=False,
               env={"AWS_SECRET_ACCESS_KEY": "definitely-not-the-secret-key-000000000"})
    assert proc.returncode != 0 and "SignatureDoesNotMatch" in proc.stderr
