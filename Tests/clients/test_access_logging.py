"""Server access logging with real clients: records delivered to the target bucket parse with a strict regex for every
field (boto3, the aws CLI, a presigned URL, Terraform's lock), `lockstep logs flush`, delivery at a clean stop, and the
bound on what `kill -9` can lose."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from s3helpers import make_client, make_kms_client, unique_bucket_name
from test_lifecycle import lockstep_cli
from test_terraform_cli import LOCK_SUFFIX, PROMPT, STATE_KEY, backend_block, terraform  # noqa: F401  (the fixture)

OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

# AWS's record format, every field: one capture group each.
RECORD = re.compile(
    r'^(?P<owner>[0-9a-f]{64}) (?P<bucket>[a-z0-9.-]+) \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] '
    r'(?P<ip>[0-9.]+|[0-9a-f:]+) (?P<requester>[0-9a-f]{64}|-) (?P<request_id>[0-9A-F]{16}) '
    r'(?P<operation>(?:REST|BATCH)\.[A-Z]+\.[A-Z_]+) (?P<key>\S+) "(?P<uri>[A-Z]+ \S+ HTTP/1\.1)" (?P<status>\d{3}) '
    r'(?P<error>[A-Za-z.]+|-) (?P<bytes_sent>\d+|-) (?P<object_size>\d+|-) (?P<total_time>\d+) (?P<turn_around>\d+) '
    r'"(?P<referer>[^"]*)" "(?P<user_agent>[^"]*)" (?P<version_id>\S+) (?P<host_id>[A-Za-z0-9+/=]+) (?P<signature>SigV4|-) '
    r'(?P<cipher>-) (?P<auth_type>AuthHeader|QueryString|-) (?P<host>\S+) (?P<tls>-) (?P<access_point>-) '
    r'(?P<acl_required>-) (?P<source_region>-)$')
OBJECT_KEY = r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}"


def parse(line: str) -> dict:
    match = RECORD.match(line)
    assert match, f"not an access log record: {line!r}"
    return match.groupdict()


def enable_logging(s3, source: str, target: str, prefix: str) -> None:
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}})


def delivered(s3, bucket: str, prefix: str) -> list[dict]:
    """Every record under `prefix`, in delivery order, checked field by field."""
    records = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        assert re.fullmatch(re.escape(prefix) + OBJECT_KEY, obj["Key"]), obj["Key"]
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
        assert body.endswith("\n")
        records += [parse(line) for line in body.splitlines()]
    return records


def test_boto3_cli_and_presigned_requests_are_logged_in_aws_format(lockstep, s3, bucket_factory, aws):
    source, target = bucket_factory("logsrc"), bucket_factory("logdst")
    enable_logging(s3, source, target, "access/")
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"] == {
        "TargetBucket": target, "TargetPrefix": "access/", "TargetObjectKeyFormat": {"SimplePrefix": {}}}
    put = s3.put_object(Bucket=source, Key="dir/a b.txt", Body=b"0123456789")
    s3.get_object(Bucket=source, Key="dir/a b.txt")["Body"].read()
    with pytest.raises(ClientError):
        s3.head_object(Bucket=source, Key="missing")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": source, "Key": "dir/a b.txt"}, ExpiresIn=60)
    assert urllib.request.urlopen(url).read() == b"0123456789"
    aws("s3api", "list-objects-v2", "--bucket", source)
    s3.delete_objects(Bucket=source, Delete={"Objects": [{"Key": "dir/a b.txt"}]})

    flushed = lockstep_cli(lockstep, "logs", "flush").stdout
    assert f"s3://{target}/access/" in flushed, flushed
    records = delivered(s3, target, "access/")
    assert [r["operation"] for r in records] == [
        "REST.PUT.LOGGING_STATUS", "REST.GET.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.GET.OBJECT", "REST.GET.BUCKET",
        "REST.POST.MULTI_OBJECT_DELETE", "BATCH.DELETE.OBJECT"]
    assert all(r["owner"] == OWNER and r["bucket"] == source and r["ip"] == "127.0.0.1" for r in records)
    putr, getr, head, presigned, listing, multi, batch = records[2:]
    assert putr["request_id"] == put["ResponseMetadata"]["RequestId"]
    assert putr["host_id"] == put["ResponseMetadata"]["HostId"]
    assert putr["key"] == "dir/a%2520b.txt" and putr["uri"] == f"PUT /{source}/dir/a%20b.txt HTTP/1.1"
    assert (putr["status"], putr["bytes_sent"], putr["object_size"]) == ("200", "-", "10")
    assert putr["user_agent"].startswith("Boto3/") and putr["requester"] == OWNER
    assert (putr["signature"], putr["auth_type"], putr["host"]) == ("SigV4", "AuthHeader", lockstep.endpoint.split("//")[1])
    assert (getr["bytes_sent"], getr["object_size"]) == ("10", "10")
    assert (head["status"], head["error"], head["bytes_sent"]) == ("404", "NoSuchKey", "-")
    assert presigned["auth_type"] == "QueryString" and presigned["user_agent"].startswith("Python-urllib/")
    assert "X-Amz-Signature=" in presigned["uri"]
    assert listing["user_agent"].startswith("aws-cli/") and listing["key"] == "-"
    assert batch["key"] == "dir/a%20b.txt" and batch["request_id"] == multi["request_id"]
    # Off again before the buckets go, so nothing waits for a deleted target on the shared server.
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={})
    assert "nothing to deliver" in lockstep_cli(lockstep, "logs", "flush").stdout


def test_bad_configurations_get_aws_errors(s3, bucket):
    for status, code in [
        ({"LoggingEnabled": {"TargetBucket": unique_bucket_name("nowhere"), "TargetPrefix": "p/"}}, "InvalidTargetBucketForLogging"),
        ({"LoggingEnabled": {"TargetBucket": bucket, "TargetPrefix": "p/", "TargetGrants": [
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "Permission": "WRITE"}]}},
         "AccessControlListNotSupported"),
    ]:
        with pytest.raises(ClientError) as err:
            s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
        assert err.value.response["Error"]["Code"] == code
    malformed = s3.meta.endpoint_url + f"/{bucket}?logging"
    from botocore.awsrequest import AWSRequest
    from botocore.auth import S3SigV4Auth
    request = AWSRequest(method="PUT", url=malformed, data=b"<BucketLoggingStatus><LoggingEnabled><Surprise/></LoggingEnabled></BucketLoggingStatus>")
    S3SigV4Auth(s3._request_signer._credentials, "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="PUT")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(req)
    assert http.value.code == 400 and b"<Code>MalformedXML</Code>" in http.value.read()
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)


@pytest.mark.slow
def test_terraform_lock_refusal_and_unlock_appear_in_the_log(terraform, spawn_lockstep):  # noqa: F811
    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="tf-state")
    s3.put_bucket_versioning(Bucket="tf-state", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="tf-logs")
    enable_logging(s3, "tf-state", "tf-logs", "state/")
    (terraform.workdir / "main.tf").write_text(backend_block(terraform, server.endpoint, "tf-state", server.access_key, server.secret_key))
    terraform("init", "-no-color")
    run = terraform.interactive("apply", "-no-color", "-var", "n=held")
    try:
        run.wait_for(PROMPT)
        if terraform.binary.lockfile:
            err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
            assert "Error acquiring the state lock" in err
        run.answer("yes")
    finally:
        run.close()
    lockstep_cli(server, "logs", "flush")
    records = delivered(s3, "tf-logs", "state/")
    lock_key = STATE_KEY + LOCK_SUFFIX
    lock_records = [(r["operation"], r["status"], r["error"]) for r in records if r["key"] == lock_key]
    if terraform.binary.lockfile:
        # The apply takes the lock; the plan is refused by the commit (412) and reads who holds it; the apply reads its
        # lock back to check the ID, then releases it.
        assert lock_records == [("REST.PUT.OBJECT", "200", "-"), ("REST.PUT.OBJECT", "412", "PreconditionFailed"),
                                ("REST.GET.OBJECT", "200", "-"), ("REST.GET.OBJECT", "200", "-"),
                                ("REST.DELETE.OBJECT", "204", "-")], lock_records
        refused = [r for r in records if r["key"] == lock_key and r["status"] == "412"][0]
        assert "Terraform/" in refused["user_agent"], refused["user_agent"]
    else:
        assert lock_records == []
    state_writes = [r for r in records if r["key"] == STATE_KEY and r["operation"] == "REST.PUT.OBJECT"]
    assert [r["status"] for r in state_writes] == ["200"]


def logged_server(spawn_lockstep):
    """A dedicated server that delivers only when asked (or at shutdown), with bucket `src` logging to `logs` under
    `l/`."""
    server = spawn_lockstep(extra_args=["--access-log-flush-seconds", "3600"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="src")
    s3.create_bucket(Bucket="logs")
    return server, s3


def test_pending_records_are_delivered_at_a_clean_stop(spawn_lockstep):
    server, s3 = logged_server(spawn_lockstep)
    enable_logging(s3, "src", "logs", "l/")
    for i in range(20):
        s3.put_object(Bucket="src", Key=f"k{i}", Body=b"x")
    assert s3.list_objects_v2(Bucket="logs").get("KeyCount") == 0
    assert server.stop() == 0
    server.start()
    s3 = make_client(server)
    records = delivered(s3, "logs", "l/")
    assert [r["operation"] for r in records] == ["REST.PUT.LOGGING_STATUS"] + ["REST.PUT.OBJECT"] * 20
    assert "nothing to deliver" in lockstep_cli(server, "logs", "flush").stdout


def test_kill_9_loses_at_most_the_last_write_interval(spawn_lockstep):
    """Records reach the spool file every 200 ms without fsync (the page cache outlives the process): after a pause of
    one second, kill -9 loses nothing."""
    server, s3 = logged_server(spawn_lockstep)
    enable_logging(s3, "src", "logs", "l/")
    for i in range(200):
        s3.put_object(Bucket="src", Key=f"k{i}", Body=b"x")
    time.sleep(1.0)
    server.kill9()
    server.start()
    s3 = make_client(server)
    lockstep_cli(server, "logs", "flush")
    records = delivered(s3, "logs", "l/")
    assert len(records) == 201
    assert sorted(r["key"] for r in records[1:]) == sorted(f"k{i}" for i in range(200))


def test_a_target_with_a_disabled_kms_key_keeps_records_pending(spawn_lockstep):
    server, s3 = logged_server(spawn_lockstep)
    kms = make_kms_client(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_bucket_encryption(Bucket="logs", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]})
    enable_logging(s3, "src", "logs", "l/")
    s3.put_object(Bucket="src", Key="a", Body=b"x")
    kms.disable_key(KeyId=key_id)
    out = lockstep_cli(server, "logs", "flush").stdout
    assert "2 records still pending" in out, out
    # The source keeps working; the refusal is in the server log.
    s3.put_object(Bucket="src", Key="b", Body=b"y")
    assert "target bucket logs refused them" in server.stderr_text()
    kms.enable_key(KeyId=key_id)
    assert "s3://logs/l/" in lockstep_cli(server, "logs", "flush").stdout
    records = delivered(s3, "logs", "l/")
    assert sorted(r["operation"] for r in records) == ["REST.PUT.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.PUT.OBJECT"]
    head = s3.head_object(Bucket="logs", Key=s3.list_objects_v2(Bucket="logs")["Contents"][0]["Key"])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith(key_id)
