"""Signature Version 2 with real clients: boto3's `s3` signer (HMAC-SHA1, header and presigned query) against
Lockstep, path-style and virtual-hosted, with the refusals S3 gives."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from s3helpers import error_of


def v2_client(make_s3, **kwargs):
    return make_s3(signature_version="s3", **kwargs)


def test_objects_round_trip_signed_with_v2(make_s3, bucket):
    s3 = v2_client(make_s3)
    s3.put_object(Bucket=bucket, Key="dir/hello world.txt", Body=b"hello v2", ContentType="text/plain",
                  Metadata={"Reviewed-By": "joe"})
    got = s3.get_object(Bucket=bucket, Key="dir/hello world.txt")
    assert got["Body"].read() == b"hello v2"
    assert got["Metadata"] == {"reviewed-by": "joe"}
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="dir/")["Contents"]] == ["dir/hello world.txt"]
    # Sub-resources are part of what is signed.
    s3.put_object_tagging(Bucket=bucket, Key="dir/hello world.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="dir/hello world.txt")["TagSet"] == [{"Key": "k", "Value": "v"}]
    s3.delete_object(Bucket=bucket, Key="dir/hello world.txt")
    assert "Contents" not in s3.list_objects(Bucket=bucket)


def test_virtual_hosted_requests_sign_the_bucket(make_s3, bucket, lockstep, localhost_subdomains):
    endpoint = lockstep.endpoint.replace("127.0.0.1", "localhost")
    s3 = v2_client(make_s3, endpoint=endpoint, addressing_style="virtual")
    s3.put_object(Bucket=bucket, Key="vhost", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="vhost")["Body"].read() == b"x"


def test_presigned_v2_urls_work_until_they_expire(make_s3, bucket):
    s3 = v2_client(make_s3)
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned v2")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url and "X-Amz-" not in url
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"presigned v2"
    # A URL for another key (same signature) is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace("shared.txt", "other.txt"))
    assert refused.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused.value.read()
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=-10)
    with pytest.raises(urllib.error.HTTPError) as late:
        urllib.request.urlopen(expired)
    assert late.value.code == 403
    body = late.value.read()
    assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_wrong_secret_and_unknown_key_are_refused(make_s3, bucket):
    with pytest.raises(ClientError) as wrong:
        v2_client(make_s3, secret_key="not-the-secret").get_object(Bucket=bucket, Key="k")
    assert error_of(wrong.value)[0] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unknown:
        v2_client(make_s3, access_key="AKIDUNKNOWNUNKNOWN00").list_objects(Bucket=bucket)
    assert error_of(unknown.value)[0] == "InvalidAccessKeyId"
