"""STS `GetCallerIdentity` on Lockstep's S3 port (query protocol: `POST /` with the form body
`Action=GetCallerIdentity&Version=2011-06-15`, SigV4 service `sts`), through boto3's `sts` client,
the aws CLI (`aws sts get-caller-identity`) and hand-signed requests: what Terraform's credential
validation calls when `skip_credentials_validation` is not set and its STS endpoint is Lockstep.
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from s3helpers import REGION

ACCOUNT = "000000000000"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
GET_CALLER_IDENTITY = b"Action=GetCallerIdentity&Version=2011-06-15"


def make_sts(server, access_key: str | None = None, secret_key: str | None = None):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "sts",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


def parse_arn(arn: str) -> dict:
    """arn:partition:service:region:account:resource, as the AWS SDKs split it."""
    parts = arn.split(":", 5)
    assert len(parts) == 6 and parts[0] == "arn", f"not an ARN: {arn!r}"
    return dict(zip(("arn", "partition", "service", "region", "account", "resource"), parts))


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def raw_post(server, body: bytes = GET_CALLER_IDENTITY, access_key: str | None = None,
             secret_key: str | None = None, sign: bool = True):
    """POST / signed with botocore's SigV4Auth for service `sts`, sent with `requests`."""
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = server.endpoint + "/"
    headers = {"Content-Type": FORM}
    if sign:
        req = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(Credentials(access_key or server.access_key, secret_key or server.secret_key),
                  "sts", REGION).add_auth(req)
        headers = dict(req.headers.items())
    return requests.post(url, data=body, headers=headers, timeout=60)


def sts_error(resp) -> dict:
    """The fields of an STS error document:
    <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>."""
    root = ET.fromstring(resp.content)
    assert local(root.tag) == "ErrorResponse", resp.text
    error = child(root, "Error")
    assert error is not None, resp.text
    out = {name: (child(error, name).text if child(error, name) is not None else None)
           for name in ("Type", "Code", "Message")}
    request_id = child(root, "RequestId")
    out["RequestId"] = request_id.text if request_id is not None else None
    return out


@pytest.fixture
def sts(lockstep):
    return make_sts(lockstep)


def test_get_caller_identity(sts):
    identity = sts.get_caller_identity()
    assert identity["Account"] == ACCOUNT
    arn = parse_arn(identity["Arn"])
    assert arn["partition"] == "aws" and arn["service"] in ("iam", "sts") and arn["account"] == ACCOUNT, arn
    assert arn["region"] == "" and arn["resource"], arn
    assert isinstance(identity["UserId"], str) and identity["UserId"].strip()
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert identity["ResponseMetadata"]["RequestId"]
    # the same identity every time
    again = sts.get_caller_identity()
    assert {k: again[k] for k in ("Account", "Arn", "UserId")} == {k: identity[k] for k in ("Account", "Arn", "UserId")}


def test_raw_response_document(lockstep):
    resp = raw_post(lockstep)
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Content-Type", "").startswith("text/xml"), resp.headers
    root = ET.fromstring(resp.content)
    assert root.tag == f"{{{STS_NS}}}GetCallerIdentityResponse", resp.text
    result = root.find(f"{{{STS_NS}}}GetCallerIdentityResult")
    assert result is not None, resp.text
    assert result.findtext(f"{{{STS_NS}}}Account") == ACCOUNT
    assert parse_arn(result.findtext(f"{{{STS_NS}}}Arn"))["account"] == ACCOUNT
    assert (result.findtext(f"{{{STS_NS}}}UserId") or "").strip()
    assert (root.findtext(f"{{{STS_NS}}}ResponseMetadata/{{{STS_NS}}}RequestId") or "").strip(), resp.text


def test_awscli_get_caller_identity(aws, sts):
    out = json.loads(aws("sts", "get-caller-identity", "--output", "json").stdout)
    expected = sts.get_caller_identity()
    assert out == {k: expected[k] for k in ("UserId", "Account", "Arn")}
    assert aws("sts", "get-caller-identity", "--query", "Account", "--output", "text").stdout.strip() == ACCOUNT


def test_wrong_secret_is_signature_does_not_match(lockstep):
    with pytest.raises(ClientError) as ei:
        make_sts(lockstep, secret_key="not-the-secret-key").get_caller_identity()
    err = ei.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err["Error"].get("Type") == "Sender", err

    resp = raw_post(lockstep, secret_key="not-the-secret-key")
    assert resp.status_code == 403, resp.text
    doc = sts_error(resp)
    assert (doc["Type"], doc["Code"]) == ("Sender", "SignatureDoesNotMatch"), resp.text
    assert doc["Message"] and doc["RequestId"], resp.text


def test_unknown_access_key_is_invalid_client_token_id(lockstep):
    with pytest.raises(ClientError) as ei:
        make_sts(lockstep, access_key="LSNOSUCHKEY000000000", secret_key="x").get_caller_identity()
    err = ei.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidClientTokenId", 403)
    resp = raw_post(lockstep, access_key="LSNOSUCHKEY000000000")
    assert resp.status_code == 403, resp.text
    doc = sts_error(resp)
    assert (doc["Type"], doc["Code"]) == ("Sender", "InvalidClientTokenId"), resp.text


def test_unsigned_request_is_missing_authentication_token(lockstep):
    resp = raw_post(lockstep, sign=False)
    assert resp.status_code == 403, resp.text
    doc = sts_error(resp)
    assert (doc["Type"], doc["Code"]) == ("Sender", "MissingAuthenticationToken"), resp.text


def test_unknown_action_is_invalid_action(lockstep):
    resp = raw_post(lockstep, body=b"Action=NoSuchAction&Version=2011-06-15")
    assert resp.status_code == 400, resp.text
    doc = sts_error(resp)
    assert (doc["Type"], doc["Code"]) == ("Sender", "InvalidAction"), resp.text


def test_s3_still_works_on_the_same_port(sts, lockstep, s3, bucket_factory):
    # refused STS calls first, then S3, then STS again: routing by service must not stick
    with pytest.raises(ClientError):
        make_sts(lockstep, secret_key="not-the-secret-key").get_caller_identity()
    raw_post(lockstep, sign=False)
    name = bucket_factory("sts")
    body = uuid.uuid4().bytes * 100
    s3.put_object(Bucket=name, Key="after-sts", Body=body)
    assert s3.get_object(Bucket=name, Key="after-sts")["Body"].read() == body
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["after-sts"]
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert sts.get_caller_identity()["Account"] == ACCOUNT
