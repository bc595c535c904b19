"""Behaviours where a conformance suite found Lockstep answering differently from AWS, checked with boto3 the way a
suite user meets them: non-ASCII metadata (RFC 2047 out, ISO-8859-1 header bytes in the signature), a presigned URL
valid for 0 seconds, writes into a versioning-suspended bucket, a retried CompleteMultipartUpload, the encryption header
on reads, and Content-Encoding kept verbatim."""

from __future__ import annotations

import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import pytest
from botocore.exceptions import ClientError

from s3helpers import error_of


def test_non_ascii_metadata_verifies_and_comes_back_rfc2047(s3, bucket):
    """boto3 (urllib3 2) sends a header's non-ASCII text as UTF-8 bytes and signs the text: it verifies, is stored as
    the text, and comes back RFC 2047-encoded."""

    def add_header(request, **_):
        request.headers["x-amz-meta-city"] = "Mâcon"

    # boto3's Metadata parameter refuses non-ASCII, so the header is added the way a hook or another SDK would.
    s3.meta.events.register_first("before-sign.s3.PutObject", add_header)
    try:
        s3.put_object(Bucket=bucket, Key="utf8", Body=b"x", Metadata={"plain": "ascii"})
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", add_header)
    assert s3.head_object(Bucket=bucket, Key="utf8")["Metadata"] == {"city": "=?UTF-8?B?TcOiY29u?=", "plain": "ascii"}
    # An encoded-word sent by the client is decoded on the way in and re-encoded on the way out.
    s3.put_object(Bucket=bucket, Key="k2", Body=b"x", Metadata={"city": "=?UTF-8?Q?M=C3=A2con?="})
    assert s3.head_object(Bucket=bucket, Key="k2")["Metadata"]["city"] == "=?UTF-8?B?TcOiY29u?="


def test_presigned_url_valid_for_zero_seconds_is_expired(s3, bucket, lockstep):
    """botocore's own SigV4 query signer (the CRT one refuses 0) with `expires=0`: expired as soon as it exists."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"{lockstep.endpoint}/{bucket}/k")
    credentials = s3._request_signer._credentials
    botocore.auth.S3SigV4QueryAuth(credentials, "s3", "us-east-1", expires=0).add_auth(request)
    url = request.prepare().url
    assert "X-Amz-Expires=0" in url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403
    body = refused.value.read().decode()
    assert "<Code>AccessDenied</Code>" in body and "Request has expired" in body


def test_writes_into_a_suspended_bucket_report_no_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert len(s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]) == 32
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    assert "VersionId" not in put
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert "VersionId" not in done
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket, Prefix="k")["Versions"]
    assert [v["VersionId"] for v in versions if v["IsLatest"]] == ["null"]
    for v in s3.list_object_versions(Bucket=bucket)["Versions"]:
        s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])


def test_a_retried_complete_gets_the_same_answer(s3, bucket):
    """What an SDK does when the first Complete's response is lost: the same request again."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    assert again["ETag"] == first["ETag"]
    s3.put_object(Bucket=bucket, Key="mp", Body=b"new")
    with pytest.raises(ClientError) as late:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    assert error_of(late.value) == ("NoSuchUpload", 404)


def test_encryption_header_on_get_is_invalid(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")

    def add_header(request, **_):
        request.headers["x-amz-server-side-encryption"] = "AES256"

    s3.meta.events.register_first("before-sign.s3.GetObject", add_header)
    try:
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=bucket, Key="k")
        assert error_of(refused.value) == ("InvalidArgument", 400)
        assert "not supported for this operation" in refused.value.response["Error"]["Message"]
    finally:
        s3.meta.events.unregister("before-sign.s3.GetObject", add_header)


def test_content_encoding_is_kept_verbatim(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentEncoding"] == "deflate, gzip"
