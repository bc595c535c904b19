"""Lockstep through boto3 (and hand-signed requests where boto3 cannot send what S3 accepts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from s3helpers import (
    CHECKSUM_ALGORITHMS,
    MiB,
    RawS3,
    checksum_b64,
    composite_checksum,
    error_of,
    md5_b64,
    md5_hex,
    multipart_etag,
    unique_bucket_name,
    wrong_checksum_b64,
)

UTC = dt.timezone.utc


def expect_error(fn, code, status, **kwargs):
    """Call fn(**kwargs) and assert it fails with S3 error `code` and HTTP `status`."""
    with pytest.raises(ClientError) as ei:
        fn(**kwargs)
    got_code, got_status = error_of(ei.value)
    assert (got_code, got_status) == (code, status), ei.value.response.get("Error")
    return ei.value.response


def exists(s3, bucket, key) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        if error_of(e)[1] == 404:
            return False
        raise


def body_of(s3, bucket, key, **kwargs) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def headers(resp) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


def put_many(s3, bucket, keys, body=b"x"):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body), keys))


# ===========================================================================
# buckets


def test_bucket_lifecycle(s3):
    name = unique_bucket_name()
    created = s3.create_bucket(Bucket=name)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    try:
        head = s3.head_bucket(Bucket=name)
        assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert headers(head).get("x-amz-bucket-region") == "us-east-1"
        listed = s3.list_buckets()
        entry = [b for b in listed["Buckets"] if b["Name"] == name]
        assert len(entry) == 1 and isinstance(entry[0]["CreationDate"], dt.datetime)
        assert listed["Owner"]["ID"]
    finally:
        deleted = s3.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=name)
    assert error_of(ei.value)[1] == 404
    resp = expect_error(s3.list_objects_v2, "NoSuchBucket", 404, Bucket=name)
    assert resp["Error"].get("BucketName") == name
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_create_bucket_already_owned(s3, bucket, make_s3):
    """S3's legacy us-east-1 behaviour: re-creating your own bucket succeeds and changes nothing; in any other region
    it is BucketAlreadyOwnedByYou."""
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.create_bucket(Bucket=bucket)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "k", "Value": "v"}]
    eu = unique_bucket_name("eu")
    s3.create_bucket(Bucket=eu, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        expect_error(s3.create_bucket, "BucketAlreadyOwnedByYou", 409, Bucket=eu,
                     CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    finally:
        s3.delete_bucket(Bucket=eu)


@pytest.mark.parametrize("name", [
    "ab",  # too short
    "a" * 64,  # too long
    "UpperCase-bucket",
    "under_score-bucket",
    "-leading-dash",
    "trailing-dash-",
    "double..dots",
    "192.168.5.4",  # formatted as an IP address
    ".leading-dot",
])
def test_invalid_bucket_name(s3, name):
    expect_error(s3.create_bucket, "InvalidBucketName", 400, Bucket=name)


def test_delete_missing_bucket(s3):
    expect_error(s3.delete_bucket, "NoSuchBucket", 404, Bucket=unique_bucket_name())


def test_delete_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"1")
    expect_error(s3.delete_bucket, "BucketNotEmpty", 409, Bucket=bucket)
    s3.head_bucket(Bucket=bucket)
    assert body_of(s3, bucket, "keep") == b"1"


def test_object_operations_on_missing_bucket(s3, bucket):
    name = unique_bucket_name()
    expect_error(s3.put_object, "NoSuchBucket", 404, Bucket=name, Key="k", Body=b"x")
    # A rejected large body (sent with Expect: 100-continue) leaves the connection usable.
    expect_error(s3.put_object, "NoSuchBucket", 404, Bucket=name, Key="k", Body=os.urandom(3 * MiB))
    s3.put_object(Bucket=bucket, Key="after", Body=b"fine")
    assert body_of(s3, bucket, "after") == b"fine"
    expect_error(s3.get_object, "NoSuchBucket", 404, Bucket=name, Key="k")
    expect_error(s3.list_objects, "NoSuchBucket", 404, Bucket=name)
    expect_error(s3.create_multipart_upload, "NoSuchBucket", 404, Bucket=name, Key="k")


def test_get_bucket_location(s3, bucket):
    resp = s3.get_bucket_location(Bucket=bucket)
    # us-east-1 is reported as an empty LocationConstraint.
    assert resp.get("LocationConstraint") in (None, "")
    expect_error(s3.get_bucket_location, "NoSuchBucket", 404, Bucket=unique_bucket_name())


def test_bucket_tagging(s3, bucket):
    expect_error(s3.get_bucket_tagging, "NoSuchTagSet", 404, Bucket=bucket)
    tags = [{"Key": "project", "Value": "lockstep"}, {"Key": "env", "Value": "test & more"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert sorted(got, key=lambda t: t["Key"]) == sorted(tags, key=lambda t: t["Key"])
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.get_bucket_tagging, "NoSuchTagSet", 404, Bucket=bucket)
    expect_error(s3.put_bucket_tagging, "InvalidTag", 400, Bucket=bucket, Tagging={"TagSet": [
        {"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]})


# ===========================================================================
# objects: put / get / head / delete


def test_put_get_roundtrip_with_content_headers(s3, bucket):
    data = os.urandom(100_000)
    expires = dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    put = s3.put_object(
        Bucket=bucket, Key="doc.bin", Body=data,
        ContentType="application/x-lockstep", ContentDisposition='attachment; filename="doc.bin"',
        ContentEncoding="identity", ContentLanguage="en-GB", CacheControl="max-age=60",
        Expires=expires, Metadata={"alpha": "1", "Mixed-Case": "Value"},
    )
    assert put["ETag"] == f'"{md5_hex(data)}"'
    get = s3.get_object(Bucket=bucket, Key="doc.bin")
    assert get["Body"].read() == data
    assert get["ETag"] == put["ETag"]
    assert get["ContentLength"] == len(data)
    assert get["ContentType"] == "application/x-lockstep"
    assert get["ContentDisposition"] == 'attachment; filename="doc.bin"'
    assert get["ContentEncoding"] == "identity"
    assert get["ContentLanguage"] == "en-GB"
    assert get["CacheControl"] == "max-age=60"
    assert headers(get)["expires"] == "Thu, 02 Jan 2031 03:04:05 GMT"
    assert get["Metadata"] == {"alpha": "1", "mixed-case": "Value"}
    assert isinstance(get["LastModified"], dt.datetime)
    head = s3.head_object(Bucket=bucket, Key="doc.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == put["ETag"]
    assert head["ContentType"] == "application/x-lockstep"
    assert head["Metadata"] == {"alpha": "1", "mixed-case": "Value"}
    assert headers(head).get("accept-ranges") == "bytes"
    assert head["LastModified"] == get["LastModified"]


def test_default_content_type_and_zero_bytes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    get = s3.get_object(Bucket=bucket, Key="empty")
    assert get["Body"].read() == b""
    assert get["ContentLength"] == 0
    assert get["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert get["ContentType"] in ("binary/octet-stream", "application/octet-stream")


def test_overwrite_replaces_data_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"}, ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!", Metadata={"w": "2"})
    get = s3.get_object(Bucket=bucket, Key="k")
    assert get["Body"].read() == b"second!"
    assert get["Metadata"] == {"w": "2"}
    assert get["ContentType"] != "text/plain"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_conditional_put(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="cw", Body=b"one", IfNoneMatch="*")
    expect_error(s3.put_object, "PreconditionFailed", 412, Bucket=bucket, Key="cw", Body=b"two", IfNoneMatch="*")
    expect_error(s3.put_object, "PreconditionFailed", 412, Bucket=bucket, Key="cw", Body=b"two",
                 IfMatch='"0123456789abcdef0123456789abcdef"')
    assert body_of(s3, bucket, "cw") == b"one"
    s3.put_object(Bucket=bucket, Key="cw", Body=b"three", IfMatch=first["ETag"])
    assert body_of(s3, bucket, "cw") == b"three"


def test_metadata_values_with_inner_spaces(s3, bucket):
    # SigV4 canonicalisation collapses inner spaces for signing only; the value is stored as sent.
    meta = {"spaced": "a   b  c", "punct": "x=1; y=\"two\", z/3"}
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == meta


def test_metadata_limit(s3, bucket):
    s3.put_object(Bucket=bucket, Key="fits", Body=b"x", Metadata={"k": "v" * 1900})
    assert s3.head_object(Bucket=bucket, Key="fits")["Metadata"]["k"] == "v" * 1900
    expect_error(s3.put_object, "MetadataTooLarge", 400, Bucket=bucket, Key="big", Body=b"x",
                 Metadata={"big": "x" * 2100})
    expect_error(s3.put_object, "MetadataTooLarge", 400, Bucket=bucket, Key="many", Body=b"x",
                 Metadata={f"key{i}": "y" * 100 for i in range(25)})
    assert not exists(s3, bucket, "big")
    assert not exists(s3, bucket, "many")
    expect_error(s3.create_multipart_upload, "MetadataTooLarge", 400, Bucket=bucket, Key="mpu",
                 Metadata={"big": "x" * 2100})


@pytest.mark.parametrize("storage_class", ["STANDARD_IA", "REDUCED_REDUNDANCY", "ONEZONE_IA"])
def test_storage_class(s3, bucket, storage_class):
    s3.put_object(Bucket=bucket, Key="sc", Body=b"data", StorageClass=storage_class)
    assert s3.head_object(Bucket=bucket, Key="sc")["StorageClass"] == storage_class
    [entry] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert entry["StorageClass"] == storage_class
    assert body_of(s3, bucket, "sc") == b"data"


def test_standard_storage_class_reporting(s3, bucket):
    s3.put_object(Bucket=bucket, Key="std", Body=b"data")
    # S3 omits x-amz-storage-class for STANDARD objects on HEAD/GET, and lists them as STANDARD.
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="std")
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["StorageClass"] == "STANDARD"
    assert s3.list_objects(Bucket=bucket)["Contents"][0]["StorageClass"] == "STANDARD"


def test_invalid_storage_class(s3, bucket):
    expect_error(s3.put_object, "InvalidStorageClass", 400, Bucket=bucket, Key="k", Body=b"x",
                 StorageClass="NOT_A_CLASS")


def test_get_and_head_missing_key(s3, bucket):
    resp = expect_error(s3.get_object, "NoSuchKey", 404, Bucket=bucket, Key="nope/missing.txt")
    assert resp["Error"].get("Key") == "nope/missing.txt"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="nope/missing.txt")
    assert error_of(ei.value) == ("404", 404)


def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="gone")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not exists(s3, bucket, "gone")
    # Deleting a key that does not exist succeeds too.
    assert s3.delete_object(Bucket=bucket, Key="never-was")["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(s3.delete_object, "NoSuchBucket", 404, Bucket=unique_bucket_name(), Key="k")


def test_delete_objects(s3, bucket):
    keys = [f"batch/{i}" for i in range(6)] + ["odd name & <xml>.txt"]
    put_many(s3, bucket, keys)
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys + ["absent"]]})
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(keys + ["absent"])
    assert not resp.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_requires_integrity_header_and_valid_xml(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="survivor", Body=b"x")
    body = b"<Delete><Object><Key>survivor</Key></Object></Delete>"
    # Without Content-MD5 or an x-amz-checksum-* header, S3 refuses multi-object delete.
    resp = raw.request("POST", f"/{bucket}", query={"delete": ""}, body=body)
    assert (resp.status, resp.error_code()) == (400, "InvalidRequest"), resp.body
    assert exists(s3, bucket, "survivor")
    bad = b"<Delete><Object><Key>survivor</Key></Delete>"
    resp = raw.request("POST", f"/{bucket}", query={"delete": ""}, body=bad, headers={"content-md5": md5_b64(bad)})
    assert (resp.status, resp.error_code()) == (400, "MalformedXML"), resp.body
    assert exists(s3, bucket, "survivor")
    resp = raw.request("POST", f"/{bucket}", query={"delete": ""}, body=body, headers={"content-md5": md5_b64(body)})
    assert resp.status == 200, resp.body
    assert not exists(s3, bucket, "survivor")


def test_delete_objects_limit(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k0", Body=b"x")
    expect_error(s3.delete_objects, "MalformedXML", 400, Bucket=bucket,
                 Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert exists(s3, bucket, "k0")


def test_delete_objects_quiet(s3, bucket):
    put_many(s3, bucket, ["q1", "q2"])
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q1"}, {"Key": "q2"}], "Quiet": True})
    assert not resp.get("Deleted")
    assert not resp.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_concurrent_overwrites_of_one_key(make_s3, bucket):
    bodies = [bytes([i]) * (300_000 + i) for i in range(8)]

    def put(body):
        make_s3().put_object(Bucket=bucket, Key="contended", Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, bodies))
    s3 = make_s3()
    got = s3.get_object(Bucket=bucket, Key="contended")
    data = got["Body"].read()
    assert data in bodies, "the object is not exactly one of the bodies written"
    assert got["ETag"] == f'"{md5_hex(data)}"'
    assert got["ContentLength"] == len(data)


def test_parallel_clients(make_s3, bucket):
    """16 clients writing, reading and listing at once."""
    import random

    def work(n):
        s3 = make_s3()
        rnd = random.Random(n)
        mine = {}
        for i in range(15):
            key = f"p{n:02d}/{i:03d}"
            data = rnd.randbytes(rnd.choice([0, 100, 10_000, 300_000]))
            s3.put_object(Bucket=bucket, Key=key, Body=data)
            mine[key] = data
            if i % 5 == 0:
                s3.list_objects_v2(Bucket=bucket, Prefix=f"p{n:02d}/")
            assert body_of(s3, bucket, key) == data
        return mine

    with ThreadPoolExecutor(16) as pool:
        written = {}
        for part in pool.map(work, range(16)):
            written.update(part)
    s3 = make_s3()
    listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in p.get("Contents", [])]
    assert listed == sorted(written)
    for key, data in written.items():
        assert body_of(s3, bucket, key) == data


# ===========================================================================
# ranges, response overrides, conditional requests

OBJ100 = bytes(range(100))


@pytest.mark.parametrize("rng,start,end", [
    ("bytes=0-9", 0, 9),
    ("bytes=10-", 10, 99),
    ("bytes=-5", 95, 99),
    ("bytes=42-42", 42, 42),
    ("bytes=90-1000", 90, 99),
    ("bytes=-500", 0, 99),
])
def test_range_get(s3, bucket, rng, start, end):
    s3.put_object(Bucket=bucket, Key="r", Body=OBJ100)
    resp = s3.get_object(Bucket=bucket, Key="r", Range=rng)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert resp["Body"].read() == OBJ100[start:end + 1]
    assert resp["ContentRange"] == f"bytes {start}-{end}/100"
    assert resp["ContentLength"] == end - start + 1


@pytest.mark.parametrize("rng", ["bytes=100-", "bytes=100-200", "bytes=500-600"])
def test_unsatisfiable_range(s3, bucket, rng):
    s3.put_object(Bucket=bucket, Key="r", Body=OBJ100)
    expect_error(s3.get_object, "InvalidRange", 416, Bucket=bucket, Key="r", Range=rng)


def test_range_on_head(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=OBJ100)
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 10
    assert head["ContentRange"] == "bytes 10-19/100"


def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"hello", ContentType="text/plain")
    resp = s3.get_object(
        Bucket=bucket, Key="o",
        ResponseContentType="application/x-override",
        ResponseContentDisposition='attachment; filename="other name.txt"',
        ResponseContentLanguage="fr",
        ResponseCacheControl="no-cache",
        ResponseContentEncoding="identity",
        ResponseExpires=dt.datetime(2032, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    assert resp["Body"].read() == b"hello"
    assert resp["ContentType"] == "application/x-override"
    assert resp["ContentDisposition"] == 'attachment; filename="other name.txt"'
    assert resp["ContentLanguage"] == "fr"
    assert resp["CacheControl"] == "no-cache"
    assert resp["ContentEncoding"] == "identity"
    assert headers(resp)["expires"] == "Thu, 04 Mar 2032 05:06:07 GMT"
    # Overrides do not change what is stored.
    assert s3.head_object(Bucket=bucket, Key="o")["ContentType"] == "text/plain"


def _conditions(etag, lm):
    day = dt.timedelta(days=1)
    return {
        "if-match-ok": ({"IfMatch": etag}, 200),
        "if-match-fail": ({"IfMatch": '"0123456789abcdef0123456789abcdef"'}, 412),
        "if-none-match-hit": ({"IfNoneMatch": etag}, 304),
        "if-none-match-miss": ({"IfNoneMatch": '"0123456789abcdef0123456789abcdef"'}, 200),
        "if-modified-since-same": ({"IfModifiedSince": lm}, 304),
        "if-modified-since-earlier": ({"IfModifiedSince": lm - day}, 200),
        "if-unmodified-since-earlier": ({"IfUnmodifiedSince": lm - day}, 412),
        "if-unmodified-since-later": ({"IfUnmodifiedSince": lm + day}, 200),
        # S3 rules for combinations (RFC 7232 precedence):
        "match-true-unmodified-false": ({"IfMatch": etag, "IfUnmodifiedSince": lm - day}, 200),
        "none-match-false-modified-true": ({"IfNoneMatch": etag, "IfModifiedSince": lm - day}, 304),
    }


CONDITION_CASES = list(_conditions('"x"', dt.datetime.now(UTC)).keys())


@pytest.mark.parametrize("case", CONDITION_CASES)
@pytest.mark.parametrize("op", ["get", "head"])
def test_conditional_requests(s3, bucket, case, op):
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    head = s3.head_object(Bucket=bucket, Key="c")
    kwargs, expected = _conditions(head["ETag"], head["LastModified"])[case]
    call = s3.get_object if op == "get" else s3.head_object
    if expected == 200:
        resp = call(Bucket=bucket, Key="c", **kwargs)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        if op == "get":
            assert resp["Body"].read() == b"conditional"
        return
    with pytest.raises(ClientError) as ei:
        call(Bucket=bucket, Key="c", **kwargs)
    code, status = error_of(ei.value)
    assert status == expected
    if op == "get" and expected == 412:
        assert code == "PreconditionFailed"
    if expected == 304:
        assert headers(ei.value.response).get("etag") == head["ETag"]


# ===========================================================================
# tagging


def test_put_object_with_tagging_header(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="project=lockstep&empty=&sp=a%20b")
    tagset = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tagset) == [("empty", ""), ("project", "lockstep"), ("sp", "a b")]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 3


def test_object_tagging_operations(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "a", "Value": "1"},
                                                                      {"Key": "b", "Value": "2"}]})
    got = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in got) == [("a", "1"), ("b", "2")]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    assert s3.delete_object_tagging(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    expect_error(s3.get_object_tagging, "NoSuchKey", 404, Bucket=bucket, Key="missing")
    expect_error(s3.put_object_tagging, "NoSuchKey", 404, Bucket=bucket, Key="missing",
                 Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})


# ===========================================================================
# copy


def test_copy_object_copies_metadata(s3, bucket):
    data = os.urandom(3000)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="text/x-src", Metadata={"m": "1"})
    resp = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert resp["CopyObjectResult"]["ETag"] == f'"{md5_hex(data)}"'
    assert isinstance(resp["CopyObjectResult"]["LastModified"], dt.datetime)
    get = s3.get_object(Bucket=bucket, Key="dst")
    assert get["Body"].read() == data
    assert get["ContentType"] == "text/x-src"
    assert get["Metadata"] == {"m": "1"}
    assert body_of(s3, bucket, "src") == data


def test_copy_object_replace_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"abc", ContentType="text/x-src", Metadata={"old": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"new": "2"}, ContentType="text/x-new")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"new": "2"}
    assert head["ContentType"] == "text/x-new"
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"old": "1"}


def test_copy_object_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"abc", Metadata={"v": "1"})
    expect_error(s3.copy_object, "InvalidRequest", 400, Bucket=bucket, Key="self",
                 CopySource={"Bucket": bucket, "Key": "self"})
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    head = s3.head_object(Bucket=bucket, Key="self")
    assert head["Metadata"] == {"v": "2"}
    assert body_of(s3, bucket, "self") == b"abc"


def test_copy_across_buckets_and_awkward_key(s3, bucket_factory):
    a, b = bucket_factory(), bucket_factory()
    key = "dir with space/plus+é%25?#.bin"
    s3.put_object(Bucket=a, Key=key, Body=b"cross")
    s3.copy_object(Bucket=b, Key=key, CopySource={"Bucket": a, "Key": key})
    assert body_of(s3, b, key) == b"cross"


def test_copy_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="a=1")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object_tagging(Bucket=bucket, Key="copied")["TagSet"] == [{"Key": "a", "Value": "1"}]
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="b=2")
    assert s3.get_object_tagging(Bucket=bucket, Key="replaced")["TagSet"] == [{"Key": "b", "Value": "2"}]


def test_copy_missing_source(s3, bucket):
    expect_error(s3.copy_object, "NoSuchKey", 404, Bucket=bucket, Key="dst",
                 CopySource={"Bucket": bucket, "Key": "missing"})
    expect_error(s3.copy_object, "NoSuchBucket", 404, Bucket=bucket, Key="dst",
                 CopySource={"Bucket": unique_bucket_name(), "Key": "missing"})
    assert not exists(s3, bucket, "dst")


@pytest.mark.parametrize("case", ["if-match-ok", "if-match-fail", "if-none-match-hit", "if-none-match-miss",
                                  "if-modified-since-same", "if-unmodified-since-earlier",
                                  "if-unmodified-since-later"])
def test_copy_source_conditions(s3, bucket, case):
    s3.put_object(Bucket=bucket, Key="src", Body=b"conditional copy")
    head = s3.head_object(Bucket=bucket, Key="src")
    etag, lm, day = head["ETag"], head["LastModified"], dt.timedelta(days=1)
    kwargs, ok = {
        "if-match-ok": ({"CopySourceIfMatch": etag}, True),
        "if-match-fail": ({"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'}, False),
        "if-none-match-hit": ({"CopySourceIfNoneMatch": etag}, False),
        "if-none-match-miss": ({"CopySourceIfNoneMatch": '"0123456789abcdef0123456789abcdef"'}, True),
        "if-modified-since-same": ({"CopySourceIfModifiedSince": lm}, False),
        "if-unmodified-since-earlier": ({"CopySourceIfUnmodifiedSince": lm - day}, False),
        "if-unmodified-since-later": ({"CopySourceIfUnmodifiedSince": lm + day}, True),
    }[case]
    src = {"Bucket": bucket, "Key": "src"}
    if ok:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=src, **kwargs)
        assert body_of(s3, bucket, "dst") == b"conditional copy"
    else:
        expect_error(s3.copy_object, "PreconditionFailed", 412, Bucket=bucket, Key="dst", CopySource=src, **kwargs)
        assert not exists(s3, bucket, "dst")


# ===========================================================================
# awkward keys

AWKWARD_KEYS = [
    "with space",
    "unicodé/日本語/ファイル.txt",
    "plus+sign",
    "percent%41literal%",
    "double//slash",
    "../dotdot",
    "dir/../up",
    "./dot",
    "question?mark",
    "hash#tag",
    "amp&ersand=equals",
    "xml<&>\"'chars",
    "tilde~and!bang*(paren)",
    "trailing/",
    "/leading-slash",
    "semi;colon,comma:colon@at$dollar",
    "emoji-😀",
    "tab\there",
    "ctrl\x01char",
    "line\nbreak",
    "trailing space ",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS, ids=lambda k: k.encode("unicode_escape").decode())
def test_awkward_keys(s3, bucket, key):
    data = key.encode("utf-8") * 3
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert body_of(s3, bucket, key) == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]] == [key]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert body_of(s3, bucket, key + ".copy") == data
    s3.delete_object(Bucket=bucket, Key=key)
    assert not exists(s3, bucket, key)
    if any(ord(c) < 0x20 and c not in "\t\n" for c in key):
        # Not representable in the XML 1.0 body of DeleteObjects (S3 answers MalformedXML too).
        s3.delete_object(Bucket=bucket, Key=key + ".copy")
    else:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key + ".copy"}]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_keys_are_bytes_not_normalized_strings(s3, bucket):
    # S3 keys are UTF-8 byte sequences: canonically equivalent spellings are different keys,
    # and listings are in UTF-8 byte order.
    keys = ["caf\u00e9", "cafe\u0301", "e", "\u00e9", "e\u0301", "\uff21", "\U0001F600", "z", "\u212b", "\u00c5"]
    for i, k in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=k, Body=f"body {i}".encode())
    for i, k in enumerate(keys):
        assert body_of(s3, bucket, k) == f"body {i}".encode(), repr(k)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "cafe\u0301"}, {"Key": "\u212b"}]})
    remaining = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert remaining == set(keys) - {"cafe\u0301", "\u212b"}


@pytest.mark.parametrize("key,ok", [
    ("k" * 1024, True),
    ("k" * 1025, False),
    ("é" * 512, True),  # 1024 bytes of UTF-8
    ("é" * 512 + "k", False),  # 1025 bytes of UTF-8, 513 characters
], ids=["1024-ascii", "1025-ascii", "1024-bytes-utf8", "1025-bytes-utf8"])
def test_key_length_limit(s3, bucket, key, ok):
    if ok:
        s3.put_object(Bucket=bucket, Key=key, Body=b"long")
        assert body_of(s3, bucket, key) == b"long"
        assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"] == key
    else:
        expect_error(s3.put_object, "KeyTooLongError", 400, Bucket=bucket, Key=key, Body=b"long")
        expect_error(s3.create_multipart_upload, "KeyTooLongError", 400, Bucket=bucket, Key=key)
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ===========================================================================
# listing


@pytest.fixture
def tree300(s3, bucket):
    """300 keys: 250 under ten 'dirNN/' prefixes and 50 at the top level."""
    keys = [f"dir{i % 10:02d}/obj{i:04d}" for i in range(250)] + [f"top{i:04d}" for i in range(250, 300)]
    put_many(s3, bucket, keys)
    return sorted(keys)


def test_list_v2_pagination(s3, bucket, tree300):
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 70}))
    assert len(pages) == 5
    seen = []
    for i, page in enumerate(pages):
        last = i == len(pages) - 1
        assert page["IsTruncated"] is (not last)
        assert page["MaxKeys"] == 70
        assert page["KeyCount"] == len(page["Contents"]) == (20 if last else 70)
        assert ("NextContinuationToken" in page) is (not last)
        seen += [o["Key"] for o in page["Contents"]]
    assert seen == tree300


def test_list_v2_pagination_with_delimiter(s3, bucket, tree300):
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 7}))
    contents, prefixes = [], []
    for page in pages:
        n = len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
        assert page["KeyCount"] == n and n <= 7
        assert page["Delimiter"] == "/"
        contents += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert prefixes == [f"dir{i:02d}/" for i in range(10)]
    assert contents == [k for k in tree300 if k.startswith("top")]
    assert len(pages) == 9  # 60 entries (10 prefixes + 50 keys), 7 per page


def test_list_v2_prefix_delimiter_start_after(s3, bucket, tree300):
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="dir03/", StartAfter="dir03/obj0100")
    keys = [o["Key"] for o in resp["Contents"]]
    assert keys == [k for k in tree300 if k.startswith("dir03/") and k > "dir03/obj0100"]
    assert resp["Prefix"] == "dir03/" and resp["StartAfter"] == "dir03/obj0100"
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="dir0", Delimiter="/")
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == [f"dir{i:02d}/" for i in range(10)]
    assert "Contents" not in resp
    resp = s3.list_objects_v2(Bucket=bucket, Prefix="nothing-here/")
    assert resp["KeyCount"] == 0 and "Contents" not in resp and resp["IsTruncated"] is False


def test_list_v2_max_keys_and_token(s3, bucket):
    put_many(s3, bucket, ["a", "b", "c"])
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    assert [o["Key"] for o in first["Contents"]] == ["a", "b"] and first["IsTruncated"]
    second = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in second["Contents"]] == ["c"] and not second["IsTruncated"]
    assert second["ContinuationToken"] == first["NextContinuationToken"]


def test_list_v2_entry_fields_and_fetch_owner(s3, bucket):
    s3.put_object(Bucket=bucket, Key="f", Body=b"12345")
    resp = s3.list_objects_v2(Bucket=bucket)
    assert resp["Name"] == bucket and resp["MaxKeys"] == 1000 and resp["KeyCount"] == 1
    assert resp["IsTruncated"] is False and resp.get("Prefix", "") == ""
    plain = resp["Contents"][0]
    assert plain["LastModified"] == s3.head_object(Bucket=bucket, Key="f")["LastModified"]
    assert plain["Size"] == 5
    assert plain["ETag"] == f'"{md5_hex(b"12345")}"'
    assert isinstance(plain["LastModified"], dt.datetime)
    assert "Owner" not in plain
    owned = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]
    assert owned["Owner"]["ID"]


def test_list_max_keys_zero(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert resp["KeyCount"] == 0 and "Contents" not in resp and resp["IsTruncated"] is False


def test_list_v2_bad_continuation_token(s3, bucket):
    expect_error(s3.list_objects_v2, "InvalidArgument", 400, Bucket=bucket, ContinuationToken="not-a-token")


def test_list_v1_pagination_and_markers(s3, bucket, tree300):
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 80}))
    assert len(pages) == 4
    assert [o["Key"] for p in pages for o in p["Contents"]] == tree300
    assert [p["IsTruncated"] for p in pages] == [True, True, True, False]
    resp = s3.list_objects(Bucket=bucket, Marker="top0280")
    assert [o["Key"] for o in resp["Contents"]] == [f"top{i:04d}" for i in range(281, 300)]
    # With a delimiter, a truncated v1 listing carries NextMarker.
    resp = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=5)
    assert resp["IsTruncated"] is True
    assert resp["NextMarker"] == "dir04/"
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == [f"dir{i:02d}/" for i in range(5)]
    rest = s3.list_objects(Bucket=bucket, Delimiter="/", Marker=resp["NextMarker"], MaxKeys=1000)
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == [f"dir{i:02d}/" for i in range(5, 10)]
    assert len(rest["Contents"]) == 50


def test_list_non_slash_delimiter(s3, bucket):
    put_many(s3, bucket, ["a-1", "a-2", "b-1", "c"])
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="-")
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a-", "b-"]
    assert [o["Key"] for o in resp["Contents"]] == ["c"]


def test_list_encoding_type_url(s3, bucket):
    keys = ["sp ace/x", "plus+/y", "pct%/z", "é/ü", "amp&<>"]
    put_many(s3, bucket, keys)
    # Asking explicitly for url encoding: boto3 leaves the values encoded.
    resp = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/")
    assert resp["EncodingType"] == "url"
    raw_prefixes = [p["Prefix"] for p in resp["CommonPrefixes"]]
    raw_keys = [o["Key"] for o in resp.get("Contents", [])]
    assert sorted(urllib.parse.unquote_plus(p) for p in raw_prefixes) == ["pct%/", "plus+/", "sp ace/", "é/"]
    assert [urllib.parse.unquote_plus(k) for k in raw_keys] == ["amp&<>"]
    for value in raw_prefixes + raw_keys:
        assert " " not in value and "é" not in value and "%/" not in value
    resp = s3.list_objects(Bucket=bucket, EncodingType="url")
    assert resp["EncodingType"] == "url"
    assert sorted(urllib.parse.unquote_plus(o["Key"]) for o in resp["Contents"]) == sorted(keys)
    # boto3's default (encoding-type=url requested and decoded transparently) round-trips.
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == sorted(keys)


def test_list_buckets_prefix_and_pagination(s3, bucket_factory):
    prefix = unique_bucket_name("pg")[:20]
    names = sorted(bucket_factory(prefix) for _ in range(3))
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    assert first.get("Prefix") == prefix and first.get("ContinuationToken")
    rest = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[2:]
    assert not rest.get("ContinuationToken")


def test_list_buckets_contains_created(s3, bucket_factory):
    names = {bucket_factory(), bucket_factory()}
    listed = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert names <= listed


# ===========================================================================
# authentication


def test_wrong_secret_key(make_s3, bucket):
    bad = make_s3(secret_key="wrong" + "x" * 35)
    expect_error(bad.list_buckets, "SignatureDoesNotMatch", 403)
    expect_error(bad.put_object, "SignatureDoesNotMatch", 403, Bucket=bucket, Key="k", Body=b"x" * 1000)
    expect_error(bad.list_objects_v2, "SignatureDoesNotMatch", 403, Bucket=bucket)


def test_unknown_access_key(make_s3, bucket):
    bad = make_s3(access_key="LSUNKNOWNKEY00000000")
    expect_error(bad.list_buckets, "InvalidAccessKeyId", 403)
    expect_error(bad.get_object, "InvalidAccessKeyId", 403, Bucket=bucket, Key="k")


def test_anonymous_request_denied(raw, bucket):
    resp = raw.request("GET", "/", signed=False)
    assert resp.status == 403 and resp.error_code() == "AccessDenied"
    resp = raw.request("PUT", f"/{bucket}/anon", body=b"x", signed=False)
    assert resp.status == 403 and resp.error_code() == "AccessDenied"


def test_request_time_too_skewed(raw, bucket):
    when = dt.datetime.now(UTC) - dt.timedelta(hours=1)
    resp = raw.request("GET", f"/{bucket}", when=when)
    assert resp.status == 403 and resp.error_code() == "RequestTimeTooSkewed"


def test_other_region_in_credential_scope(lockstep):
    # Deliberate difference from AWS (docs/compatibility.md): any region is accepted in the scope,
    # but the signature must still verify for the region the client signed with.
    other = RawS3(lockstep.endpoint, lockstep.access_key, lockstep.secret_key, region="eu-west-1")
    resp = other.request("GET", "/")
    assert resp.status == 200, resp.body
    resp = other.request("GET", "/", secret_key="not-the-secret")
    assert (resp.status, resp.error_code()) == (403, "SignatureDoesNotMatch"), resp.body


def test_tampered_signed_header_is_rejected(raw, bucket):
    req = raw.sign("PUT", f"/{bucket}/k", headers={"x-amz-meta-a": "1"}, payload_hash=hashlib.sha256(b"x").hexdigest())
    req.headers["x-amz-meta-a"] = "2"
    resp = raw.send("PUT", req.target, req.headers, b"x")
    assert resp.status == 403 and resp.error_code() == "SignatureDoesNotMatch"


def test_unsigned_payload_put(raw, s3, bucket):
    resp = raw.request("PUT", f"/{bucket}/unsigned", body=b"unsigned body", payload_hash="UNSIGNED-PAYLOAD")
    assert resp.status == 200, resp.body
    assert body_of(s3, bucket, "unsigned") == b"unsigned body"


def test_content_sha256_mismatch(raw, s3, bucket):
    resp = raw.request("PUT", f"/{bucket}/lying", body=b"actual body",
                       payload_hash=hashlib.sha256(b"declared body").hexdigest())
    assert resp.status == 400 and resp.error_code() == "XAmzContentSHA256Mismatch"
    assert not exists(s3, bucket, "lying")


def _http(method, url, body=None, headers=None, timeout=30):
    headers = dict(headers or {})
    if body is not None:
        headers.setdefault("Content-Type", "application/octet-stream")
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _xml_code(body: bytes):
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


def test_presigned_get_and_put(s3, bucket):
    key = "presigned/ü name+plus.bin"
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    status, body = _http("PUT", put_url, body=b"via presigned put")
    assert status == 200, body
    assert body_of(s3, bucket, key) == b"via presigned put"
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    status, body = _http("GET", get_url)
    assert (status, body) == (200, b"via presigned put")
    override = s3.generate_presigned_url("get_object", ExpiresIn=300, Params={
        "Bucket": bucket, "Key": key, "ResponseContentDisposition": "attachment"})
    with urllib.request.urlopen(override, timeout=30) as resp:
        assert resp.headers["Content-Disposition"] == "attachment"


@pytest.mark.parametrize("key", ["with space", "plus+sign", "unicodé/日本語", "tilde~and!bang*(paren)",
                                 "semi;colon,comma:colon@at$dollar", "double//slash", "percent%41"])
def test_presigned_get_awkward_keys(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert _http("GET", url) == (200, key.encode())


def test_presigned_expired(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    status, body = _http("GET", url)
    assert status == 403 and _xml_code(body) == "AccessDenied", body


def test_presigned_expiry_longer_than_a_week(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    status, body = _http("GET", url)
    assert status == 400 and _xml_code(body) == "AuthorizationQueryParametersError", body


def test_presigned_tampered(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_object(Bucket=bucket, Key="other", Body=b"y")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    sig = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    bad_sig = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    status, body = _http("GET", bad_sig)
    assert status == 403 and _xml_code(body) == "SignatureDoesNotMatch", body
    other_key = url.replace(f"/{bucket}/k?", f"/{bucket}/other?")
    status, body = _http("GET", other_key)
    assert status == 403 and _xml_code(body) == "SignatureDoesNotMatch", body
    # A presigned GET cannot be replayed as a PUT.
    status, body = _http("PUT", url, body=b"overwrite")
    assert status == 403, body
    assert body_of(s3, bucket, "k") == b"x"


def test_presigned_with_wrong_secret(make_s3, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    bad = make_s3(secret_key="wrong" + "y" * 35)
    url = bad.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    status, body = _http("GET", url)
    assert status == 403 and _xml_code(body) == "SignatureDoesNotMatch", body


# ===========================================================================
# error documents


def test_error_xml_shape(raw, bucket):
    resp = raw.request("GET", f"/{bucket}/missing key.txt")
    assert resp.status == 404
    assert "xml" in resp.header("content-type", "")
    root = resp.xml()
    assert root.tag == "Error"
    assert root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Message") == "The specified key does not exist."
    assert root.findtext("Key") == "missing key.txt"
    assert root.findtext("RequestId")
    assert resp.header("x-amz-request-id")

    missing = unique_bucket_name()
    resp = raw.request("GET", f"/{missing}")
    root = resp.xml()
    assert (resp.status, root.findtext("Code")) == (404, "NoSuchBucket")
    assert root.findtext("Message") == "The specified bucket does not exist"
    assert root.findtext("BucketName") == missing


def test_error_xml_signature_mismatch(raw):
    resp = raw.request("GET", "/", secret_key="not-the-secret")
    assert resp.status == 403
    root = resp.xml()
    assert root.findtext("Code") == "SignatureDoesNotMatch"
    assert root.findtext("Message") == ("The request signature we calculated does not match the signature you "
                                        "provided. Check your key and signing method.")


def test_head_error_has_no_body(raw, bucket):
    resp = raw.request("HEAD", f"/{bucket}/missing")
    assert resp.status == 404
    assert resp.body == b""


# ===========================================================================
# checksums and Content-MD5


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_checksum_algorithm_roundtrip(s3, bucket, algorithm):
    data = os.urandom(300_000)
    expected = checksum_b64(algorithm, data)
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, ChecksumAlgorithm=algorithm)
    assert put.get(f"Checksum{algorithm}") == expected
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head.get(f"Checksum{algorithm}") == expected
    if "ChecksumType" in head:
        assert head["ChecksumType"] == "FULL_OBJECT"
    get = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert get["Body"].read() == data
    assert headers(get).get(f"x-amz-checksum-{algorithm.lower()}") == expected
    attrs = s3.get_object_attributes(Bucket=bucket, Key="c", ObjectAttributes=["Checksum", "ObjectSize"])
    assert attrs["Checksum"][f"Checksum{algorithm}"] == expected
    assert attrs["ObjectSize"] == len(data)


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_checksum_precomputed_header(s3, bucket, algorithm):
    data = b"precomputed checksum value " * 100
    value = checksum_b64(algorithm, data)
    s3.put_object(Bucket=bucket, Key="c", Body=data, **{f"Checksum{algorithm}": value})
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head.get(f"Checksum{algorithm}") == value


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_wrong_checksum_rejected(s3, bucket, algorithm):
    data = b"the real payload" * 50
    expect_error(s3.put_object, "BadDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 **{f"Checksum{algorithm}": wrong_checksum_b64(algorithm, data)})
    assert not exists(s3, bucket, "bad")
    # An earlier version of the key survives a rejected overwrite.
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    expect_error(s3.put_object, "BadDigest", 400, Bucket=bucket, Key="keep", Body=data,
                 **{f"Checksum{algorithm}": wrong_checksum_b64(algorithm, data)})
    assert body_of(s3, bucket, "keep") == b"original"


@pytest.mark.parametrize("value", ["not base64!", "AAAA"], ids=["not-base64", "wrong-length"])
def test_malformed_checksum_value(s3, bucket, value):
    expect_error(s3.put_object, "InvalidRequest", 400, Bucket=bucket, Key="bad", Body=b"data", ChecksumCRC32=value)
    assert not exists(s3, bucket, "bad")


def test_multiple_checksum_headers_rejected(raw, s3, bucket):
    data = b"two checksums"
    resp = raw.request("PUT", f"/{bucket}/two", body=data, headers={
        "x-amz-checksum-crc32": checksum_b64("CRC32", data), "x-amz-checksum-sha256": checksum_b64("SHA256", data)})
    assert (resp.status, resp.error_code()) == (400, "InvalidRequest"), resp.body
    assert not exists(s3, bucket, "two")


def test_default_checksum_is_stored(s3, bucket):
    # boto3's defaults send a CRC32 with every PutObject.
    data = os.urandom(50_000)
    s3.put_object(Bucket=bucket, Key="d", Body=data)
    head = s3.head_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32") == checksum_b64("CRC32", data)


def test_checksum_only_returned_when_enabled(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"data", ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=bucket, Key="d")
    assert not [h for h in headers(head) if h.startswith("x-amz-checksum-") and h != "x-amz-checksum-type"]


def test_content_md5(s3, bucket):
    data = b"md5 checked body"
    s3.put_object(Bucket=bucket, Key="ok", Body=data, ContentMD5=md5_b64(data))
    assert body_of(s3, bucket, "ok") == data
    expect_error(s3.put_object, "BadDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 ContentMD5=md5_b64(b"something else"))
    assert not exists(s3, bucket, "bad")
    expect_error(s3.put_object, "InvalidDigest", 400, Bucket=bucket, Key="bad", Body=data,
                 ContentMD5="not-base64-md5")
    assert not exists(s3, bucket, "bad")


def test_get_object_attributes(s3, bucket):
    data = b"attributes" * 10
    s3.put_object(Bucket=bucket, Key="a", Body=data, ChecksumAlgorithm="SHA256", StorageClass="STANDARD_IA")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="a",
                                     ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum", "ObjectParts"])
    assert "ObjectParts" not in attrs  # only multipart objects have parts
    assert attrs["ETag"] == md5_hex(data)  # GetObjectAttributes returns the ETag unquoted
    assert attrs["ObjectSize"] == len(data)
    assert attrs["StorageClass"] == "STANDARD_IA"
    assert attrs["Checksum"]["ChecksumSHA256"] == checksum_b64("SHA256", data)
    assert isinstance(attrs["LastModified"], dt.datetime)
    expect_error(s3.get_object_attributes, "NoSuchKey", 404, Bucket=bucket, Key="missing",
                 ObjectAttributes=["ETag"])


# ===========================================================================
# aws-chunked uploads (streaming signatures and trailing checksums)

STREAM_DATA = os.urandom(200_000)


@pytest.mark.parametrize("mode", ["signed", "signed-trailer", "unsigned-trailer"])
def test_streaming_upload(raw, s3, bucket, mode):
    resp = raw.streaming_put(bucket, "stream", STREAM_DATA, mode=mode)
    assert resp.status == 200, resp.body
    assert resp.header("etag") == f'"{md5_hex(STREAM_DATA)}"'
    get = s3.get_object(Bucket=bucket, Key="stream")
    assert get["Body"].read() == STREAM_DATA
    assert get["ContentLength"] == len(STREAM_DATA)
    assert get.get("ContentEncoding") in (None, "")  # aws-chunked is not stored
    if mode.endswith("trailer"):
        head = s3.head_object(Bucket=bucket, Key="stream", ChecksumMode="ENABLED")
        assert head.get("ChecksumCRC32") == checksum_b64("CRC32", STREAM_DATA)


@pytest.mark.parametrize("size", [0, 1, 3 * 8192, 64 * 1024])
@pytest.mark.parametrize("mode", ["signed", "signed-trailer", "unsigned-trailer"])
def test_streaming_upload_sizes(raw, s3, bucket, mode, size):
    data = os.urandom(size)
    resp = raw.streaming_put(bucket, "sz", data, mode=mode, chunk_size=8192)
    assert resp.status == 200, resp.body
    assert body_of(s3, bucket, "sz") == data
    assert s3.head_object(Bucket=bucket, Key="sz")["ContentLength"] == size


@pytest.mark.parametrize("mode", ["signed", "unsigned-trailer"])
def test_streaming_upload_with_http_chunked_framing(raw, s3, bucket, mode):
    resp = raw.streaming_put(bucket, "te", STREAM_DATA, mode=mode, http_chunked=True)
    assert resp.status == 200, resp.body
    assert body_of(s3, bucket, "te") == STREAM_DATA


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_trailing_checksum_algorithms(raw, s3, bucket, algorithm):
    resp = raw.streaming_put(bucket, "t", STREAM_DATA, mode="unsigned-trailer", checksum_algorithm=algorithm)
    assert resp.status == 200, resp.body
    assert resp.header(f"x-amz-checksum-{algorithm.lower()}") == checksum_b64(algorithm, STREAM_DATA)
    head = s3.head_object(Bucket=bucket, Key="t", ChecksumMode="ENABLED")
    assert head.get(f"Checksum{algorithm}") == checksum_b64(algorithm, STREAM_DATA)


@pytest.mark.parametrize("mode,tamper,status,code", [
    ("signed", "chunk-signature", 403, "SignatureDoesNotMatch"),
    ("signed", "chunk-data", 403, "SignatureDoesNotMatch"),
    ("signed-trailer", "trailer-signature", 403, "SignatureDoesNotMatch"),
    ("signed-trailer", "trailer-checksum", 400, "BadDigest"),
    ("unsigned-trailer", "trailer-checksum", 400, "BadDigest"),
])
def test_streaming_upload_rejected(raw, s3, bucket, mode, tamper, status, code):
    resp = raw.streaming_put(bucket, "bad", STREAM_DATA, mode=mode, tamper=tamper)
    assert (resp.status, resp.error_code()) == (status, code), resp.body
    assert not exists(s3, bucket, "bad")


# ===========================================================================
# multipart uploads

PART1 = os.urandom(5 * MiB)
PART2 = os.urandom(5 * MiB + 17)
TAIL = os.urandom(1234)


def _mpu(s3, bucket, key, **kwargs):
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]


def test_multipart_basic(s3, bucket):
    up = _mpu(s3, bucket, "mp", ContentType="application/x-mp", Metadata={"m": "v"})
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=PART1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=2, Body=TAIL)["ETag"]
    assert e1 == f'"{md5_hex(PART1)}"' and e2 == f'"{md5_hex(TAIL)}"'
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts["Parts"]] == [(1, e1, len(PART1)),
                                                                                 (2, e2, len(TAIL))]
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", up)]
    assert not exists(s3, bucket, "mp")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ETag"] == multipart_etag([PART1, TAIL])
    assert done["Key"] == "mp" and done["Bucket"] == bucket
    get = s3.get_object(Bucket=bucket, Key="mp")
    assert get["Body"].read() == PART1 + TAIL
    assert get["ETag"] == done["ETag"]
    assert get["ContentType"] == "application/x-mp"
    assert get["Metadata"] == {"m": "v"}
    assert s3.head_object(Bucket=bucket, Key="mp")["ContentLength"] == len(PART1) + len(TAIL)
    # Ranges inside one part and across the part boundary.
    whole = PART1 + TAIL
    for first, last in ((5 * MiB - 10, 5 * MiB + 9), (100, 200), (5 * MiB + 5, len(whole) - 1)):
        got = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == whole[first:last + 1]
        assert got["ContentRange"] == f"bytes {first}-{last}/{len(whole)}"
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=bucket, Key="mp", UploadId=up)


@pytest.mark.parametrize("algorithm,checksum_type", [
    ("CRC32", "COMPOSITE"), ("CRC32C", "COMPOSITE"), ("SHA1", "COMPOSITE"), ("SHA256", "COMPOSITE"),
    ("CRC32", "FULL_OBJECT"), ("CRC64NVME", "FULL_OBJECT"),
])
def test_multipart_with_checksums(s3, bucket, algorithm, checksum_type):
    up = _mpu(s3, bucket, "mpc", ChecksumAlgorithm=algorithm, ChecksumType=checksum_type)
    parts = []
    for n, data in ((1, PART1), (2, TAIL)):
        resp = s3.upload_part(Bucket=bucket, Key="mpc", UploadId=up, PartNumber=n, Body=data,
                              ChecksumAlgorithm=algorithm)
        assert resp.get(f"Checksum{algorithm}") == checksum_b64(algorithm, data)
        parts.append({"PartNumber": n, "ETag": resp["ETag"], f"Checksum{algorithm}": resp[f"Checksum{algorithm}"]})
    listed = s3.list_parts(Bucket=bucket, Key="mpc", UploadId=up)
    assert [p.get(f"Checksum{algorithm}") for p in listed["Parts"]] == [p[f"Checksum{algorithm}"] for p in parts]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpc", UploadId=up, MultipartUpload={"Parts": parts})
    whole = PART1 + TAIL
    if checksum_type == "COMPOSITE":
        expected = composite_checksum(algorithm, [PART1, TAIL])
    else:
        expected = checksum_b64(algorithm, whole)
    assert done.get(f"Checksum{algorithm}") == expected
    head = s3.head_object(Bucket=bucket, Key="mpc", ChecksumMode="ENABLED")
    assert head.get(f"Checksum{algorithm}") == expected
    if "ChecksumType" in head:
        assert head["ChecksumType"] == checksum_type
    assert body_of(s3, bucket, "mpc") == whole
    attrs = s3.get_object_attributes(Bucket=bucket, Key="mpc",
                                     ObjectAttributes=["ETag", "Checksum", "ObjectParts", "ObjectSize"])
    assert attrs["ObjectSize"] == len(whole)
    assert attrs["ETag"] == multipart_etag([PART1, TAIL]).strip('"')
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2
    assert attrs["Checksum"][f"Checksum{algorithm}"] == expected


def test_multipart_part_with_wrong_checksum(s3, bucket):
    up = _mpu(s3, bucket, "mpw", ChecksumAlgorithm="SHA256")
    expect_error(s3.upload_part, "BadDigest", 400, Bucket=bucket, Key="mpw", UploadId=up, PartNumber=1,
                 Body=TAIL, ChecksumSHA256=wrong_checksum_b64("SHA256", TAIL))
    assert not s3.list_parts(Bucket=bucket, Key="mpw", UploadId=up).get("Parts")
    s3.abort_multipart_upload(Bucket=bucket, Key="mpw", UploadId=up)


def test_multipart_part_checksum_algorithm_mismatch(s3, bucket):
    up = _mpu(s3, bucket, "mm", ChecksumAlgorithm="SHA256")
    expect_error(s3.upload_part, "InvalidRequest", 400, Bucket=bucket, Key="mm", UploadId=up, PartNumber=1,
                 Body=TAIL, ChecksumAlgorithm="CRC32")
    s3.abort_multipart_upload(Bucket=bucket, Key="mm", UploadId=up)


def test_multipart_complete_without_parts(s3, bucket):
    up = _mpu(s3, bucket, "none")
    s3.upload_part(Bucket=bucket, Key="none", UploadId=up, PartNumber=1, Body=TAIL)
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="none", UploadId=up, MultipartUpload={"Parts": []})
    # S3 answers MalformedXML today; some S3 implementations (and older S3) use InvalidRequest.
    assert error_of(ei.value) in {("MalformedXML", 400), ("InvalidRequest", 400)}
    assert not exists(s3, bucket, "none")
    s3.abort_multipart_upload(Bucket=bucket, Key="none", UploadId=up)


def test_get_by_part_number(s3, bucket):
    up = _mpu(s3, bucket, "pn")
    e1 = s3.upload_part(Bucket=bucket, Key="pn", UploadId=up, PartNumber=1, Body=PART1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="pn", UploadId=up, PartNumber=2, Body=TAIL)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="pn", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    got = s3.get_object(Bucket=bucket, Key="pn", PartNumber=2)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == TAIL
    assert got["PartsCount"] == 2
    assert got["ContentRange"] == f"bytes {len(PART1)}-{len(PART1) + len(TAIL) - 1}/{len(PART1) + len(TAIL)}"
    assert s3.head_object(Bucket=bucket, Key="pn", PartNumber=1)["ContentLength"] == len(PART1)


def test_multipart_entity_too_small(s3, bucket):
    up = _mpu(s3, bucket, "small")
    e1 = s3.upload_part(Bucket=bucket, Key="small", UploadId=up, PartNumber=1, Body=b"a" * 1024)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="small", UploadId=up, PartNumber=2, Body=b"b" * 1024)["ETag"]
    expect_error(s3.complete_multipart_upload, "EntityTooSmall", 400, Bucket=bucket, Key="small", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert not exists(s3, bucket, "small")
    # A single small part is fine: only parts before the last have a minimum size.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=up,
                                        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]})
    assert done["ETag"] == multipart_etag([b"b" * 1024])
    assert body_of(s3, bucket, "small") == b"b" * 1024


def test_multipart_invalid_part(s3, bucket):
    up = _mpu(s3, bucket, "ip")
    e1 = s3.upload_part(Bucket=bucket, Key="ip", UploadId=up, PartNumber=1, Body=PART1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="ip", UploadId=up, PartNumber=2, Body=PART2)["ETag"]
    e3 = s3.upload_part(Bucket=bucket, Key="ip", UploadId=up, PartNumber=3, Body=TAIL)["ETag"]
    wrong = '"0123456789abcdef0123456789abcdef"'
    # A listed part whose ETag does not match what was uploaded.
    expect_error(s3.complete_multipart_upload, "InvalidPart", 400, Bucket=bucket, Key="ip", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": wrong}]})
    # A listed part that was never uploaded.
    expect_error(s3.complete_multipart_upload, "InvalidPart", 400, Bucket=bucket, Key="ip", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 4, "ETag": e3}]})
    # Parts out of ascending order (all large enough, so size is not the issue).
    expect_error(s3.complete_multipart_upload, "InvalidPartOrder", 400, Bucket=bucket, Key="ip", UploadId=up,
                 MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    assert not exists(s3, bucket, "ip")
    # The upload is still usable after rejected completions.
    s3.complete_multipart_upload(Bucket=bucket, Key="ip", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e3}]})
    assert body_of(s3, bucket, "ip") == PART1 + PART2 + TAIL


def test_multipart_complete_subset_of_parts(s3, bucket):
    up = _mpu(s3, bucket, "subset")
    e1 = s3.upload_part(Bucket=bucket, Key="subset", UploadId=up, PartNumber=1, Body=PART1)["ETag"]
    s3.upload_part(Bucket=bucket, Key="subset", UploadId=up, PartNumber=2, Body=PART2)
    e3 = s3.upload_part(Bucket=bucket, Key="subset", UploadId=up, PartNumber=3, Body=TAIL)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="subset", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e3}]})
    assert body_of(s3, bucket, "subset") == PART1 + TAIL


@pytest.mark.parametrize("op", ["upload_part", "list_parts", "complete", "abort"])
def test_no_such_upload(s3, bucket, op):
    bogus = "bm90LWFuLXVwbG9hZC1pZA"
    calls = {
        "upload_part": lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId=bogus, PartNumber=1, Body=b"x"),
        "list_parts": lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=bogus),
        "complete": lambda: s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=bogus, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}]}),
        "abort": lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=bogus),
    }
    expect_error(calls[op], "NoSuchUpload", 404)


def test_multipart_abort(s3, bucket):
    up = _mpu(s3, bucket, "ab")
    s3.upload_part(Bucket=bucket, Key="ab", UploadId=up, PartNumber=1, Body=TAIL)
    assert s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=up)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    expect_error(s3.list_parts, "NoSuchUpload", 404, Bucket=bucket, Key="ab", UploadId=up)
    expect_error(s3.upload_part, "NoSuchUpload", 404, Bucket=bucket, Key="ab", UploadId=up, PartNumber=2, Body=b"x")
    assert not exists(s3, bucket, "ab")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_list_multipart_uploads(s3, bucket):
    ids = {k: _mpu(s3, bucket, k) for k in ["a/1", "a/2", "b/1"]}
    all_up = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert sorted((u["Key"], u["UploadId"]) for u in all_up) == sorted(ids.items())
    assert all(isinstance(u["Initiated"], dt.datetime) for u in all_up)
    pref = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")["Uploads"]
    assert sorted(u["Key"] for u in pref) == ["a/1", "a/2"]
    delim = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert sorted(p["Prefix"] for p in delim["CommonPrefixes"]) == ["a/", "b/"]
    for k, u in ids.items():
        s3.abort_multipart_upload(Bucket=bucket, Key=k, UploadId=u)


def test_list_parts_pagination(s3, bucket):
    up = _mpu(s3, bucket, "lp")
    for n in (1, 2, 3):
        s3.upload_part(Bucket=bucket, Key="lp", UploadId=up, PartNumber=n, Body=bytes([n]) * 10)
    first = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert first["IsTruncated"] is True and first["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and rest["IsTruncated"] is False
    s3.abort_multipart_upload(Bucket=bucket, Key="lp", UploadId=up)


def test_upload_part_overwrite(s3, bucket):
    up = _mpu(s3, bucket, "ow")
    s3.upload_part(Bucket=bucket, Key="ow", UploadId=up, PartNumber=1, Body=b"old part")
    e1 = s3.upload_part(Bucket=bucket, Key="ow", UploadId=up, PartNumber=1, Body=b"new part!")["ETag"]
    [part] = s3.list_parts(Bucket=bucket, Key="ow", UploadId=up)["Parts"]
    assert (part["ETag"], part["Size"]) == (e1, 9)
    s3.complete_multipart_upload(Bucket=bucket, Key="ow", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert body_of(s3, bucket, "ow") == b"new part!"


@pytest.mark.parametrize("part_number", [0, 10001])
def test_invalid_part_number(s3, bucket, part_number):
    up = _mpu(s3, bucket, "pn")
    expect_error(s3.upload_part, "InvalidArgument", 400, Bucket=bucket, Key="pn", UploadId=up,
                 PartNumber=part_number, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="pn", UploadId=up)


def test_upload_part_copy(s3, bucket_factory):
    src_bucket, dst_bucket = bucket_factory(), bucket_factory()
    source = PART1 + PART2[:100]
    s3.put_object(Bucket=src_bucket, Key="source obj+ü", Body=source)
    up = _mpu(s3, dst_bucket, "assembled")
    src = {"Bucket": src_bucket, "Key": "source obj+ü"}
    r1 = s3.upload_part_copy(Bucket=dst_bucket, Key="assembled", UploadId=up, PartNumber=1, CopySource=src,
                             CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    r2 = s3.upload_part_copy(Bucket=dst_bucket, Key="assembled", UploadId=up, PartNumber=2, CopySource=src)
    r3 = s3.upload_part_copy(Bucket=dst_bucket, Key="assembled", UploadId=up, PartNumber=3, CopySource=src,
                             CopySourceRange=f"bytes={5 * MiB}-{len(source) - 1}")
    assert r1["CopyPartResult"]["ETag"] == f'"{md5_hex(source[:5 * MiB])}"'
    assert r2["CopyPartResult"]["ETag"] == f'"{md5_hex(source)}"'
    parts = [{"PartNumber": i + 1, "ETag": r["CopyPartResult"]["ETag"]} for i, r in enumerate((r1, r2, r3))]
    s3.complete_multipart_upload(Bucket=dst_bucket, Key="assembled", UploadId=up, MultipartUpload={"Parts": parts})
    assert body_of(s3, dst_bucket, "assembled") == source[:5 * MiB] + source + source[5 * MiB:]


def test_upload_part_copy_missing_source(s3, bucket):
    up = _mpu(s3, bucket, "pc")
    expect_error(s3.upload_part_copy, "NoSuchKey", 404, Bucket=bucket, Key="pc", UploadId=up, PartNumber=1,
                 CopySource={"Bucket": bucket, "Key": "missing"})
    s3.abort_multipart_upload(Bucket=bucket, Key="pc", UploadId=up)


def test_managed_transfer_multipart(s3, bucket):
    data = os.urandom(12 * MiB + 5)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3)
    s3.upload_fileobj(io.BytesIO(data), bucket, "managed.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="managed.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')
    out = io.BytesIO()
    s3.download_fileobj(bucket, "managed.bin", out, Config=cfg)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest()


# ===========================================================================
# virtual-host addressing


def test_virtual_host_addressing(lockstep, make_s3, s3, localhost_subdomains):
    endpoint = f"http://localhost:{lockstep.port}"
    vs3 = make_s3(endpoint=endpoint, addressing_style="virtual")
    name = unique_bucket_name("vh")
    vs3.create_bucket(Bucket=name)
    try:
        vs3.head_bucket(Bucket=name)
        vs3.put_object(Bucket=name, Key="dir/hello world+ü.txt", Body=b"virtual host")
        assert body_of(vs3, name, "dir/hello world+ü.txt") == b"virtual host"
        # The same object is visible through path-style requests.
        assert body_of(s3, name, "dir/hello world+ü.txt") == b"virtual host"
        assert [o["Key"] for o in vs3.list_objects_v2(Bucket=name)["Contents"]] == ["dir/hello world+ü.txt"]
        assert name in [b["Name"] for b in vs3.list_buckets()["Buckets"]]
        vs3.copy_object(Bucket=name, Key="copy", CopySource={"Bucket": name, "Key": "dir/hello world+ü.txt"})
        assert body_of(vs3, name, "copy") == b"virtual host"
        url = vs3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "copy"}, ExpiresIn=300)
        assert urllib.parse.urlsplit(url).hostname == f"{name}.localhost"
        status, body = _http("GET", url)
        assert (status, body) == (200, b"virtual host")
        vs3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "dir/hello world+ü.txt"}, {"Key": "copy"}]})
        assert vs3.list_objects_v2(Bucket=name)["KeyCount"] == 0
        expect_error(vs3.get_object, "NoSuchKey", 404, Bucket=name, Key="copy")
    finally:
        try:
            vs3.delete_bucket(Bucket=name)
        except ClientError:
            s3.delete_bucket(Bucket=name)
    expect_error(vs3.list_objects_v2, "NoSuchBucket", 404, Bucket=name)


# ===========================================================================
# large bodies


def _memory_mib(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as f:
        return {line.split(":")[0]: int(line.split()[1]) // 1024 for line in f
                if line.startswith(("VmRSS", "VmHWM"))}


def test_large_object_streams_without_buffering(spawn_lockstep):
    """A 96 MiB PUT, GET and multipart upload through a dedicated server: bytes round-trip and the
    server's peak memory grows by well under the object size (bodies are streamed, not buffered)."""
    from s3helpers import make_client

    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="large")
    base = _memory_mib(server.pid)["VmHWM"]
    data = os.urandom(96 * MiB)
    digest = hashlib.sha256(data).digest()
    s3.put_object(Bucket="large", Key="single", Body=data)
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    s3.upload_fileobj(io.BytesIO(data), "large", "multi", Config=cfg)
    for key in ("single", "multi"):
        body = s3.get_object(Bucket="large", Key=key)["Body"]
        h = hashlib.sha256()
        for chunk in iter(lambda: body.read(MiB), b""):
            h.update(chunk)
        assert h.digest() == digest, key
    grown = _memory_mib(server.pid)["VmHWM"] - base
    assert grown < 48, f"server peak RSS grew by {grown} MiB while moving 96 MiB objects"
