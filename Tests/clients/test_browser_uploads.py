"""What a browser does against S3, driven by boto3's own helpers: POST Object forms from `generate_presigned_post`
(SigV4 and SigV2 policies, conditions, `${filename}`, success actions, and S3's refusals), presigned GET URLs of each
signature version fetched with urllib (and an expired one), anonymous forms a bucket policy allows, and CORS
(PutBucketCors, the OPTIONS preflight, and the CORS headers of actual requests)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from s3helpers import REGION, error_of, md5_hex, signing_key

PAB_OFF = dict(BlockPublicAcls=False, IgnorePublicAcls=False, BlockPublicPolicy=False, RestrictPublicBuckets=False)


def post_form(url: str, fields: dict, data: bytes = b"data", filename: str = "upload.txt",
              content_type: str = "text/plain") -> requests.Response:
    """The form as a browser sends it: the fields, then the file."""
    return requests.post(url, data=fields, files={"file": (filename, data, content_type)}, allow_redirects=False,
                         timeout=60)


def s3_error(resp) -> dict:
    """The members of an S3 error document, by element name."""
    root = ET.fromstring(resp.content if hasattr(resp, "content") else resp)
    assert root.tag == "Error", resp
    return {child.tag: child.text for child in root}


def assert_error(resp: requests.Response, status: int, code: str, message: str | None = None) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.text)
    err = s3_error(resp)
    assert err["Code"] == code, resp.text
    if message is not None:
        assert err["Message"] == message, resp.text
    return err


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers with lowercased names, body) of a request with no credentials of its own."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def signed_v4_form(server, bucket: str, key: str, policy_document: str | bytes) -> dict:
    """Form fields carrying `policy_document` (taken as is) signed with SigV4 by the server's credentials."""
    now = dt.datetime.now(dt.timezone.utc)
    date, amz_date = now.strftime("%Y%m%d"), now.strftime("%Y%m%dT%H%M%SZ")
    raw = policy_document.encode() if isinstance(policy_document, str) else policy_document
    encoded = base64.b64encode(raw).decode()
    signature = hmac.new(signing_key(server.secret_key, date, REGION), encoded.encode(), hashlib.sha256).hexdigest()
    return {"key": key, "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": f"{server.access_key}/{date}/{REGION}/s3/aws4_request", "x-amz-date": amz_date,
            "policy": encoded, "x-amz-signature": signature}


# ---------------------------------------------------------------------------
# POST Object


def test_default_presigned_post_stores_the_file_under_its_filename(s3, bucket):
    """A form from `generate_presigned_post` with `${filename}` in its key stores the file under the name the
    browser sent; S3 answers 204 with the ETag and the object's Location."""
    post = s3.generate_presigned_post(bucket, "uploads/${filename}")
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    data = b"quarterly numbers\n"
    resp = post_form(post["url"], post["fields"], data, filename="report.txt")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers["ETag"] == f'"{md5_hex(data)}"'
    assert resp.headers["Location"] == f"{post['url']}/uploads%2Freport.txt"
    assert s3.get_object(Bucket=bucket, Key="uploads/report.txt")["Body"].read() == data


def test_post_with_conditions_and_status_201(s3, bucket):
    """content-length-range and success_action_status 201: a file in range is stored and answered with a
    PostResponse document; one too large is EntityTooLarge, an empty one EntityTooSmall, and neither is stored."""
    post = s3.generate_presigned_post(bucket, "limited.bin", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 100]])
    data = b"x" * 100
    resp = post_form(post["url"], post["fields"], data)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Content-Type"] == "application/xml"
    doc = ET.fromstring(resp.content)
    assert doc.tag == "PostResponse", resp.text
    assert {c.tag: c.text for c in doc} == {"Location": f"{post['url']}/limited.bin", "Bucket": bucket,
                                            "Key": "limited.bin", "ETag": f'"{md5_hex(data)}"'}, resp.text
    assert s3.get_object(Bucket=bucket, Key="limited.bin")["Body"].read() == data
    s3.delete_object(Bucket=bucket, Key="limited.bin")

    err = assert_error(post_form(post["url"], post["fields"], b"y" * 101), 400, "EntityTooLarge",
                       "Your proposed upload exceeds the maximum allowed size")
    assert err["MaxSizeAllowed"] == "100" and int(err["ProposedSize"]) > 100, err
    err = assert_error(post_form(post["url"], post["fields"], b""), 400, "EntityTooSmall",
                       "Your proposed upload is smaller than the minimum allowed size")
    assert (err["ProposedSize"], err["MinSizeAllowed"]) == ("0", "1"), err
    assert keys(s3, bucket) == []


def test_tampered_forms_are_refused(s3, bucket):
    """A form whose fields no longer match its signed policy is 403 AccessDenied "Invalid according to Policy: …"
    (a changed key, an extra field, an expired policy); a changed signature is SignatureDoesNotMatch."""
    post = s3.generate_presigned_post(bucket, "exact.txt")
    cases = [
        (dict(post["fields"], key="elsewhere.txt"), "AccessDenied",
         'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "exact.txt"]'),
        (dict(post["fields"], **{"x-amz-meta-color": "red"}), "AccessDenied",
         "Invalid according to Policy: Extra input fields: x-amz-meta-color"),
        (dict(post["fields"], **{"x-amz-signature": "0" * 64}), "SignatureDoesNotMatch", None),
    ]
    for fields, code, message in cases:
        assert_error(post_form(post["url"], fields), 403, code, message)
    expired = s3.generate_presigned_post(bucket, "exact.txt", ExpiresIn=-60)
    assert_error(post_form(expired["url"], expired["fields"]), 403, "AccessDenied",
                 "Invalid according to Policy: Policy expired.")
    assert keys(s3, bucket) == []


def test_post_signed_with_signature_v2(make_s3, s3, bucket):
    """A form signed with SigV2 (AWSAccessKeyId, signature) is accepted; a wrong signature is refused."""
    post = make_s3(signature_version="s3").generate_presigned_post(bucket, "v2-form.txt")
    assert {"AWSAccessKeyId", "signature", "policy"} <= set(post["fields"]), post
    assert post_form(post["url"], post["fields"], b"signed v2").status_code == 204
    assert s3.get_object(Bucket=bucket, Key="v2-form.txt")["Body"].read() == b"signed v2"
    bad = dict(post["fields"], signature=base64.b64encode(b"\0" * 20).decode())
    assert_error(post_form(post["url"], bad, b"forged"), 403, "SignatureDoesNotMatch")
    assert s3.get_object(Bucket=bucket, Key="v2-form.txt")["Body"].read() == b"signed v2"


def test_success_action_redirect_and_status_200(s3, bucket):
    """success_action_redirect answers 303 to that URL with bucket, key and etag added to its query;
    success_action_status 200 answers 200 with an empty body."""
    target = "https://app.example.com/uploaded?from=form"
    post = s3.generate_presigned_post(bucket, "redirected.txt", Fields={"success_action_redirect": target},
                                      Conditions=[{"success_action_redirect": target}])
    resp = post_form(post["url"], post["fields"], b"r")
    assert resp.status_code == 303, resp.text
    location = urllib.parse.urlsplit(resp.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "app.example.com", "/uploaded")
    assert urllib.parse.parse_qsl(location.query) == [("from", "form"), ("bucket", bucket), ("key", "redirected.txt"),
                                                      ("etag", f'"{md5_hex(b"r")}"')], resp.headers["Location"]
    post = s3.generate_presigned_post(bucket, "ok.txt", Fields={"success_action_status": "200"},
                                      Conditions=[{"success_action_status": "200"}])
    resp = post_form(post["url"], post["fields"], b"ok")
    assert (resp.status_code, resp.content) == (200, b""), resp.text
    assert sorted(keys(s3, bucket)) == ["ok.txt", "redirected.txt"]


def test_malformed_forms_and_policies(lockstep, s3, bucket):
    """S3's refusals of forms it cannot read: a policy missing its expiration (InvalidPolicyDocument), a body cut
    short (MalformedPOSTRequest), more than 20 KB of fields before the file (MaxPostPreDataLengthExceededError), and
    a POST that is not multipart/form-data (412 PreconditionFailed)."""
    url = f"{lockstep.endpoint}/{bucket}"
    no_expiration = json.dumps({"conditions": [{"bucket": bucket}, ["starts-with", "$key", ""]]})
    assert_error(post_form(url, signed_v4_form(lockstep, bucket, "p.txt", no_expiration)), 400,
                 "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
    assert_error(post_form(url, signed_v4_form(lockstep, bucket, "p.txt", b"{not json")), 400,
                 "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")

    post = s3.generate_presigned_post(bucket, "cut.txt")
    prepared = requests.Request("POST", post["url"], data=post["fields"],
                                files={"file": ("cut.txt", b"all of it", "text/plain")}).prepare()
    body = prepared.body[: prepared.body.index(b"all of it") + 3]  # the file part and the close delimiter cut off
    resp = requests.post(post["url"], data=body, headers={"Content-Type": prepared.headers["Content-Type"]}, timeout=60)
    assert_error(resp, 400, "MalformedPOSTRequest",
                 "The body of your POST request is not well-formed multipart/form-data.")

    padded = dict(post["fields"], **{"x-ignore-padding": "p" * 25_000})
    err = assert_error(post_form(post["url"], padded), 400, "MaxPostPreDataLengthExceededError")
    assert err.get("MaxPostPreDataLengthBytes") == "20480", err

    resp = requests.post(post["url"], data=post["fields"], timeout=60)  # urlencoded, no file
    err = assert_error(resp, 412, "PreconditionFailed")
    assert err.get("Condition") == "Bucket POST must be of the enclosure-type multipart/form-data", err
    assert keys(s3, bucket) == []


def test_anonymous_forms_need_a_policy_allowing_everyone_to_put(lockstep, s3, bucket_factory):
    """A form without a policy or signature is anonymous: refused (403 AccessDenied) unless a bucket policy allows
    s3:PutObject to "*" for that key."""
    open_bucket, closed_bucket = bucket_factory("post-open"), bucket_factory("post-closed")
    s3.delete_public_access_block(Bucket=open_bucket)
    s3.put_bucket_policy(Bucket=open_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{open_bucket}/drop/*"}]}))
    resp = post_form(f"{lockstep.endpoint}/{open_bucket}", {"key": "drop/${filename}"}, b"anon", filename="note.txt")
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=open_bucket, Key="drop/note.txt")["Body"].read() == b"anon"
    assert_error(post_form(f"{lockstep.endpoint}/{open_bucket}", {"key": "elsewhere.txt"}), 403, "AccessDenied")
    assert_error(post_form(f"{lockstep.endpoint}/{closed_bucket}", {"key": "drop/x.txt"}), 403, "AccessDenied")
    assert keys(s3, open_bucket) == ["drop/note.txt"] and keys(s3, closed_bucket) == []
    s3.delete_bucket_policy(Bucket=open_bucket)


# ---------------------------------------------------------------------------
# presigned URLs


def default_client(server):
    """boto3 with nothing but an endpoint and credentials: its own choice of signature for presigned URLs."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                                          aws_secret_access_key=server.secret_key, region_name=REGION,
                                          config=Config(s3={"addressing_style": "path"}))


@pytest.mark.parametrize("signature", ["default", "s3", "s3v4"])
def test_presigned_get_urls_are_fetched_with_urllib(lockstep, make_s3, s3, bucket, signature):
    """A presigned GET URL from boto3 (its default signer, SigV2 `s3`, SigV4 `s3v4`) downloads the object with no
    other credentials; the same URL for another key is SignatureDoesNotMatch."""
    client = default_client(lockstep) if signature == "default" else make_s3(signature_version=signature)
    s3.put_object(Bucket=bucket, Key="dir/shared file.txt", Body=b"presigned body", ContentType="text/plain")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/shared file.txt"},
                                        ExpiresIn=300)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if signature == "s3":
        assert {"AWSAccessKeyId", "Signature", "Expires"} <= set(query), url
    elif signature == "s3v4":
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"], url
    status, headers, body = fetch(url)
    assert (status, body) == (200, b"presigned body"), body
    assert headers["content-type"] == "text/plain"
    status, _, body = fetch(url.replace("shared%20file.txt", "other.txt"))
    assert status == 403 and s3_error(body)["Code"] == "SignatureDoesNotMatch", body


def test_an_expired_presigned_url_is_refused(make_s3, s3, bucket, monkeypatch):
    """A SigV4 presigned URL past X-Amz-Date + X-Amz-Expires is 403 AccessDenied "Request has expired"."""
    import botocore.auth

    s3.put_object(Bucket=bucket, Key="old.txt", Body=b"old")
    signers = [botocore.auth]
    try:  # with awscrt installed, botocore signs SigV4 through the CRT
        import botocore.crt.auth

        signers.append(botocore.crt.auth)
    except ImportError:
        pass
    for module in signers:
        real = module.get_current_datetime
        monkeypatch.setattr(module, "get_current_datetime",
                            lambda *a, _real=real, **k: _real(*a, **k) - dt.timedelta(hours=2))
    url = make_s3(signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "old.txt"}, ExpiresIn=60)
    monkeypatch.undo()
    signed_at = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Date"][0]
    age = dt.datetime.now(dt.timezone.utc) - dt.datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=dt.timezone.utc)
    assert age > dt.timedelta(hours=1), url  # signed two hours ago, valid for 60 seconds
    status, _, body = fetch(url)
    assert status == 403, body
    err = s3_error(body)
    assert (err["Code"], err["Message"]) == ("AccessDenied", "Request has expired"), body


# ---------------------------------------------------------------------------
# CORS

APP = "https://app.example.com"
CORS_RULES = {"CORSRules": [
    {"ID": "app", "AllowedOrigins": [APP], "AllowedMethods": ["GET", "PUT"],
     "AllowedHeaders": ["Content-Type", "x-amz-meta-*"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
     "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]}
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def preflight(url: str, origin: str | None, method: str | None, request_headers: str | None = None):
    headers = {}
    if origin is not None:
        headers["Origin"] = origin
    if method is not None:
        headers["Access-Control-Request-Method"] = method
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return fetch(url, "OPTIONS", headers)


def test_cors_configuration_round_trip_and_delete(s3, bucket):
    """PutBucketCors / GetBucketCors return the rules as written; DeleteBucketCors leaves NoSuchCORSConfiguration;
    a method S3 does not support in a rule is 400 InvalidRequest."""
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_of(ei.value) == ("NoSuchCORSConfiguration", 404)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS_RULES["CORSRules"]
    with pytest.raises(ClientError) as ei:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": [APP], "AllowedMethods": ["PATCH"]}]})
    assert error_of(ei.value) == ("InvalidRequest", 400)
    assert ei.value.response["Error"]["Message"] == \
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS_RULES["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as ei:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_of(ei.value) == ("NoSuchCORSConfiguration", 404)


def test_preflight_allowed(lockstep, s3, bucket):
    """An OPTIONS preflight (no credentials) that a rule admits is 200 with Access-Control-Allow-Origin (the origin,
    with credentials allowed), -Methods (the rule's), -Headers (those asked for, lowercased), -Expose-Headers,
    -Max-Age and Vary; a rule for `*` answers `*` without credentials."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULES)
    status, headers, body = preflight(f"{lockstep.endpoint}/{bucket}/photos/cat.jpg", APP, "PUT",
                                      "Content-Type, X-Amz-Meta-Caption")
    assert (status, body) == (200, b""), body
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-meta-caption"
    assert headers["access-control-expose-headers"] == "ETag, x-amz-request-id"
    assert headers["access-control-max-age"] == "600"
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["vary"] == VARY
    status, headers, _ = preflight(f"{lockstep.endpoint}/{bucket}/photos/cat.jpg", "https://anyone.example", "HEAD")
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "HEAD"
    assert "access-control-allow-credentials" not in headers and "access-control-max-age" not in headers


@pytest.mark.parametrize("case", ["origin", "method", "header"])
def test_preflight_refused(lockstep, s3, bucket, case):
    """A preflight no rule admits (wrong origin, method or requested header) is 403 AccessForbidden with S3's
    message, the Method and ResourceType, and no CORS headers."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULES)
    origin, method, request_headers = {
        "origin": ("https://evil.example", "GET", None),
        "method": (APP, "DELETE", None),
        "header": (APP, "PUT", "x-amz-acl"),
    }[case]
    status, headers, body = preflight(f"{lockstep.endpoint}/{bucket}/k", origin, method, request_headers)
    assert status == 403, body
    err = s3_error(body)
    assert err["Code"] == "AccessForbidden", body
    assert err["Message"] == (
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
        "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
        "resource's CORS spec."), body
    assert (err.get("Method"), err.get("ResourceType")) == (method, "OBJECT"), body
    assert not any(name.startswith("access-control-") for name in headers), headers


def test_preflight_on_a_bucket_without_cors(lockstep, bucket):
    """A preflight to a bucket with no CORS configuration is 403 AccessForbidden "CORS is not enabled"; one without
    an Origin is 400."""
    status, _, body = preflight(f"{lockstep.endpoint}/{bucket}/k", APP, "GET")
    assert status == 403, body
    err = s3_error(body)
    assert err["Code"] == "AccessForbidden", body
    assert err["Message"] == "CORSResponse: CORS is not enabled for this bucket.", body
    status, _, body = preflight(f"{lockstep.endpoint}/{bucket}/k", None, "GET")
    assert status == 400, body


def test_actual_requests_carry_cors_headers(s3, bucket):
    """A GET with an Origin a rule admits gets Access-Control-Allow-Origin (and the exposed headers), errors
    included; an Origin no rule admits gets no CORS headers."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS_RULES)
    s3.put_object(Bucket=bucket, Key="page.json", Body=b"{}")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "page.json"}, ExpiresIn=300)
    status, headers, body = fetch(url, headers={"Origin": APP})
    assert (status, body) == (200, b"{}")
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-expose-headers"] == "ETag, x-amz-request-id"
    assert headers["access-control-allow-credentials"] == "true"
    assert "Origin" in headers["vary"]
    status, headers, _ = fetch(url, headers={"Origin": "https://evil.example"})
    assert status == 200
    assert not any(name.startswith("access-control-") for name in headers), headers
    missing = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "missing.json"}, ExpiresIn=300)
    status, headers, body = fetch(missing, headers={"Origin": APP})
    assert status == 404 and s3_error(body)["Code"] == "NoSuchKey", body
    assert headers["access-control-allow-origin"] == APP
