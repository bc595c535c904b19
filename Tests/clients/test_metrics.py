"""Lockstep's own observability, from outside: `GET /_lockstep/metrics` read with prometheus_client's parser after
real clients' requests (boto3 S3 and DynamoDB, Terraform's S3 and DynamoDB lock calls), its credentials and flags,
and `--log-format json` on stderr.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from s3helpers import make_client
from test_dynamodb import make_ddb

prometheus_parser = pytest.importorskip("prometheus_client.parser")


def scrape(server, auth: tuple[str, str] | None = None) -> tuple[int, dict, str]:
    """(status, {(sample name, frozenset of labels): value}, content type) of one scrape."""
    request = urllib.request.Request(f"{server.endpoint}/_lockstep/metrics")
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            status, content_type = response.status, response.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, {}, e.headers.get("Content-Type")
    samples = {}
    for family in prometheus_parser.text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return status, samples, content_type


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def requests(samples: dict, service: str, operation: str, status_class: str) -> float | None:
    return value(samples, "lockstep_requests_total", service=service, operation=operation, status_class=status_class)


def test_counts_are_exactly_what_clients_did(spawn_lockstep):
    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="observed")
    s3.put_object(Bucket="observed", Key="state", Body=b"s" * 1000)
    assert s3.get_object(Bucket="observed", Key="state")["Body"].read() == b"s" * 1000

    # Terraform's S3-native lock: a conditional create of <key>.tflock, refused while held, released by DELETE.
    lock = "state.tflock"
    s3.put_object(Bucket="observed", Key=lock, Body=b"{}", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="observed", Key=lock, Body=b"{}", IfNoneMatch="*")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    s3.delete_object(Bucket="observed", Key=lock)

    # Terraform's DynamoDB lock: PutItem with attribute_not_exists(LockID), refused while held, DeleteItem.
    ddb = make_ddb(server)
    ddb.create_table(TableName="locks", KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    item = {"LockID": {"S": "observed/state"}, "Info": {"S": "{}"}}
    ddb.put_item(TableName="locks", Item=item, ConditionExpression="attribute_not_exists(LockID)")
    with pytest.raises(ClientError) as held:
        ddb.put_item(TableName="locks", Item=item, ConditionExpression="attribute_not_exists(LockID)")
    assert held.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    ddb.put_item(TableName="locks", Item={"LockID": {"S": "observed/state-md5"}, "Digest": {"S": "00"}})
    ddb.delete_item(TableName="locks", Key={"LockID": {"S": "observed/state"}})

    status, samples, content_type = scrape(server, (server.access_key, server.secret_key))
    assert status == 200
    assert content_type == "text/plain; version=0.0.4"

    assert requests(samples, "s3", "CreateBucket", "2xx") == 1
    assert requests(samples, "s3", "PutObject", "2xx") == 2
    assert requests(samples, "s3", "PutObject", "4xx") == 1
    assert requests(samples, "s3", "GetObject", "2xx") == 1
    assert requests(samples, "s3", "DeleteObject", "2xx") == 1
    assert requests(samples, "dynamodb", "CreateTable", "2xx") == 1
    assert requests(samples, "dynamodb", "PutItem", "2xx") == 2
    assert requests(samples, "dynamodb", "PutItem", "4xx") == 1
    assert requests(samples, "dynamodb", "DeleteItem", "2xx") == 1
    assert value(samples, "lockstep_request_duration_seconds_count", service="s3", operation="PutObject") == 3
    # Payload bytes: an aws-chunked body counts its decoded length, not its framing; the refused lock PUT was answered
    # before its body was read, so its 2 bytes are not counted.
    assert value(samples, "lockstep_request_bytes_total", service="s3", operation="PutObject") == 1002
    assert value(samples, "lockstep_response_bytes_total", service="s3", operation="GetObject") == 1000

    for path in ("s3_lockfile", "dynamodb"):
        for outcome in ("acquired", "refused", "released"):
            assert value(samples, "lockstep_terraform_locks_total", path=path, outcome=outcome) == 1, (path, outcome)
    assert value(samples, "lockstep_terraform_locks_total", path="http", outcome="acquired") == 0

    assert value(samples, "lockstep_store_objects") == 1
    assert value(samples, "lockstep_store_versions") == 1
    assert value(samples, "lockstep_store_bytes") == 1000
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "process_start_time_seconds") > 1_600_000_000


def test_credentials_public_and_off(spawn_lockstep):
    server = spawn_lockstep()
    assert scrape(server)[0] == 401
    assert scrape(server, (server.access_key, "not-the-secret"))[0] == 401
    assert scrape(server, (server.access_key, server.secret_key))[0] == 200

    public = spawn_lockstep(extra_args=["--metrics-public"])
    status, samples, _ = scrape(public)
    assert status == 200 and value(samples, "process_resident_memory_bytes") > 0

    off = spawn_lockstep(extra_args=["--no-metrics", "--metrics-public"])
    assert scrape(off, (off.access_key, off.secret_key))[0] == 404


def test_json_log_lines_on_stderr(spawn_lockstep):
    server = spawn_lockstep(extra_args=["--log-format", "json", "--log-level", "debug"])
    s3 = make_client(server)
    s3.list_buckets()
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket="not-there")
    assert server.stop() == 0

    lines = [line for line in server.stderr_text().splitlines() if line.strip()]
    assert lines, server.describe()
    objects = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in objects:
        assert {"time", "level", "message", "label"} <= entry.keys(), entry
        assert entry["time"].endswith("Z") and len(entry["time"]) == 24, entry
    logged = [entry for entry in objects if entry["message"] == "request"]
    assert [entry["operation"] for entry in logged] == ["ListBuckets", "HeadBucket"]
    assert logged[0]["level"] == "debug" and logged[0]["method"] == "GET" and logged[0]["status"] == 200
    assert logged[1]["status"] == 404 and logged[1]["path"] == "/not-there"
    assert all(entry.get("request_id") for entry in logged)
    assert "AWS4-HMAC-SHA256" not in server.stderr_text()
    assert server.secret_key not in server.stderr_text()
