"""Server-side encryption through the aws CLI: `s3 cp` with --sse, --sse-kms-key-id and --sse-c
(multipart uploads, downloads and server-side copies), `s3api` encryption options and bucket
encryption, and KMS keys made with `aws kms`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from s3helpers import MiB, error_of, md5_b64

KEY_ARN = re.compile(r"arn:aws:kms:us-east-1:000000000000:key/"
                     r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MULTIPART_ETAG = re.compile(r'"[0-9a-f]{32}-\d+"')


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli_json(aws, *args) -> dict:
    out = aws(*args, "--output", "json").stdout
    return json.loads(out) if out.strip() else {}


def head(aws, bucket: str, key: str, *extra) -> dict:
    return cli_json(aws, "s3api", "head-object", "--bucket", bucket, "--key", key, *extra)


def create_key_with_alias(aws) -> tuple[str, dict]:
    """(alias name, KeyMetadata) of a new customer key made with `aws kms`."""
    meta = cli_json(aws, "kms", "create-key", "--description", "lockstep cli tests")["KeyMetadata"]
    assert KEY_ARN.fullmatch(meta["Arn"]) and meta["Arn"].endswith("/" + meta["KeyId"]), meta
    alias = f"alias/lockstep-cli-{uuid.uuid4().hex[:12]}"
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"])
    return alias, meta


def managed_key_arn(s3, bucket: str) -> str:
    resp = s3.put_object(Bucket=bucket, Key="managed-key-probe", Body=b"p", ServerSideEncryption="aws:kms")
    assert KEY_ARN.fullmatch(resp["SSEKMSKeyId"]), resp["SSEKMSKeyId"]
    return resp["SSEKMSKeyId"]


def test_cp_sse_aes256_multipart(aws, s3, bucket, tmp_path):
    data = os.urandom(9 * MiB + 321)  # above the CLI's 8 MiB multipart threshold
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/aes.bin", "--sse", "AES256")
    meta = s3.head_object(Bucket=bucket, Key="aes.bin")
    assert meta["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in meta, meta
    assert MULTIPART_ETAG.fullmatch(meta["ETag"]) and meta["ContentLength"] == len(data), meta
    dst = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/aes.bin", dst)
    assert sha(dst.read_bytes()) == sha(data)


@pytest.mark.parametrize("which", ["aws-managed", "customer"])
def test_cp_sse_kms_with_alias(aws, s3, bucket, tmp_path, which):
    if which == "aws-managed":
        alias, arn = "alias/aws/s3", managed_key_arn(s3, bucket)
    else:
        alias, meta = create_key_with_alias(aws)
        arn = meta["Arn"]
    data = os.urandom(9 * MiB + 5)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/kms.bin", "--sse", "aws:kms", "--sse-kms-key-id", alias)
    meta = head(aws, bucket, "kms.bin")
    assert meta["ServerSideEncryption"] == "aws:kms" and meta["SSEKMSKeyId"] == arn, meta
    assert MULTIPART_ETAG.fullmatch(meta["ETag"]), meta
    dst = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/kms.bin", dst)
    assert sha(dst.read_bytes()) == sha(data)


def test_cp_sse_c_20mib_and_server_side_copies(aws, s3, bucket, tmp_path):
    key, key2 = os.urandom(32), os.urandom(32)
    (tmp_path / "key.bin").write_bytes(key)
    (tmp_path / "key2.bin").write_bytes(key2)
    with_key = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{tmp_path / 'key.bin'}"]
    data = os.urandom(20 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/ssec.bin", *with_key)

    got = s3.head_object(Bucket=bucket, Key="ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["SSECustomerAlgorithm"] == "AES256" and got["SSECustomerKeyMD5"] == md5_b64(key)
    assert got["ContentLength"] == len(data) and MULTIPART_ETAG.fullmatch(got["ETag"]), got["ETag"]
    assert "ServerSideEncryption" not in got
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="ssec.bin")
    assert error_of(ei.value) == ("InvalidRequest", 400)

    # downloading needs the key
    proc = aws("s3", "cp", f"s3://{bucket}/ssec.bin", tmp_path / "nokey.bin", check=False)
    assert proc.returncode != 0 and ("400" in proc.stderr or "Bad Request" in proc.stderr), proc.stderr
    assert not (tmp_path / "nokey.bin").exists()
    dst = tmp_path / "down.bin"
    aws("s3", "cp", f"s3://{bucket}/ssec.bin", dst, *with_key)
    assert sha(dst.read_bytes()) == sha(data)

    # server-side copies of the 20 MiB SSE-C object (multipart copies with the source key)
    copy_source = ["--sse-c-copy-source", "AES256", "--sse-c-copy-source-key", f"fileb://{tmp_path / 'key.bin'}"]
    aws("s3", "cp", f"s3://{bucket}/ssec.bin", f"s3://{bucket}/to-kms.bin", *copy_source, "--sse", "aws:kms")
    out = s3.get_object(Bucket=bucket, Key="to-kms.bin")
    assert out["ServerSideEncryption"] == "aws:kms" and KEY_ARN.fullmatch(out["SSEKMSKeyId"]), out
    assert sha(out["Body"].read()) == sha(data)

    aws("s3", "cp", f"s3://{bucket}/ssec.bin", f"s3://{bucket}/to-c2.bin", *copy_source,
        "--sse-c", "AES256", "--sse-c-key", f"fileb://{tmp_path / 'key2.bin'}")
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="to-c2.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert error_of(ei.value)[1] == 403
    out = s3.get_object(Bucket=bucket, Key="to-c2.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=key2)
    assert out["SSECustomerKeyMD5"] == md5_b64(key2)
    assert sha(out["Body"].read()) == sha(data)

    # a copy without the source key is refused
    proc = aws("s3", "cp", f"s3://{bucket}/ssec.bin", f"s3://{bucket}/refused.bin", check=False)
    assert proc.returncode != 0
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="refused.bin")
    assert error_of(ei.value)[1] == 404


def test_s3api_encryption_options(aws, s3, bucket, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"s3api encrypted body")
    put = cli_json(aws, "s3api", "put-object", "--bucket", bucket, "--key", "kms", "--body", body,
                   "--server-side-encryption", "aws:kms", "--ssekms-key-id", "alias/aws/s3", "--bucket-key-enabled")
    assert put["ServerSideEncryption"] == "aws:kms" and KEY_ARN.fullmatch(put["SSEKMSKeyId"]), put
    assert put["BucketKeyEnabled"] is True
    got = cli_json(aws, "s3api", "get-object", "--bucket", bucket, "--key", "kms", tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == b"s3api encrypted body"
    assert got["SSEKMSKeyId"] == put["SSEKMSKeyId"] and got["BucketKeyEnabled"] is True

    # SSE-C through s3api: the key is given as a 32-character string
    ckey = uuid.uuid4().hex
    ssec = ["--sse-customer-algorithm", "AES256", "--sse-customer-key", ckey]
    put = cli_json(aws, "s3api", "put-object", "--bucket", bucket, "--key", "c", "--body", body, *ssec)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(ckey.encode()).digest()).decode()
    meta = head(aws, bucket, "c", *ssec)
    assert meta["ContentLength"] == len(b"s3api encrypted body")
    proc = aws("s3api", "get-object", "--bucket", bucket, "--key", "c", tmp_path / "x", check=False)
    assert proc.returncode != 0 and "InvalidRequest" in proc.stderr, proc.stderr

    proc = aws("s3api", "put-object", "--bucket", bucket, "--key", "bad", "--body", body,
               "--server-side-encryption", "AES512", check=False)
    assert proc.returncode != 0 and "InvalidArgument" in proc.stderr, proc.stderr


def test_bucket_encryption_with_s3api(aws, s3, bucket, tmp_path):
    aes = {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}
    assert cli_json(aws, "s3api", "get-bucket-encryption", "--bucket", bucket) == aes

    kms_rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
    aws("s3api", "put-bucket-encryption", "--bucket", bucket,
        "--server-side-encryption-configuration", json.dumps({"Rules": [kms_rule]}))
    assert cli_json(aws, "s3api", "get-bucket-encryption", "--bucket", bucket) == {
        "ServerSideEncryptionConfiguration": {"Rules": [kms_rule]}}
    src = tmp_path / "f.txt"
    src.write_bytes(b"bucket default\n")
    aws("s3", "cp", src, f"s3://{bucket}/default.txt")
    meta = s3.get_object(Bucket=bucket, Key="default.txt")
    assert meta["ServerSideEncryption"] == "aws:kms" and KEY_ARN.fullmatch(meta["SSEKMSKeyId"]), meta
    assert meta["BucketKeyEnabled"] is True
    assert meta["Body"].read() == b"bucket default\n"

    aws("s3api", "delete-bucket-encryption", "--bucket", bucket)
    assert cli_json(aws, "s3api", "get-bucket-encryption", "--bucket", bucket) == aes
    aws("s3", "cp", src, f"s3://{bucket}/after.txt")
    meta = s3.head_object(Bucket=bucket, Key="after.txt")
    assert meta["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in meta, meta


def test_bucket_default_customer_key_with_cp(aws, s3, bucket, tmp_path):
    alias, key = create_key_with_alias(aws)
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias},
            "BucketKeyEnabled": False}
    aws("s3api", "put-bucket-encryption", "--bucket", bucket,
        "--server-side-encryption-configuration", json.dumps({"Rules": [rule]}))
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {"Rules": [rule]}
    data = os.urandom(9 * MiB)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    aws("s3", "cp", src, f"s3://{bucket}/by-default.bin")
    meta = s3.head_object(Bucket=bucket, Key="by-default.bin")
    assert meta["ServerSideEncryption"] == "aws:kms" and meta["SSEKMSKeyId"] == key["Arn"], meta
    assert MULTIPART_ETAG.fullmatch(meta["ETag"]), meta
    aws("s3", "cp", f"s3://{bucket}/by-default.bin", tmp_path / "down.bin")
    assert sha((tmp_path / "down.bin").read_bytes()) == sha(data)
