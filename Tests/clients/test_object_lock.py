"""Object Lock and archive restore through boto3 and the aws CLI, on a dedicated server whose store clock moves."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from s3helpers import make_client


def advance(server, duration: str) -> None:
    subprocess.run([str(server.binary), "clock", "advance", duration, "--port", str(server.port), "--access-key",
                    server.access_key, "--secret-key", server.secret_key], check=True, capture_output=True, timeout=60)


def code(error: pytest.ExceptionInfo) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_object_lock_with_boto3(spawn_lockstep):
    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket="vault")["Status"] == "Enabled"
    s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    assert s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "GOVERNANCE", "Days": 1}

    put = s3.put_object(Bucket="vault", Key="state", Body=b"v1")
    head = s3.head_object(Bucket="vault", Key="state")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert abs((head["ObjectLockRetainUntilDate"] - head["LastModified"]).total_seconds() - 86_400) < 1
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket="vault", Key="state", VersionId=put["VersionId"])
    assert code(refused) == ("AccessDenied", 403)
    marker = s3.delete_object(Bucket="vault", Key="state")
    assert marker["DeleteMarker"]

    compliance = s3.put_object(Bucket="vault", Key="audit", Body=b"x", ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2),
                               ObjectLockLegalHoldStatus="ON")
    assert s3.get_object_legal_hold(Bucket="vault", Key="audit")["LegalHold"]["Status"] == "ON"
    assert s3.get_object_retention(Bucket="vault", Key="audit")["Retention"]["Mode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as shortened:
        s3.put_object_retention(Bucket="vault", Key="audit", BypassGovernanceRetention=True, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)})
    assert code(shortened) == ("AccessDenied", 403)
    result = s3.delete_objects(Bucket="vault", BypassGovernanceRetention=True, Delete={"Objects": [
        {"Key": "state", "VersionId": put["VersionId"]}, {"Key": "audit", "VersionId": compliance["VersionId"]}]})
    assert [d["Key"] for d in result.get("Deleted", [])] == ["state"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("audit", "AccessDenied")]

    # Three days on the store clock: the retention has passed, the legal hold still holds.
    advance(server, "3d")
    with pytest.raises(ClientError) as held:
        s3.delete_object(Bucket="vault", Key="audit", VersionId=compliance["VersionId"])
    assert code(held) == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket="vault", Key="audit", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket="vault", Key="audit", VersionId=compliance["VersionId"])

    with pytest.raises(ClientError) as suspended:
        s3.put_bucket_versioning(Bucket="vault", VersioningConfiguration={"Status": "Suspended"})
    assert code(suspended) == ("InvalidBucketState", 409)


def test_archive_and_restore_with_the_aws_cli(spawn_lockstep, aws):
    server = spawn_lockstep()
    env = {"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key}
    cli = ["--endpoint-url", server.endpoint]
    s3 = make_client(server)
    s3.create_bucket(Bucket="cold")
    s3.put_object(Bucket="cold", Key="old.tar", Body=b"archived bytes", StorageClass="DEEP_ARCHIVE")
    refused = aws(*cli, "s3api", "get-object", "--bucket", "cold", "--key", "old.tar", "/dev/null", env=env, check=False)
    assert refused.returncode != 0 and "InvalidObjectState" in refused.stderr
    aws(*cli, "s3api", "restore-object", "--bucket", "cold", "--key", "old.tar", "--restore-request",
        '{"Days": 1, "GlacierJobParameters": {"Tier": "Standard"}}', env=env)
    head = json.loads(aws(*cli, "s3api", "head-object", "--bucket", "cold", "--key", "old.tar", env=env).stdout)
    assert head["Restore"] == 'ongoing-request="true"' and head["StorageClass"] == "DEEP_ARCHIVE"
    advance(server, "13h")
    head = json.loads(aws(*cli, "s3api", "head-object", "--bucket", "cold", "--key", "old.tar", env=env).stdout)
    assert head["Restore"].startswith('ongoing-request="false", expiry-date=')
    assert s3.get_object(Bucket="cold", Key="old.tar")["Body"].read() == b"archived bytes"
