"""Server-side encryption through boto3 and hand-signed requests, checked against AWS S3 behaviour.

SSE-S3 (the default for every new object), SSE-KMS and DSSE-KMS with the AWS managed key and with
customer keys made through the KMS JSON API on the same endpoint, SSE-C, bucket default
encryption, multipart and ranged reads across part and 64 KiB frame boundaries, what ends up on
disk, restarts with the right and with a wrong root key, and Terraform's encrypted backends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3helpers import (
    REGION,
    MiB,
    ServerStartError,
    error_of,
    make_client,
    md5_b64,
    md5_hex,
    unique_bucket_name,
)
from terraform_support import TF_1_11, LockError, TfWire, UnlockError, lock_info_json, state_json

ACCOUNT = "000000000000"
KEY_ARN = re.compile(r"arn:aws:kms:(?P<region>[a-z0-9-]+):000000000000:key/"
                     r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
FRAME = 64 * 1024
PART = 5 * MiB
STACK_TRACE = re.compile(r"Traceback|Stack dump|Fatal error|Current stack trace|#\d+ 0x[0-9a-f]+|"
                         r"Illegal instruction|Segmentation fault", re.I)

SSE = "x-amz-server-side-encryption"
SSE_KMS_KEY = "x-amz-server-side-encryption-aws-kms-key-id"
SSE_BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
SSE_CONTEXT = "x-amz-server-side-encryption-context"
SSEC_ALG = "x-amz-server-side-encryption-customer-algorithm"
SSEC_KEY = "x-amz-server-side-encryption-customer-key"
SSEC_MD5 = "x-amz-server-side-encryption-customer-key-md5"


# ---------------------------------------------------------------------------
# helpers


def headers(resp) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


def expect_error(fn, code, status, **kwargs):
    """Call fn(**kwargs) and assert it fails with S3 error `code` and HTTP `status`."""
    with pytest.raises(ClientError) as ei:
        fn(**kwargs)
    got = error_of(ei.value)
    assert got == (code, status), ei.value.response.get("Error")
    return ei.value.response


def expect_head_status(s3, status, **kwargs):
    """HEAD has no body, so only the status tells the error apart."""
    with pytest.raises(ClientError) as ei:
        s3.head_object(**kwargs)
    assert error_of(ei.value)[1] == status, ei.value.response


def assert_sse_s3(resp):
    h = headers(resp)
    assert h.get(SSE) == "AES256", h
    assert SSE_KMS_KEY not in h and SSEC_ALG not in h, h


def assert_sse_kms(resp, key_arn: str, algorithm: str = "aws:kms", bucket_key: bool | None = None):
    h = headers(resp)
    assert h.get(SSE) == algorithm, h
    assert h.get(SSE_KMS_KEY) == key_arn, h
    if bucket_key:
        assert h.get(SSE_BUCKET_KEY) == "true", h
    elif bucket_key is not None:
        assert h.get(SSE_BUCKET_KEY) in (None, "false"), h


def assert_sse_c(resp, key: "CustomerKey"):
    h = headers(resp)
    assert h.get(SSEC_ALG) == "AES256", h
    assert h.get(SSEC_MD5) == key.md5, h
    assert SSE not in h and SSE_KMS_KEY not in h, h


def managed_key_arn(s3, bucket: str) -> str:
    """The ARN of the AWS managed key aws/s3, as reported for an `aws:kms` PUT without a key id."""
    resp = s3.put_object(Bucket=bucket, Key="managed-key-probe", Body=b"probe", ServerSideEncryption="aws:kms")
    arn = headers(resp).get(SSE_KMS_KEY)
    assert arn and KEY_ARN.fullmatch(arn), headers(resp)
    return arn


@dataclass(frozen=True)
class CustomerKey:
    """An SSE-C key: 32 raw bytes, sent base64-encoded with the base64 MD5 of the raw bytes."""

    raw: bytes

    @classmethod
    def new(cls) -> "CustomerKey":
        return cls(os.urandom(32))

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode()

    @property
    def md5(self) -> str:
        return md5_b64(self.raw)

    def params(self) -> dict:
        # botocore base64-encodes the key and adds the MD5 itself.
        return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": self.raw}

    def copy_source_params(self) -> dict:
        return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": self.raw}

    def headers(self) -> dict:
        return {SSEC_ALG: "AES256", SSEC_KEY: self.b64, SSEC_MD5: self.md5}

    def needles(self) -> list[bytes]:
        """Every form in which the key could have been written to disk."""
        return [self.raw, self.b64.encode(), self.raw.hex().encode(), self.raw.hex().upper().encode(),
                base64.urlsafe_b64encode(self.raw)]


def make_kms(server):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "kms", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60))


def new_alias() -> str:
    return f"alias/lockstep-test-{uuid.uuid4().hex[:12]}"


def create_key(kms, alias: str | None = None) -> dict:
    """A new symmetric customer key (its KeyMetadata), with `alias` pointing at it if given."""
    meta = kms.create_key(Description="lockstep client tests")["KeyMetadata"]
    m = KEY_ARN.fullmatch(meta["Arn"])
    assert m and m.group("id") == meta["KeyId"] and m.group("region") == REGION, meta
    assert meta["Enabled"] is True and meta["KeyState"] == "Enabled", meta
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    return meta


@pytest.fixture
def kms(lockstep):
    """boto3 KMS client against the endpoint under test (KMS JSON API on the S3 port)."""
    return make_kms(lockstep)


@dataclass(frozen=True)
class KmsKey:
    send_as: str  # what goes into x-amz-server-side-encryption-aws-kms-key-id
    arn: str      # what the server must report back


@pytest.fixture(params=["aws-managed-alias", "customer-key-id"])
def kms_key(request, s3, bucket_factory) -> KmsKey:
    """An SSE-KMS key to use: the AWS managed key named by its alias, or a new customer key by id."""
    if request.param == "aws-managed-alias":
        return KmsKey("alias/aws/s3", managed_key_arn(s3, bucket_factory("probe")))
    meta = create_key(request.getfixturevalue("kms"))
    return KmsKey(meta["KeyId"], meta["Arn"])


def patterned(size: int, seed: str) -> bytes:
    """Deterministic bytes that differ everywhere (a shifted range never compares equal)."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:size])


def check_ranges(s3, bucket: str, key: str, data: bytes, ranges: list[str], extra: dict | None = None,
                 check=None) -> None:
    """GET each Range and compare with the same slice of `data`."""
    total = len(data)
    for rng in ranges:
        spec = rng.split("=", 1)[1]
        first, last = spec.split("-", 1)
        if first == "":
            start, end = max(0, total - int(last)), total - 1
        else:
            start, end = int(first), min(int(last), total - 1) if last else total - 1
        resp = s3.get_object(Bucket=bucket, Key=key, Range=rng, **(extra or {}))
        body = resp["Body"].read()
        where = f"{key} {rng}"
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 206, (where, headers(resp))
        assert resp["ContentRange"] == f"bytes {start}-{end}/{total}", where
        assert resp["ContentLength"] == end - start + 1, where
        assert body == data[start:end + 1], f"{where}: wrong bytes (got {len(body)} bytes)"
        if check:
            check(resp)


def ranges_for(total: int, boundaries: list[int]) -> list[str]:
    """Ranges that start, end and straddle each boundary, plus suffix, open and single-byte ranges."""
    out = ["bytes=0-0", "bytes=0-15", f"bytes={total - 1}-{total - 1}", f"bytes={total - 1}-", "bytes=-1",
           "bytes=-100", f"bytes=-{FRAME + 10}", f"bytes={total // 3}-{2 * total // 3}", f"bytes=0-{total + 1000}"]
    for b in boundaries:
        if 16 <= b <= total - 16:
            out += [f"bytes={b - 6}-{b + 9}", f"bytes={b - 1}-{b}", f"bytes={b}-{b}", f"bytes={b - 1}-{b - 1}",
                    f"bytes={b}-{min(total - 1, b + FRAME - 1)}", f"bytes={max(0, b - FRAME)}-{b - 1}"]
    return out


# ===========================================================================
# SSE-S3: the default


def test_new_objects_default_to_sse_s3(s3, bucket):
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="plain", Body=data)
    assert_sse_s3(put)
    assert put["ServerSideEncryption"] == "AES256"
    get = s3.get_object(Bucket=bucket, Key="plain")
    assert get["Body"].read() == data
    assert_sse_s3(get)
    assert_sse_s3(s3.head_object(Bucket=bucket, Key="plain"))
    copy = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"})
    assert_sse_s3(copy)
    got = s3.get_object(Bucket=bucket, Key="copy")
    assert got["Body"].read() == data
    assert_sse_s3(got)
    # An explicit AES256 is the same thing.
    explicit = s3.put_object(Bucket=bucket, Key="explicit", Body=b"e", ServerSideEncryption="AES256")
    assert_sse_s3(explicit)
    assert_sse_s3(s3.head_object(Bucket=bucket, Key="explicit"))
    # multipart: every step reports AES256
    parts = [os.urandom(PART), os.urandom(1234)]
    create = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert_sse_s3(create)
    up = create["UploadId"]
    etags = []
    for n, p in enumerate(parts, 1):
        resp = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=p)
        assert_sse_s3(resp)
        etags.append(resp["ETag"])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    assert_sse_s3(done)
    get = s3.get_object(Bucket=bucket, Key="mp")
    assert get["Body"].read() == b"".join(parts)
    assert_sse_s3(get)


def test_invalid_encryption_headers(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="AES512")
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="aws:kms:nope")
    # A KMS key id is only valid with aws:kms (or aws:kms:dsse).
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 SSEKMSKeyId="alias/aws/s3")
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="AES256", SSEKMSKeyId="alias/aws/s3")
    expect_error(s3.create_multipart_upload, "InvalidArgument", 400, Bucket=bucket, Key="k",
                 ServerSideEncryption="AES512")
    expect_error(s3.copy_object, "InvalidArgument", 400, Bucket=bucket, Key="k",
                 CopySource={"Bucket": bucket, "Key": "src"}, ServerSideEncryption="AES512")
    # The encryption context must be base64 JSON of a string map.
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="aws:kms", SSEKMSEncryptionContext="not base64 at all!")
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="aws:kms", SSEKMSEncryptionContext=base64.b64encode(b"[1, 2]").decode())
    # SSE-C and another method at once.
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="k", Body=b"x",
                 ServerSideEncryption="AES256", **CustomerKey.new().params())
    # Nothing was stored by any of these.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]


# ===========================================================================
# SSE-KMS


def test_sse_kms_without_key_uses_the_aws_managed_key(s3, bucket):
    data = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ServerSideEncryption="aws:kms")
    arn = put["SSEKMSKeyId"]
    m = KEY_ARN.fullmatch(arn)
    assert m and m.group("region") == REGION, arn
    assert_sse_kms(put, arn)
    get = s3.get_object(Bucket=bucket, Key="k")
    assert get["Body"].read() == data
    assert_sse_kms(get, arn)
    assert_sse_kms(s3.head_object(Bucket=bucket, Key="k"), arn)
    # The same managed key every time, whatever name it is given by.
    names = {"second": None, "by-alias": "alias/aws/s3", "by-alias-arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3",
             "by-key-id": m.group("id"), "by-key-arn": arn}
    for key, key_id in names.items():
        body = key.encode() * 1000
        extra = {"SSEKMSKeyId": key_id} if key_id else {}
        resp = s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms", **extra)
        assert_sse_kms(resp, arn)
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == body, key
        assert_sse_kms(got, arn)


def test_sse_kms_customer_key_by_every_name(s3, kms, bucket):
    alias = new_alias()
    meta = create_key(kms, alias)
    arn = meta["Arn"]
    names = {"key-id": meta["KeyId"], "key-arn": arn, "alias": alias,
             "alias-arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"}
    for key, key_id in names.items():
        body = os.urandom(10_000)
        put = s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
        assert_sse_kms(put, arn)
        get = s3.get_object(Bucket=bucket, Key=key)
        assert get["Body"].read() == body, key
        assert_sse_kms(get, arn)
        assert_sse_kms(s3.head_object(Bucket=bucket, Key=key), arn)
    # A customer key is not the managed key.
    assert managed_key_arn(s3, bucket) != arn


def test_dsse_kms(s3, bucket):
    data = os.urandom(5000)
    put = s3.put_object(Bucket=bucket, Key="d", Body=data, ServerSideEncryption="aws:kms:dsse")
    arn = headers(put).get(SSE_KMS_KEY)
    assert arn and KEY_ARN.fullmatch(arn), headers(put)
    assert_sse_kms(put, arn, "aws:kms:dsse")
    get = s3.get_object(Bucket=bucket, Key="d")
    assert get["Body"].read() == data
    assert_sse_kms(get, arn, "aws:kms:dsse")
    assert_sse_kms(s3.head_object(Bucket=bucket, Key="d"), arn, "aws:kms:dsse")
    copy = s3.copy_object(Bucket=bucket, Key="d2", CopySource={"Bucket": bucket, "Key": "d"},
                          ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId="alias/aws/s3")
    assert_sse_kms(copy, arn, "aws:kms:dsse")
    assert s3.get_object(Bucket=bucket, Key="d2")["Body"].read() == data


def test_encryption_context_and_bucket_key(s3, bucket):
    context = {"project": "lockstep", "purpose": "client tests"}
    encoded = base64.b64encode(json.dumps(context).encode()).decode()
    data = os.urandom(3000)
    put = s3.put_object(Bucket=bucket, Key="ctx", Body=data, ServerSideEncryption="aws:kms",
                        SSEKMSEncryptionContext=encoded, BucketKeyEnabled=True)
    arn = put["SSEKMSKeyId"]
    assert_sse_kms(put, arn, bucket_key=True)
    assert put["BucketKeyEnabled"] is True
    echoed = headers(put).get(SSE_CONTEXT)
    assert echoed, headers(put)
    assert context.items() <= json.loads(base64.b64decode(echoed)).items()
    get = s3.get_object(Bucket=bucket, Key="ctx")
    assert get["Body"].read() == data
    assert_sse_kms(get, arn, bucket_key=True)
    assert s3.head_object(Bucket=bucket, Key="ctx")["BucketKeyEnabled"] is True
    # Reading needs no context; a copy to SSE-KMS takes one as well.
    s3.copy_object(Bucket=bucket, Key="ctx-copy", CopySource={"Bucket": bucket, "Key": "ctx"},
                   ServerSideEncryption="aws:kms", SSEKMSEncryptionContext=encoded)
    assert s3.get_object(Bucket=bucket, Key="ctx-copy")["Body"].read() == data


def test_unknown_kms_key(s3, bucket):
    unknown = str(uuid.uuid4())
    for key_id in (unknown, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{unknown}", "alias/lockstep-no-such-alias",
                   f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/lockstep-no-such-alias"):
        expect_error(s3.put_object, "KMS.NotFoundException", 400, Bucket=bucket, Key="k", Body=b"x",
                     ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    expect_error(s3.create_multipart_upload, "KMS.NotFoundException", 400, Bucket=bucket, Key="k",
                 ServerSideEncryption="aws:kms", SSEKMSKeyId=unknown)
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    expect_error(s3.copy_object, "KMS.NotFoundException", 400, Bucket=bucket, Key="k",
                 CopySource={"Bucket": bucket, "Key": "src"}, ServerSideEncryption="aws:kms", SSEKMSKeyId=unknown)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_disabled_key(s3, kms, bucket):
    meta = create_key(kms)
    data = os.urandom(20_000)
    s3.put_object(Bucket=bucket, Key="before", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=meta["KeyId"])
    kms.disable_key(KeyId=meta["KeyId"])
    expect_error(s3.put_object, "KMS.DisabledException", 400, Bucket=bucket, Key="during", Body=b"x",
                 ServerSideEncryption="aws:kms", SSEKMSKeyId=meta["KeyId"])
    expect_error(s3.get_object, "KMS.DisabledException", 400, Bucket=bucket, Key="before")
    # HEAD does not decrypt, so it still answers
    assert s3.head_object(Bucket=bucket, Key="before")["ContentLength"] == len(data)
    kms.enable_key(KeyId=meta["KeyId"])
    get = s3.get_object(Bucket=bucket, Key="before")
    assert get["Body"].read() == data
    assert_sse_kms(get, meta["Arn"])
    put = s3.put_object(Bucket=bucket, Key="after", Body=b"after", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=meta["Arn"])
    assert_sse_kms(put, meta["Arn"])
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"after"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["after", "before"]


def test_key_pending_deletion(s3, kms, bucket):
    alias = new_alias()
    meta = create_key(kms, alias)
    s3.put_object(Bucket=bucket, Key="before", Body=b"before", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)
    resp = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert resp["KeyState"] == "PendingDeletion"
    for key_id in (meta["KeyId"], meta["Arn"], alias):
        expect_error(s3.put_object, "KMS.KMSInvalidStateException", 400, Bucket=bucket, Key="during", Body=b"x",
                     ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    expect_error(s3.get_object, "KMS.KMSInvalidStateException", 400, Bucket=bucket, Key="before")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["before"]


def test_rotation_keeps_old_objects_readable(s3, kms, bucket):
    meta = create_key(kms)
    key_id = meta["KeyId"]
    old = os.urandom(3 * FRAME + 17)
    s3.put_object(Bucket=bucket, Key="old", Body=old, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    # A multipart upload that spans the rotation: one part before, one after.
    up = s3.create_multipart_upload(Bucket=bucket, Key="spanning", ServerSideEncryption="aws:kms",
                                    SSEKMSKeyId=key_id)["UploadId"]
    parts = [os.urandom(PART), os.urandom(999)]
    e1 = s3.upload_part(Bucket=bucket, Key="spanning", UploadId=up, PartNumber=1, Body=parts[0])["ETag"]
    kms.rotate_key_on_demand(KeyId=key_id)
    e2 = s3.upload_part(Bucket=bucket, Key="spanning", UploadId=up, PartNumber=2, Body=parts[1])["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="spanning", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    new = os.urandom(FRAME + 1)
    put = s3.put_object(Bucket=bucket, Key="new", Body=new, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert_sse_kms(put, meta["Arn"])
    for key, data in (("old", old), ("new", new), ("spanning", b"".join(parts))):
        get = s3.get_object(Bucket=bucket, Key=key)
        assert get["Body"].read() == data, key
        assert_sse_kms(get, meta["Arn"])
    check_ranges(s3, bucket, "old", old, [f"bytes={FRAME - 3}-{FRAME + 3}", "bytes=-20"])
    check_ranges(s3, bucket, "spanning", b"".join(parts), [f"bytes={PART - 5}-{PART + 5}"])
    # Rotating again changes nothing for any of them.
    kms.rotate_key_on_demand(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == old


def test_kms_key_arn_carries_the_server_region(spawn_lockstep):
    import boto3
    from botocore.config import Config

    server = spawn_lockstep(region="eu-west-1")
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name="eu-west-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
    s3.create_bucket(Bucket="regional", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    put = s3.put_object(Bucket="regional", Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    m = KEY_ARN.fullmatch(put["SSEKMSKeyId"])
    assert m and m.group("region") == "eu-west-1", put["SSEKMSKeyId"]
    by_alias_arn = s3.put_object(Bucket="regional", Key="k2", Body=b"y", ServerSideEncryption="aws:kms",
                                 SSEKMSKeyId=f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/s3")
    assert by_alias_arn["SSEKMSKeyId"] == put["SSEKMSKeyId"]


# ===========================================================================
# bucket default encryption


@pytest.mark.parametrize("which", ["aws-managed-default", "aws-managed-key-arn", "customer-alias"])
def test_bucket_default_kms(s3, bucket, request, which):
    if which == "customer-alias":
        alias = new_alias()
        meta = create_key(request.getfixturevalue("kms"), alias)
        key_id, arn = alias, meta["Arn"]
    else:
        arn = managed_key_arn(s3, bucket)
        key_id = arn if which == "aws-managed-key-arn" else None
    s3.put_object(Bucket=bucket, Key="before", Body=b"before")
    by_default = {"SSEAlgorithm": "aws:kms"}
    if key_id:
        by_default["KMSMasterKeyID"] = key_id
    rule = {"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": True}
    put_conf = s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert put_conf["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {"Rules": [rule]}

    # PutObject without SSE headers
    data = os.urandom(2 * FRAME + 5)
    put = s3.put_object(Bucket=bucket, Key="default", Body=data)
    assert_sse_kms(put, arn, bucket_key=True)
    get = s3.get_object(Bucket=bucket, Key="default")
    assert get["Body"].read() == data
    assert_sse_kms(get, arn, bucket_key=True)
    # CopyObject without SSE headers: the destination takes the bucket default
    copy = s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "before"})
    assert_sse_kms(copy, arn)
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"before"
    # multipart upload without SSE headers
    create = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert_sse_kms(create, arn)
    parts = [os.urandom(PART), os.urandom(10)]
    etags = []
    for n, p in enumerate(parts, 1):
        resp = s3.upload_part(Bucket=bucket, Key="mp", UploadId=create["UploadId"], PartNumber=n, Body=p)
        assert_sse_kms(resp, arn)
        etags.append(resp["ETag"])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=create["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    assert_sse_kms(done, arn)
    get = s3.get_object(Bucket=bucket, Key="mp")
    assert get["Body"].read() == b"".join(parts)
    assert_sse_kms(get, arn)
    # explicit headers still win over the default
    assert_sse_s3(s3.put_object(Bucket=bucket, Key="explicit", Body=b"e", ServerSideEncryption="AES256"))
    # objects written before the configuration keep their encryption
    assert_sse_s3(s3.head_object(Bucket=bucket, Key="before"))

    deleted = s3.delete_bucket_encryption(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}
    assert_sse_s3(s3.put_object(Bucket=bucket, Key="after", Body=b"after"))
    # the objects written under the KMS default still read
    assert s3.get_object(Bucket=bucket, Key="default")["Body"].read() == data


def test_bucket_encryption_aes256_and_invalid_configurations(s3, bucket):
    # a bucket that was never configured reports SSE-S3
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {"Rules": [rule]}
    expect_error(s3.get_bucket_encryption, "NoSuchBucket", 404, Bucket=unique_bucket_name())
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {"Rules": [rule]}
    assert_sse_s3(s3.put_object(Bucket=bucket, Key="k", Body=b"x"))
    # a KMS key with AES256 is not a valid default
    expect_error(s3.put_bucket_encryption, "InvalidArgument", 400, Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "alias/aws/s3"}}]})
    expect_error(s3.put_bucket_encryption, "NoSuchBucket", 404, Bucket=unique_bucket_name(),
                 ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {"Rules": [rule]}


# ===========================================================================
# SSE-C


def test_sse_c_round_trip_and_errors(s3, bucket):
    key, other = CustomerKey.new(), CustomerKey.new()
    data = os.urandom(3 * FRAME + 100)
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, **key.params())
    assert_sse_c(put, key)
    assert put["SSECustomerKeyMD5"] == key.md5
    # GET/HEAD without the key
    expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key="c")
    expect_head_status(s3, 400, Bucket=bucket, Key="c")
    # with another key
    expect_error(s3.get_object, "AccessDenied", 403, Bucket=bucket, Key="c", **other.params())
    expect_head_status(s3, 403, Bucket=bucket, Key="c", **other.params())
    # with the right key
    get = s3.get_object(Bucket=bucket, Key="c", **key.params())
    assert get["Body"].read() == data
    assert_sse_c(get, key)
    head = s3.head_object(Bucket=bucket, Key="c", **key.params())
    assert head["ContentLength"] == len(data)
    assert_sse_c(head, key)
    check_ranges(s3, bucket, "c", data, [f"bytes={FRAME - 2}-{FRAME + 2}", "bytes=-5"], extra=key.params(),
                 check=lambda r: assert_sse_c(r, key))
    # a wrong algorithm, a short key
    expect_error(s3.put_object, "InvalidEncryptionAlgorithmError", 400, Bucket=bucket, Key="x", Body=b"x",
                 SSECustomerAlgorithm="AES128", SSECustomerKey=key.raw)
    expect_error(s3.put_object, "InvalidArgument", 400, Bucket=bucket, Key="x", Body=b"x",
                 SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(16))
    # overwriting with another key: only the new key reads it
    s3.put_object(Bucket=bucket, Key="c", Body=b"second", **other.params())
    expect_error(s3.get_object, "AccessDenied", 403, Bucket=bucket, Key="c", **key.params())
    assert s3.get_object(Bucket=bucket, Key="c", **other.params())["Body"].read() == b"second"
    # SSE-C headers on an object that is not SSE-C encrypted
    s3.put_object(Bucket=bucket, Key="s3", Body=b"sse-s3")
    s3.put_object(Bucket=bucket, Key="kms", Body=b"sse-kms", ServerSideEncryption="aws:kms")
    for k in ("s3", "kms"):
        expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key=k, **key.params())
        expect_head_status(s3, 400, Bucket=bucket, Key=k, **key.params())
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"sse-kms"


def test_sse_c_key_md5_mismatch(raw, s3, bucket):
    key, other = CustomerKey.new(), CustomerKey.new()
    hdrs = dict(key.headers())
    hdrs[SSEC_MD5] = other.md5
    resp = raw.request("PUT", f"/{bucket}/mismatch", headers=hdrs, body=b"data")
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", (resp.status, resp.body)
    # The key MD5 missing altogether.
    resp = raw.request("PUT", f"/{bucket}/mismatch", headers={SSEC_ALG: "AES256", SSEC_KEY: key.b64}, body=b"data")
    assert resp.status == 400 and resp.error_code() == "InvalidArgument", (resp.status, resp.body)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # The same three headers by hand, correctly: stored, and the echo is exact.
    resp = raw.request("PUT", f"/{bucket}/by-hand", headers=key.headers(), body=b"by hand")
    assert resp.status == 200, resp.body
    assert resp.header(SSEC_ALG) == "AES256" and resp.header(SSEC_MD5) == key.md5
    assert resp.header(SSE) is None
    got = raw.request("GET", f"/{bucket}/by-hand", headers=key.headers())
    assert got.status == 200 and got.body == b"by hand"
    assert got.header(SSEC_MD5) == key.md5


def test_copy_from_sse_c_source(s3, bucket):
    src_key, dst_key = CustomerKey.new(), CustomerKey.new()
    data = os.urandom(2 * FRAME + 33)
    s3.put_object(Bucket=bucket, Key="src", Body=data, **src_key.params())
    source = {"Bucket": bucket, "Key": "src"}
    # without, or with the wrong, source key
    expect_error(s3.copy_object, "InvalidRequest", 400, Bucket=bucket, Key="x", CopySource=source)
    expect_error(s3.copy_object, "AccessDenied", 403, Bucket=bucket, Key="x", CopySource=source,
                 **dst_key.copy_source_params())
    # to SSE-S3
    resp = s3.copy_object(Bucket=bucket, Key="to-s3", CopySource=source, **src_key.copy_source_params())
    assert_sse_s3(resp)
    get = s3.get_object(Bucket=bucket, Key="to-s3")
    assert get["Body"].read() == data
    assert_sse_s3(get)
    # to SSE-KMS
    resp = s3.copy_object(Bucket=bucket, Key="to-kms", CopySource=source, ServerSideEncryption="aws:kms",
                          **src_key.copy_source_params())
    arn = resp["SSEKMSKeyId"]
    assert KEY_ARN.fullmatch(arn)
    assert_sse_kms(resp, arn)
    get = s3.get_object(Bucket=bucket, Key="to-kms")
    assert get["Body"].read() == data
    assert_sse_kms(get, arn)
    # to another SSE-C key
    resp = s3.copy_object(Bucket=bucket, Key="to-c", CopySource=source, **src_key.copy_source_params(),
                          **dst_key.params())
    assert_sse_c(resp, dst_key)
    expect_error(s3.get_object, "AccessDenied", 403, Bucket=bucket, Key="to-c", **src_key.params())
    get = s3.get_object(Bucket=bucket, Key="to-c", **dst_key.params())
    assert get["Body"].read() == data
    assert_sse_c(get, dst_key)
    # onto itself with the same key (a metadata replace)
    s3.copy_object(Bucket=bucket, Key="src", CopySource=source, MetadataDirective="REPLACE", Metadata={"m": "1"},
                   **src_key.copy_source_params(), **src_key.params())
    got = s3.get_object(Bucket=bucket, Key="src", **src_key.params())
    assert got["Body"].read() == data and got["Metadata"] == {"m": "1"}
    # and from SSE-S3 into SSE-C
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    resp = s3.copy_object(Bucket=bucket, Key="plain-to-c", CopySource={"Bucket": bucket, "Key": "plain"},
                          **dst_key.params())
    assert_sse_c(resp, dst_key)
    expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key="plain-to-c")
    assert s3.get_object(Bucket=bucket, Key="plain-to-c", **dst_key.params())["Body"].read() == b"plain"


def test_multipart_sse_c(s3, bucket):
    key = CustomerKey.new()
    create = s3.create_multipart_upload(Bucket=bucket, Key="mp", **key.params())
    assert_sse_c(create, key)
    up = create["UploadId"]
    parts = [patterned(PART, "c1"), patterned(PART, "c2"), patterned(FRAME + 7, "c3")]
    # every part needs the key
    expect_error(s3.upload_part, "InvalidRequest", 400, Bucket=bucket, Key="mp", UploadId=up, PartNumber=1,
                 Body=parts[0])
    etags = []
    for n, p in enumerate(parts, 1):
        resp = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=p, **key.params())
        assert_sse_c(resp, key)
        etags.append(resp["ETag"])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]}, **key.params())
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 200
    data = b"".join(parts)
    expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key="mp")
    expect_error(s3.get_object, "AccessDenied", 403, Bucket=bucket, Key="mp", **CustomerKey.new().params())
    get = s3.get_object(Bucket=bucket, Key="mp", **key.params())
    assert get["Body"].read() == data
    assert_sse_c(get, key)
    check_ranges(s3, bucket, "mp", data, ranges_for(len(data), [FRAME, PART, PART + FRAME, 2 * PART]),
                 extra=key.params(), check=lambda r: assert_sse_c(r, key))


# ===========================================================================
# multipart SSE-KMS and ranged reads


def test_multipart_sse_kms_with_part_copy_and_ranges(s3, bucket, kms_key):
    source = patterned(6 * MiB, "copy-source")
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    create = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms",
                                        SSEKMSKeyId=kms_key.send_as)
    assert create["ServerSideEncryption"] == "aws:kms" and create["SSEKMSKeyId"] == kms_key.arn
    up = create["UploadId"]
    part1 = patterned(PART, "part-1")
    r1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=part1)
    assert r1["ServerSideEncryption"] == "aws:kms" and r1["SSEKMSKeyId"] == kms_key.arn
    # part 2 copied out of the middle of an SSE-S3 object, not frame-aligned
    r2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange="bytes=1000-5243879")
    assert r2["ServerSideEncryption"] == "aws:kms" and r2["SSEKMSKeyId"] == kms_key.arn
    part2 = source[1000:5243880]
    assert len(part2) == PART
    part3 = patterned(FRAME + 70_001, "part-3")
    r3 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=3, Body=part3)
    assert r3["ServerSideEncryption"] == "aws:kms" and r3["SSEKMSKeyId"] == kms_key.arn
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": r1["ETag"]}, {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]},
        {"PartNumber": 3, "ETag": r3["ETag"]}]})
    assert done["ServerSideEncryption"] == "aws:kms" and done["SSEKMSKeyId"] == kms_key.arn
    data = part1 + part2 + part3
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert head["ContentLength"] == len(data)
    assert_sse_kms(head, kms_key.arn)
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == data
    total = len(data)
    ranges = ranges_for(total, [FRAME, 2 * FRAME, PART, PART + FRAME, 2 * PART, 2 * PART + FRAME]) + [
        "bytes=65530-65545", "bytes=5242870-5242890", f"bytes={PART - FRAME // 2}-{2 * PART + FRAME // 2}",
        f"bytes=-{len(part3)}", f"bytes=-{len(part3) + 1}", f"bytes={2 * PART}-"]
    check_ranges(s3, bucket, "mp", data, ranges, check=lambda r: assert_sse_kms(r, kms_key.arn))
    # the copy source is untouched
    assert s3.get_object(Bucket=bucket, Key="source")["Body"].read() == source


def test_single_put_ranges_across_frames(s3, bucket):
    key = CustomerKey.new()
    modes = {"sse-s3": {}, "sse-kms": {"ServerSideEncryption": "aws:kms"},
             "dsse-kms": {"ServerSideEncryption": "aws:kms:dsse"}, "sse-c": key.params()}
    for mode, extra_put in modes.items():
        extra_get = key.params() if mode == "sse-c" else {}
        for size in (0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * MiB + 12345):
            data = patterned(size, f"{mode}-{size}")
            name = f"{mode}/{size}"
            s3.put_object(Bucket=bucket, Key=name, Body=data, **extra_put)
            got = s3.get_object(Bucket=bucket, Key=name, **extra_get)
            assert got["Body"].read() == data, name
            assert got["ContentLength"] == size, name
            head = s3.head_object(Bucket=bucket, Key=name, **extra_get)
            assert head["ContentLength"] == size and head["ETag"] == got["ETag"], name
            if size:
                inner = list(range(FRAME, size, FRAME))
                check_ranges(s3, bucket, name, data, ranges_for(size, inner[:3] + inner[-2:]), extra=extra_get)
            else:
                expect_error(s3.get_object, "InvalidRange", 416, Bucket=bucket, Key=name, Range="bytes=0-0",
                             **extra_get)
        # a range that starts at the end is unsatisfiable
        expect_error(s3.get_object, "InvalidRange", 416, Bucket=bucket, Key=f"{mode}/{FRAME}",
                     Range=f"bytes={FRAME}-{FRAME + 10}", **extra_get)


def test_sizes_and_sse_s3_etags_describe_the_plaintext(s3, bucket):
    """Sizes in HEAD, listings and ListParts are those of the plaintext, and an SSE-S3 object keeps
    the MD5 ETag (on AWS, SSE-KMS and SSE-C ETags are not an MD5 of the data, so they are not checked)."""
    data = os.urandom(FRAME * 2 + 3)
    plain = s3.put_object(Bucket=bucket, Key="s3", Body=data)
    assert plain["ETag"] == f'"{md5_hex(data)}"'
    s3.put_object(Bucket=bucket, Key="kms", Body=data, ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=bucket, Key="c", Body=data, **CustomerKey.new().params())
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("c", len(data)), ("kms", len(data)), ("s3", len(data))]
    assert [o["ETag"] for o in listed if o["Key"] == "s3"] == [plain["ETag"]]
    assert s3.head_object(Bucket=bucket, Key="kms")["ContentLength"] == len(data)
    for extra in ({}, {"ServerSideEncryption": "aws:kms"}):
        up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **extra)["UploadId"]
        p = os.urandom(PART + 1)
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=p)
        parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)["Parts"]
        assert [(x["PartNumber"], x["Size"]) for x in parts] == [(1, len(p))], extra
        if not extra:
            assert parts[0]["ETag"] == f'"{md5_hex(p)}"'
        s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)


# ===========================================================================
# what is on disk


def server_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    env.update(extra)
    return env


def scan_for(data_dir: Path, needles: dict[str, bytes]) -> list[str]:
    """Every (file, needle name) where a needle occurs in a file under data_dir."""
    hits = []
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files, f"no files under {data_dir}"
    for path in files:
        content = path.read_bytes()
        for name, needle in needles.items():
            if needle in content:
                hits.append(f"{path.relative_to(data_dir)}: {name}")
    return hits


def test_no_plaintext_or_customer_key_on_disk(spawn_lockstep, tmp_path):
    data_dir = tmp_path / "disk-data"
    server = spawn_lockstep(data_dir)
    s3 = make_client(server)
    s3.create_bucket(Bucket="disk")
    marker = b"LOCKSTEP-PLAINTEXT-MARKER-" + secrets.token_hex(16).encode()
    ckey = CustomerKey.new()

    def body(size: int) -> bytes:
        return (marker * (size // len(marker) + 1))[:size]

    objects = {
        "tiny": (marker, {}, {}),
        "small-sse-s3": (body(64 * 1024), {}, {}),
        "large-sse-s3": (body(3 * MiB), {}, {}),
        "sse-kms": (body(64 * 1024), {"ServerSideEncryption": "aws:kms"}, {}),
        "dsse-kms": (body(100_000), {"ServerSideEncryption": "aws:kms:dsse"}, {}),
        "sse-c": (body(64 * 1024), ckey.params(), ckey.params()),
        "sse-c-tiny": (marker, ckey.params(), ckey.params()),
    }
    for key, (data, put_extra, _) in objects.items():
        s3.put_object(Bucket="disk", Key=key, Body=data, **put_extra)
    s3.copy_object(Bucket="disk", Key="copy", CopySource={"Bucket": "disk", "Key": "small-sse-s3"})
    objects["copy"] = (objects["small-sse-s3"][0], {}, {})
    # a completed multipart upload, and one left open with a part stored
    parts = [body(PART), body(1000)]
    up = s3.create_multipart_upload(Bucket="disk", Key="mp", ServerSideEncryption="aws:kms")["UploadId"]
    etags = [s3.upload_part(Bucket="disk", Key="mp", UploadId=up, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    s3.complete_multipart_upload(Bucket="disk", Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    objects["mp"] = (b"".join(parts), {}, {})
    open_up = s3.create_multipart_upload(Bucket="disk", Key="open", **ckey.params())["UploadId"]
    s3.upload_part(Bucket="disk", Key="open", UploadId=open_up, PartNumber=1, Body=body(200_000), **ckey.params())

    needles = {"plaintext marker": marker}
    needles.update({f"SSE-C key form {i}": n for i, n in enumerate(ckey.needles())})

    # After a crash (the SQLite WAL and any temporary files are still there) ...
    server.kill9()
    assert scan_for(data_dir, needles) == []
    # ... and after a clean stop.
    server.start()
    s3 = make_client(server)
    for key, (data, _, get_extra) in objects.items():
        assert s3.get_object(Bucket="disk", Key=key, **get_extra)["Body"].read() == data, key
    assert server.stop() == 0, server.describe()
    assert scan_for(data_dir, needles) == []
    root_key = data_dir / "root.key"
    assert root_key.is_file()
    assert stat.S_IMODE(root_key.stat().st_mode) == 0o600, oct(root_key.stat().st_mode)


# ===========================================================================
# restarts and the root key


def write_samples(s3, bucket: str, ckey: CustomerKey) -> dict:
    """{key: (data, GET extras, check)} for one object of each kind."""
    s3.create_bucket(Bucket=bucket)
    samples = {}

    def put(key, data, put_extra=None, get_extra=None):
        resp = s3.put_object(Bucket=bucket, Key=key, Body=data, **(put_extra or {}))
        samples[key] = (data, get_extra or {}, {k: v for k, v in headers(resp).items()
                                                if k in (SSE, SSE_KMS_KEY, SSEC_ALG, SSEC_MD5)})

    put("sse-s3", os.urandom(1000))
    put("sse-s3-large", os.urandom(2 * MiB + 3))
    put("sse-kms", os.urandom(FRAME + 9), {"ServerSideEncryption": "aws:kms"})
    put("dsse-kms", os.urandom(500), {"ServerSideEncryption": "aws:kms:dsse"})
    put("sse-c", os.urandom(FRAME * 2), ckey.params(), ckey.params())
    parts = [os.urandom(PART), os.urandom(77)]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp-kms", ServerSideEncryption="aws:kms")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mp-kms", UploadId=up, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp-kms", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    samples["mp-kms"] = (b"".join(parts), {}, {SSE: "aws:kms", SSE_KMS_KEY: done["SSEKMSKeyId"]})
    return samples


def verify_samples(s3, bucket: str, samples: dict) -> None:
    for key, (data, get_extra, sse) in samples.items():
        get = s3.get_object(Bucket=bucket, Key=key, **get_extra)
        assert get["Body"].read() == data, key
        assert {k: v for k, v in headers(get).items() if k in sse} == sse, key
    ssec = samples["sse-c"]
    expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key="sse-c")
    assert s3.get_object(Bucket=bucket, Key="sse-c", Range="bytes=10-19", **ssec[1])["Body"].read() == ssec[0][10:20]


def assert_refused_start(proc) -> None:
    with pytest.raises(ServerStartError):
        proc.start()
    rc = proc.proc.poll()
    assert rc is not None and rc != 0, proc.describe()
    err = proc.stderr_text()
    assert any("root key" in line.lower() for line in err.splitlines()), proc.describe()
    assert not STACK_TRACE.search(err), err
    assert not any('"event":"ready"' in line.replace(" ", "") for line in proc.stdout_lines)


@pytest.mark.parametrize("source", ["generated-file", "environment"])
def test_restart_and_wrong_root_key(spawn_lockstep, tmp_path, source):
    data_dir = tmp_path / "rk-data"
    right = base64.b64encode(os.urandom(32)).decode()
    wrong = base64.b64encode(os.urandom(32)).decode()
    env = server_env(LOCKSTEP_ROOT_KEY=right) if source == "environment" else server_env()
    server = spawn_lockstep(data_dir, env=env)
    s3 = make_client(server)
    ckey = CustomerKey.new()
    samples = write_samples(s3, "restart", ckey)
    verify_samples(s3, "restart", samples)

    assert server.stop() == 0, server.describe()
    server.start()
    verify_samples(make_client(server), "restart", samples)
    assert server.stop() == 0, server.describe()

    keyring_files = {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name in ("keyring", "root.key")}
    assert "keyring" in keyring_files
    if source == "environment":
        # a root key given in the environment is never written into the data dir
        right_raw = base64.b64decode(right)
        assert scan_for(data_dir, {"root key (base64)": right.encode(), "root key (raw)": right_raw}) == []
    else:
        assert "root.key" in keyring_files

    bad = spawn_lockstep(data_dir, start=False, env=server_env(LOCKSTEP_ROOT_KEY=wrong))
    assert_refused_start(bad)
    # nothing was replaced: the keyring and root key file are byte for byte what they were
    assert {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name in keyring_files} == keyring_files

    server.start()
    s3 = make_client(server)
    verify_samples(s3, "restart", samples)
    # and it is fully usable: new objects of every kind
    more = write_samples(s3, "restart-again", ckey)
    verify_samples(s3, "restart-again", more)
    assert more["sse-kms"][2][SSE_KMS_KEY] == samples["sse-kms"][2][SSE_KMS_KEY]


def test_restart_keeps_customer_keys_aliases_and_states(spawn_lockstep, tmp_path):
    data_dir = tmp_path / "kms-data"
    server = spawn_lockstep(data_dir)
    s3, kms = make_client(server), make_kms(server)
    s3.create_bucket(Bucket="keys")
    alias = new_alias()
    active = create_key(kms, alias)
    disabled = create_key(kms)
    rotated = create_key(kms)
    data = {"by-alias": os.urandom(FRAME + 1), "rotated": os.urandom(999)}
    s3.put_object(Bucket="keys", Key="by-alias", Body=data["by-alias"], ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=alias)
    s3.put_object(Bucket="keys", Key="rotated", Body=data["rotated"], ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=rotated["KeyId"])
    kms.rotate_key_on_demand(KeyId=rotated["KeyId"])
    kms.disable_key(KeyId=disabled["KeyId"])
    assert server.stop() == 0, server.describe()

    server.start()
    s3, kms = make_client(server), make_kms(server)
    for key, body in data.items():
        assert s3.get_object(Bucket="keys", Key=key)["Body"].read() == body, key
    put = s3.put_object(Bucket="keys", Key="alias-again", Body=b"a", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=alias)
    assert_sse_kms(put, active["Arn"])
    expect_error(s3.put_object, "KMS.DisabledException", 400, Bucket="keys", Key="x", Body=b"x",
                 ServerSideEncryption="aws:kms", SSEKMSKeyId=disabled["KeyId"])
    put = s3.put_object(Bucket="keys", Key="after-rotation", Body=b"r", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=rotated["KeyId"])
    assert_sse_kms(put, rotated["Arn"])
    assert s3.get_object(Bucket="keys", Key="after-rotation")["Body"].read() == b"r"


# ===========================================================================
# Terraform's encrypted S3 backend on the wire


class SseTfWire(TfWire):
    """Terraform >= 1.11 with `encrypt = true` and optionally `kms_key_id` or `sse_customer_key`:
    the SSE headers on every PUT; SSE-C headers also on the state HEAD/GET and on the unlock's GET,
    but not on the lock-info GET after a refused lock, nor on DELETE (as the backend does)."""

    def __init__(self, server, bucket: str, put_headers: dict, read_headers: dict):
        super().__init__(server, bucket, TF_1_11)
        self.put_headers = put_headers
        self.read_headers = read_headers
        self._with_read_headers = False

    def _sse_headers(self) -> dict:
        return dict(self.put_headers)

    def send(self, method, key, query=None, headers=None, body=b"", x_id=None, base=None):
        if self._with_read_headers and method in ("HEAD", "GET"):
            headers = dict(headers or {}, **self.read_headers)
        return super().send(method, key, query, headers, body, x_id, base)

    def read_state(self, workspace: str = "default"):
        self._with_read_headers = True
        try:
            return super().read_state(workspace)
        finally:
            self._with_read_headers = False

    def unlock(self, lock_id: str, workspace: str = "default"):
        self._with_read_headers = True
        try:
            get = self.get_lock_info(workspace)
        finally:
            self._with_read_headers = False
        if get.status != 200:
            raise UnlockError(get.describe())
        if json.loads(get.body).get("ID") != lock_id:
            raise UnlockError(f"lock ID mismatch: {get.body!r}")
        ex = self.send("DELETE", self.lock_key(workspace), x_id="DeleteObject")
        assert ex.status == 204, ex.describe()
        return ex


@pytest.mark.parametrize("mode", ["encrypt", "encrypt+kms_key_id", "encrypt+sse_customer_key"])
def test_terraform_encrypted_backend(lockstep, s3, bucket, request, mode):
    ckey = CustomerKey.new()
    if mode == "encrypt":
        put_headers, read_headers = {SSE: "AES256"}, {}
        expect = {SSE: "AES256"}
    elif mode == "encrypt+kms_key_id":
        meta = create_key(request.getfixturevalue("kms"))
        put_headers, read_headers = {SSE: "aws:kms", SSE_KMS_KEY: meta["KeyId"]}, {}
        expect = {SSE: "aws:kms", SSE_KMS_KEY: meta["Arn"]}
    else:
        put_headers = read_headers = ckey.headers()
        expect = {SSEC_ALG: "AES256", SSEC_MD5: ckey.md5}

    def sse_of(ex) -> dict:
        return {k: ex.header(k) for k in expect}

    first = SseTfWire(lockstep, bucket, put_headers, read_headers)
    second = SseTfWire(lockstep, bucket, put_headers, read_headers)
    try:
        # apply: lock, read (nothing yet), write, read back
        info = lock_info_json(first.lock_path(), "OperationTypeApply", TF_1_11.version)
        lock_id = json.loads(info)["ID"]
        put = first.lock(info)
        assert put.status == 200, put.describe()
        assert put.request_headers["if-none-match"] == "*"
        assert put.request_headers["x-amz-checksum-sha256"]
        assert sse_of(put) == expect, put.describe()
        assert first.read_state() is None
        state = state_json(1, str(uuid.uuid4()), {"mode": mode})
        [written] = first.write_state(state)
        assert written.status == 200 and sse_of(written) == expect, written.describe()
        assert all(written.request_headers.get(k.lower()) == v for k, v in put_headers.items())
        mark = len(first.log)
        assert first.read_state() == state
        head, get = first.log[mark:]
        assert head.method == "HEAD" and head.status == 200 and sse_of(head) == expect, head.describe()
        assert get.method == "GET" and get.status in (200, 206) and sse_of(get) == expect, get.describe()

        # a second apply while the lock is held: 412, then the lock-info GET without SSE-C headers
        other = lock_info_json(second.lock_path(), "OperationTypeApply", TF_1_11.version, who="bob@desktop")
        with pytest.raises(LockError) as ei:
            second.lock(other)
        refused = ei.value
        assert refused.put.status == 412 and refused.put.error_code() == "PreconditionFailed", refused.put.describe()
        assert SSEC_KEY not in refused.get.request_headers
        if mode == "encrypt+sse_customer_key":
            # exactly as on AWS: the holder's info cannot be read without the key
            assert refused.get.status == 400 and refused.get.error_code() == "InvalidRequest", refused.get.describe()
            assert refused.info is None
        else:
            assert refused.get.status == 200 and refused.get.body == info, refused.get.describe()
            assert sse_of(refused.get) == expect
            assert refused.info["ID"] == lock_id

        # unlock: GET with the SSE-C headers, then DELETE
        mark = len(first.log)
        first.unlock(lock_id)
        unlock_get, delete = first.log[mark:]
        assert unlock_get.status == 200 and unlock_get.body == info, unlock_get.describe()
        assert all(unlock_get.request_headers.get(k.lower()) == v for k, v in read_headers.items())
        assert delete.status == 204 and SSEC_KEY not in delete.request_headers
        # the second apply can now lock
        assert second.lock_put(other).status == 200
        second.unlock(json.loads(other)["ID"])
    finally:
        first.wire.close()
        second.wire.close()

    # what the state object holds, seen through boto3
    extra = ckey.params() if mode == "encrypt+sse_customer_key" else {}
    got = s3.get_object(Bucket=bucket, Key=first.key, **extra)
    assert got["Body"].read() == state
    assert {k: headers(got).get(k) for k in expect} == expect
    if extra:
        expect_error(s3.get_object, "InvalidRequest", 400, Bucket=bucket, Key=first.key)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [first.key]
