"""The DynamoDB API (AWS JSON 1.0, `X-Amz-Target: DynamoDB_20120810.*`, SigV4 service `dynamodb`) on
Lockstep's S3 port, through boto3's `dynamodb` client and resource API, the aws CLI (`aws dynamodb`)
and hand-signed requests.

Covered: table operations (create with a hash key or hash and range key, describe, list with
pagination, update, delete, tags, time to live) and their errors; every attribute type, stored and
returned exactly (numbers as decimal strings, sets, nested maps and lists); condition, update,
projection and key-condition expressions; Query and Scan pagination; batch reads and writes; the
validation errors clients rely on; a 32-way race for one lock item, the way Terraform takes its
DynamoDB lock; tables and items across `kill -9`; and the wire: JSON error `__type`, malformed
bodies, unknown operations, bad signatures and `x-amz-crc32`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
import zlib
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from s3helpers import REGION

ACCOUNT = "000000000000"
JSON_10 = "application/x-amz-json-1.0"
TARGET = "DynamoDB_20120810."
BIG_N = "12345678901234567890.123456789"
ITEM_LIMIT = 400 * 1024  # bytes: attribute names plus values


# ---------------------------------------------------------------------------
# clients and helpers


def make_ddb(server, access_key: str | None = None, secret_key: str | None = None):
    """A boto3 DynamoDB client for `server` (same port and credentials as S3), no retries."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


def make_ddb_resource(server):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().resource(
        "dynamodb",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def unique_table(prefix: str = "ls") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def short_type(value: str | None) -> str | None:
    """`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` -> the part after '#'."""
    return value.rsplit("#", 1)[-1] if value else value


def error_of(excinfo) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError."""
    resp = excinfo.value.response
    return (short_type(resp["Error"]["Code"]), resp["ResponseMetadata"]["HTTPStatusCode"],
            resp["Error"].get("Message", ""))


def expect_error(code: str, call, *args, **kwargs) -> str:
    """Call, which must fail with HTTP 400 and `code`; returns the message."""
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    got_code, status, message = error_of(ei)
    assert (got_code, status) == (code, 400), ei.value.response
    return message


def wait_active(ddb, name: str, timeout: float = 30) -> dict:
    """DescribeTable until ACTIVE (a waiter, not a timing assertion); the table description."""
    deadline = time.monotonic() + timeout
    while True:
        table = ddb.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE" or time.monotonic() > deadline:
            return table
        time.sleep(0.1)


def hash_table_args(name: str, key: str = "LockID", key_type: str = "S", **kwargs) -> dict:
    return dict(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": key_type}],
                BillingMode="PAY_PER_REQUEST", **kwargs)


def range_table_args(name: str, **kwargs) -> dict:
    return dict(TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "N"}],
                BillingMode="PAY_PER_REQUEST", **kwargs)


def sets_sorted(value):
    """An attribute value (wire form) with SS/NS/BS members sorted, for comparisons: sets have no order."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS") and isinstance(v, list):
                out[k] = sorted(v)
            else:
                out[k] = sets_sorted(v)
        return out
    if isinstance(value, list):
        return [sets_sorted(v) for v in value]
    return value


@pytest.fixture
def ddb(lockstep):
    return make_ddb(lockstep)


@pytest.fixture
def tables(lockstep):
    """tables(create_table kwargs) creates a table and waits for it; all are deleted afterwards."""
    client = make_ddb(lockstep)
    created: list[str] = []

    def create(args: dict) -> str:
        client.create_table(**args)
        created.append(args["TableName"])
        assert wait_active(client, args["TableName"])["TableStatus"] == "ACTIVE"
        return args["TableName"]

    yield create
    client = make_ddb(lockstep)  # fresh: the server may have been restarted on another port
    for name in created:
        try:
            client.delete_table(TableName=name)
        except Exception:
            pass


@pytest.fixture
def lock_table(tables) -> str:
    """A table shaped like Terraform's lock table: hash key LockID (S)."""
    return tables(hash_table_args(unique_table("locks")))


@pytest.fixture
def range_table(tables) -> str:
    return tables(range_table_args(unique_table("range")))


# ---------------------------------------------------------------------------
# tables


def test_create_describe_delete_hash_key_table(ddb):
    name = unique_table("hash")
    created = ddb.create_table(**hash_table_args(name))["TableDescription"]
    try:
        assert created["TableName"] == name
        assert created["TableArn"] == table_arn(name)
        assert created["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
        assert created["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
        assert created["TableStatus"] in ("CREATING", "ACTIVE")
        assert created["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert created["ItemCount"] == 0 and created["TableSizeBytes"] == 0

        described = wait_active(ddb, name)
        assert described["TableStatus"] == "ACTIVE"
        for field in ("TableName", "TableArn", "KeySchema", "AttributeDefinitions", "CreationDateTime"):
            assert described[field] == created[field], field
    finally:
        deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableName"] == name and deleted["TableArn"] == table_arn(name)
    assert deleted["TableStatus"] == "DELETING"
    deadline = time.monotonic() + 30
    while True:  # deletion may take a moment, as on AWS
        try:
            ddb.describe_table(TableName=name)
        except ClientError as e:
            assert (short_type(e.response["Error"]["Code"]),
                    e.response["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 400)
            break
        assert time.monotonic() < deadline, f"{name} still described 30 s after DeleteTable"
        time.sleep(0.1)
    assert name not in ddb.list_tables()["TableNames"]


def test_create_hash_and_range_table(ddb, tables):
    name = tables(range_table_args(unique_table("hr")))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
    # Both key attributes are required in an item and in a key.
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    expect_error("ValidationException", ddb.put_item, TableName=name, Item={"pk": {"S": "a"}})
    expect_error("ValidationException", ddb.get_item, TableName=name, Key={"pk": {"S": "a"}})
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"] == {
        "pk": {"S": "a"}, "sk": {"N": "1"}}


def test_create_table_with_binary_key_and_provisioned_throughput(ddb, tables):
    name = unique_table("bin")
    tables(dict(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "B"}],
                ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2}))
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 2
    key = bytes(range(256))
    ddb.put_item(TableName=name, Item={"k": {"B": key}, "v": {"S": "binary key"}})
    assert ddb.get_item(TableName=name, Key={"k": {"B": key}})["Item"]["v"] == {"S": "binary key"}
    assert "Item" not in ddb.get_item(TableName=name, Key={"k": {"B": key[:-1]}})


@pytest.mark.parametrize("case", [
    "no-hash-key", "two-hash-keys", "key-not-defined", "unused-definition", "bad-attribute-type", "bad-table-name",
    "range-without-hash", "pay-per-request-with-throughput", "provisioned-without-throughput",
])
def test_create_table_validation(ddb, case):
    name = unique_table("bad")
    args = hash_table_args(name)
    if case == "no-hash-key":
        args["KeySchema"] = [{"AttributeName": "LockID", "KeyType": "RANGE"}]
    elif case == "two-hash-keys":
        args["KeySchema"] = [{"AttributeName": "LockID", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}]
        args["AttributeDefinitions"].append({"AttributeName": "b", "AttributeType": "S"})
    elif case == "key-not-defined":
        args["AttributeDefinitions"] = [{"AttributeName": "other", "AttributeType": "S"}]
    elif case == "unused-definition":
        args["AttributeDefinitions"].append({"AttributeName": "extra", "AttributeType": "S"})
    elif case == "bad-attribute-type":
        args["AttributeDefinitions"] = [{"AttributeName": "LockID", "AttributeType": "BOOL"}]
    elif case == "bad-table-name":
        args["TableName"] = "not a valid name!"
    elif case == "range-without-hash":
        args["KeySchema"] = [{"AttributeName": "LockID", "KeyType": "RANGE"},
                             {"AttributeName": "b", "KeyType": "RANGE"}]
        args["AttributeDefinitions"].append({"AttributeName": "b", "AttributeType": "S"})
    elif case == "pay-per-request-with-throughput":
        args["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    elif case == "provisioned-without-throughput":
        del args["BillingMode"]
    try:
        expect_error("ValidationException", ddb.create_table, **args)
    finally:
        try:
            ddb.delete_table(TableName=args["TableName"])
        except ClientError:
            pass
    assert args["TableName"] not in ddb.list_tables()["TableNames"]


def test_duplicate_create_is_resource_in_use(ddb, lock_table):
    message = expect_error("ResourceInUseException", ddb.create_table, **hash_table_args(lock_table))
    assert lock_table in message
    # the existing table is untouched
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": "still-there"}})
    assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "still-there"}})["Item"]


def test_missing_table_is_resource_not_found(ddb):
    name = unique_table("missing")
    key = {"LockID": {"S": "x"}}
    calls = [
        (ddb.describe_table, dict(TableName=name)),
        (ddb.delete_table, dict(TableName=name)),
        (ddb.update_table, dict(TableName=name, BillingMode="PAY_PER_REQUEST")),
        (ddb.put_item, dict(TableName=name, Item=key)),
        (ddb.get_item, dict(TableName=name, Key=key)),
        (ddb.delete_item, dict(TableName=name, Key=key)),
        (ddb.update_item, dict(TableName=name, Key=key, UpdateExpression="SET a = :a",
                               ExpressionAttributeValues={":a": {"S": "x"}})),
        (ddb.query, dict(TableName=name, KeyConditionExpression="LockID = :k",
                         ExpressionAttributeValues={":k": {"S": "x"}})),
        (ddb.scan, dict(TableName=name)),
        (ddb.describe_time_to_live, dict(TableName=name)),
    ]
    for call, kwargs in calls:
        expect_error("ResourceNotFoundException", call, **kwargs)
    expect_error("ResourceNotFoundException", ddb.batch_get_item, RequestItems={name: {"Keys": [key]}})
    expect_error("ResourceNotFoundException", ddb.batch_write_item,
                 RequestItems={name: [{"PutRequest": {"Item": key}}]})
    expect_error("ResourceNotFoundException", ddb.list_tags_of_resource, ResourceArn=table_arn(name))


def test_list_tables_pagination(ddb, tables):
    prefix = "lst-" + uuid.uuid4().hex[:8]
    mine = sorted(tables(hash_table_args(f"{prefix}-{i}")) for i in range(5))
    seen: list[str] = []
    start = None
    pages = 0
    while True:
        kwargs = dict(Limit=2)
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        names = page["TableNames"]
        pages += 1
        assert len(names) <= 2, page
        if start:
            assert all(n > start for n in names), (start, names)
        seen += names
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
        assert start == names[-1], page
        assert pages < 10_000
    assert seen == sorted(seen), "table names come back in order"
    assert len(seen) == len(set(seen)), "pages overlap"
    assert [n for n in seen if n.startswith(prefix)] == mine
    # starting after the second of ours gives the third first (no other table sorts in between)
    page = ddb.list_tables(ExclusiveStartTableName=mine[1], Limit=1)
    assert page["TableNames"] == [mine[2]]
    # everything in one call, and through boto3's paginator
    assert set(mine) <= set(ddb.list_tables()["TableNames"])
    paged = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3})
             for n in p["TableNames"]]
    assert [n for n in paged if n.startswith(prefix)] == mine


def test_update_table_billing_mode(ddb, lock_table):
    updated = ddb.update_table(TableName=lock_table, BillingMode="PROVISIONED",
                               ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
    assert updated["TableDescription"]["TableName"] == lock_table
    table = wait_active(ddb, lock_table)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"],
            table["ProvisionedThroughput"]["WriteCapacityUnits"]) == (7, 3)
    ddb.update_table(TableName=lock_table, BillingMode="PAY_PER_REQUEST")
    table = wait_active(ddb, lock_table)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # items are unaffected by the update
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": "after-update"}})
    assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "after-update"}})["Item"] == {
        "LockID": {"S": "after-update"}}


def test_tags(ddb, tables):
    name = tables(hash_table_args(unique_table("tags"), Tags=[{"Key": "team", "Value": "infra"}]))
    arn = table_arn(name)

    def listed():
        return sorted(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", []), key=lambda t: t["Key"])

    assert listed() == [{"Key": "team", "Value": "infra"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "platform"}])
    assert listed() == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "platform"}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert listed() == [{"Key": "env", "Value": "dev"}]


def test_time_to_live(ddb, lock_table):
    desc = ddb.describe_time_to_live(TableName=lock_table)["TimeToLiveDescription"]
    assert desc["TimeToLiveStatus"] == "DISABLED"
    spec = ddb.update_time_to_live(TableName=lock_table,
                                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert spec["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    desc = ddb.describe_time_to_live(TableName=lock_table)["TimeToLiveDescription"]
    assert desc["TimeToLiveStatus"] in ("ENABLING", "ENABLED") and desc["AttributeName"] == "expires", desc
    # enabling it again is refused, as on AWS
    expect_error("ValidationException", ddb.update_time_to_live, TableName=lock_table,
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    spec = ddb.update_time_to_live(TableName=lock_table,
                                   TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
    assert spec["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "expires"}
    desc = ddb.describe_time_to_live(TableName=lock_table)["TimeToLiveDescription"]
    assert desc["TimeToLiveStatus"] in ("DISABLING", "DISABLED"), desc


# ---------------------------------------------------------------------------
# items and types


def every_type_item(key: str) -> dict:
    return {
        "LockID": {"S": key},
        "s": {"S": "héllo wörld ✓ 日本"},
        "empty_s": {"S": ""},
        "n_int": {"N": "42"},
        "n_neg": {"N": "-17"},
        "n_big": {"N": BIG_N},
        "n_38_digits": {"N": "1234567890123456789012345678901234567.8"},
        "n_fraction": {"N": "-0.000123"},
        "n_zero": {"N": "0"},
        "b": {"B": bytes(range(256))},
        "b_empty": {"B": b""},
        "t": {"BOOL": True},
        "f": {"BOOL": False},
        "null": {"NULL": True},
        "m": {"M": {"a": {"N": "1"}, "inner": {"M": {"deep": {"L": [{"S": "x"}, {"M": {}}]}}}, "z": {"NULL": True}}},
        "m_empty": {"M": {}},
        "l": {"L": [{"S": "a"}, {"N": "2"}, {"B": b"\x00\xff"}, {"BOOL": False}, {"L": []},
                    {"SS": ["only"]}, {"M": {"k": {"S": "v"}}}]},
        "l_empty": {"L": []},
        "ss": {"SS": ["b", "a", "c", "ü"]},
        "ns": {"NS": ["1", "2.5", "-3", BIG_N]},
        "bs": {"BS": [b"\x00", b"\xff", b"ab"]},
    }


def test_every_type_round_trips(ddb, lock_table):
    item = every_type_item("types")
    assert ddb.put_item(TableName=lock_table, Item=item).get("Attributes") is None
    got = ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "types"}}, ConsistentRead=True)["Item"]
    assert sets_sorted(got) == sets_sorted(item)
    assert got["n_big"] == {"N": BIG_N}
    assert got["b"]["B"] == bytes(range(256))

    # a projection, as Terraform's lock read ("LockID, Info") and with nested paths
    got = ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "types"}}, ConsistentRead=True,
                       ProjectionExpression="LockID, #s, m.a, l[1]", ExpressionAttributeNames={"#s": "s"})["Item"]
    assert got == {"LockID": {"S": "types"}, "s": item["s"], "m": {"M": {"a": {"N": "1"}}},
                   "l": {"L": [{"N": "2"}]}}


def test_numbers_come_back_normalized(ddb, lock_table):
    """Numbers are stored as decimals, not as the text sent: leading and trailing zeros go."""
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": "norm"}, "a": {"N": "1.50"}, "b": {"N": "0100"},
                                             "c": {"N": "-0.000"}, "ns": {"NS": ["2.0", "3"]}})
    got = ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "norm"}}, ConsistentRead=True)["Item"]
    assert (got["a"], got["b"], got["c"]) == ({"N": "1.5"}, {"N": "100"}, {"N": "0"}), got
    assert sorted(got["ns"]["NS"]) == ["2", "3"], got


def test_get_put_delete_item(ddb, lock_table):
    key = {"LockID": {"S": "tfstate/project/terraform.tfstate"}}
    assert "Item" not in ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)
    info = json.dumps({"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply"})
    first = dict(key, Info={"S": info})
    assert "Attributes" not in ddb.put_item(TableName=lock_table, Item=first, ReturnValues="ALL_OLD")
    second = dict(key, Digest={"S": "0" * 32})
    old = ddb.put_item(TableName=lock_table, Item=second, ReturnValues="ALL_OLD")["Attributes"]
    assert old == first  # PutItem replaces the whole item
    assert ddb.get_item(TableName=lock_table, Key=key)["Item"] == second
    assert ddb.delete_item(TableName=lock_table, Key=key, ReturnValues="ALL_OLD")["Attributes"] == second
    assert "Item" not in ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)
    # deleting what is not there succeeds and returns nothing
    assert "Attributes" not in ddb.delete_item(TableName=lock_table, Key=key, ReturnValues="ALL_OLD")


def test_resource_api(lockstep, range_table):
    from boto3.dynamodb.conditions import Attr, Key
    from boto3.dynamodb.types import Binary

    table = make_ddb_resource(lockstep).Table(range_table)
    assert table.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    item = {
        "pk": "res", "sk": Decimal(1),
        "big": Decimal(BIG_N), "neg": Decimal("-0.5"), "count": 7,
        "bin": Binary(b"\x00\x01\xfe"), "flag": False, "nothing": None,
        "names": {"a", "b"}, "numbers": {Decimal(1), Decimal("2.25")},
        "doc": {"list": [1, "two", None, True, {"x": Decimal("3.5")}], "empty": {}},
    }
    table.put_item(Item=item)
    got = table.get_item(Key={"pk": "res", "sk": 1}, ConsistentRead=True)["Item"]
    assert got == dict(item, count=Decimal(7), doc={"list": [Decimal(1), "two", None, True, {"x": Decimal("3.5")}],
                                                   "empty": {}})
    assert got["big"] == Decimal(BIG_N) and str(got["big"]) == BIG_N

    with table.batch_writer() as batch:  # 30 items: two BatchWriteItem calls
        for i in range(2, 32):
            batch.put_item(Item={"pk": "res", "sk": i, "parity": "even" if i % 2 == 0 else "odd"})
    resp = table.query(KeyConditionExpression=Key("pk").eq("res") & Key("sk").between(10, 20),
                       FilterExpression=Attr("parity").eq("even"), ScanIndexForward=False)
    assert [int(i["sk"]) for i in resp["Items"]] == [20, 18, 16, 14, 12, 10]
    assert resp["ScannedCount"] == 11 and resp["Count"] == 6

    updated = table.update_item(Key={"pk": "res", "sk": 1}, UpdateExpression="SET #c = #c + :one",
                                ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": 1},
                                ReturnValues="UPDATED_NEW")["Attributes"]
    assert updated == {"count": Decimal(8)}
    table.delete_item(Key={"pk": "res", "sk": 1})
    assert "Item" not in table.get_item(Key={"pk": "res", "sk": 1}, ConsistentRead=True)


# ---------------------------------------------------------------------------
# expressions


def test_lock_semantics_attribute_not_exists(ddb, lock_table):
    """What Terraform does to take its lock: PutItem with attribute_not_exists(LockID)."""
    key = {"LockID": {"S": "tfstate/lock/terraform.tfstate"}}
    holder = dict(key, Info={"S": json.dumps({"ID": "holder", "Who": "alice@host"})})
    ddb.put_item(TableName=lock_table, Item=holder, ConditionExpression="attribute_not_exists(LockID)")
    with pytest.raises(ClientError) as ei:
        ddb.put_item(TableName=lock_table, Item=dict(key, Info={"S": json.dumps({"ID": "second"})}),
                     ConditionExpression="attribute_not_exists(LockID)")
    assert error_of(ei) == ("ConditionalCheckFailedException", 400, "The conditional request failed")
    got = ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True, ProjectionExpression="LockID, Info")
    assert got["Item"] == holder

    # OpenTofu's unlock: DeleteItem with Info = :info
    with pytest.raises(ClientError) as ei:
        ddb.delete_item(TableName=lock_table, Key=key, ConditionExpression="Info = :info",
                        ExpressionAttributeValues={":info": {"S": "someone else"}})
    assert error_of(ei)[:2] == ("ConditionalCheckFailedException", 400)
    assert ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)["Item"] == holder
    ddb.delete_item(TableName=lock_table, Key=key, ConditionExpression="Info = :info",
                    ExpressionAttributeValues={":info": holder["Info"]})
    assert "Item" not in ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)
    # free again
    ddb.put_item(TableName=lock_table, Item=holder, ConditionExpression="attribute_not_exists(LockID)")


CONDITION_ITEM = {
    "LockID": {"S": "cond"}, "n": {"N": "10"}, "s": {"S": "terraform.tfstate"}, "ss": {"SS": ["a", "b"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}]}, "m": {"M": {"leaf": {"S": "v"}}}, "t": {"BOOL": True},
    "nul": {"NULL": True},
}
CONDITIONS = [
    ("attribute_exists(n)", {}, True),
    ("attribute_exists(absent)", {}, False),
    ("attribute_not_exists(absent)", {}, True),
    ("n = :ten", {":ten": {"N": "10.0"}}, True),
    ("n <> :ten", {":ten": {"N": "10"}}, False),
    ("n > :nine AND n < :eleven", {":nine": {"N": "9"}, ":eleven": {"N": "11"}}, True),
    ("n >= :big", {":big": {"N": "100"}}, False),
    ("n BETWEEN :a AND :b", {":a": {"N": "10"}, ":b": {"N": "10"}}, True),
    ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
    ("s = :n", {":n": {"N": "10"}}, False),  # different types are never equal
    ("begins_with(s, :p)", {":p": {"S": "terra"}}, True),
    ("begins_with(s, :p)", {":p": {"S": "form"}}, False),
    ("contains(s, :p)", {":p": {"S": "form.tf"}}, True),
    ("contains(ss, :p)", {":p": {"S": "b"}}, True),
    ("contains(ss, :p)", {":p": {"S": "c"}}, False),
    ("contains(l, :p)", {":p": {"N": "1"}}, True),
    ("size(s) = :len", {":len": {"N": "17"}}, True),
    ("size(ss) = :two AND size(l) = :two", {":two": {"N": "2"}}, True),
    ("attribute_type(n, :t)", {":t": {"S": "N"}}, True),
    ("attribute_type(nul, :t)", {":t": {"S": "NULL"}}, True),
    ("attribute_type(n, :t)", {":t": {"S": "S"}}, False),
    ("m.leaf = :v", {":v": {"S": "v"}}, True),
    ("l[0] = :v", {":v": {"S": "x"}}, True),
    ("l[5] = :v", {":v": {"S": "x"}}, False),
    ("t = :t", {":t": {"BOOL": True}}, True),
    ("NOT (n = :ten) OR t = :f", {":ten": {"N": "10"}, ":f": {"BOOL": False}}, False),
    ("(n = :ten OR n = :one) AND NOT attribute_exists(absent)", {":ten": {"N": "10"}, ":one": {"N": "1"}}, True),
]


@pytest.mark.parametrize("expression, values, holds", CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_condition_expressions(ddb, lock_table, expression, values, holds):
    ddb.put_item(TableName=lock_table, Item=CONDITION_ITEM)
    kwargs = dict(TableName=lock_table, Key={"LockID": {"S": "cond"}}, UpdateExpression="SET probe = :probe",
                  ConditionExpression=expression, ExpressionAttributeValues=dict(values, **{":probe": {"S": "hit"}}))
    if holds:
        ddb.update_item(**kwargs)
        assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "cond"}})["Item"]["probe"] == {"S": "hit"}
    else:
        with pytest.raises(ClientError) as ei:
            ddb.update_item(**kwargs)
        assert error_of(ei) == ("ConditionalCheckFailedException", 400, "The conditional request failed")
        assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "cond"}})["Item"] == CONDITION_ITEM


def test_update_expressions_and_return_values(ddb, lock_table):
    key = {"LockID": {"S": "upd"}}
    original = dict(key, a={"N": "1"}, cnt={"N": "5"}, lst={"L": [{"N": "1"}, {"N": "2"}]},
                    tags={"SS": ["x", "y"]}, dtags={"SS": ["p", "q", "r"]}, gone={"S": "bye"},
                    m={"M": {"leaf": {"S": "old"}, "keep": {"N": "3"}}})
    ddb.put_item(TableName=lock_table, Item=original)
    new = ddb.update_item(
        TableName=lock_table, Key=key, ReturnValues="ALL_NEW",
        UpdateExpression=("SET a = :a, cnt = cnt + :one, lst = list_append(lst, :more), "
                          "fresh = if_not_exists(fresh, :zero), kept = if_not_exists(a, :zero), m.leaf = :new "
                          "REMOVE gone ADD tally :five, tags :addtags DELETE dtags :rem"),
        ExpressionAttributeValues={":a": {"N": "10"}, ":one": {"N": "1"}, ":more": {"L": [{"N": "3"}, {"N": "4"}]},
                                   ":zero": {"N": "0"}, ":new": {"S": "new"}, ":five": {"N": "5"},
                                   ":addtags": {"SS": ["y", "z"]}, ":rem": {"SS": ["q", "not-there"]}},
    )["Attributes"]
    expected = dict(key, a={"N": "10"}, cnt={"N": "6"},
                    lst={"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}, {"N": "4"}]},
                    fresh={"N": "0"}, kept={"N": "1"}, tally={"N": "5"},
                    tags={"SS": ["x", "y", "z"]}, dtags={"SS": ["p", "r"]},
                    m={"M": {"leaf": {"S": "new"}, "keep": {"N": "3"}}})
    assert sets_sorted(new) == sets_sorted(expected)
    stored_item = ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)["Item"]
    assert sets_sorted(stored_item) == sets_sorted(expected)

    old = ddb.update_item(TableName=lock_table, Key=key,
                          UpdateExpression="SET a = a + :one, lst = list_append(:head, lst)",
                          ExpressionAttributeValues={":one": {"N": "1"}, ":head": {"L": [{"N": "0"}]}},
                          ReturnValues="UPDATED_OLD")["Attributes"]
    assert old == {"a": {"N": "10"}, "lst": expected["lst"]}
    upd_new = ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="SET a = a + :one REMOVE fresh",
                              ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")["Attributes"]
    assert upd_new == {"a": {"N": "12"}}
    removed = ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="REMOVE lst[0]",
                              ReturnValues="ALL_NEW")["Attributes"]
    assert removed["lst"] == expected["lst"] and "fresh" not in removed
    all_old = ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="SET #n = :n",
                              ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":n": {"S": "x"}},
                              ReturnValues="ALL_OLD")["Attributes"]
    assert sets_sorted(all_old) == sets_sorted(
        {k: v for k, v in dict(expected, a={"N": "12"}).items() if k != "fresh"})
    # ADD on numbers keeps exact decimals
    added = ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="ADD tally :d",
                            ExpressionAttributeValues={":d": {"N": "0.000000000000000000000000000000000001"}},
                            ReturnValues="UPDATED_NEW")["Attributes"]
    assert added == {"tally": {"N": "5.000000000000000000000000000000000001"}}
    # NONE (the default) returns no attributes
    assert "Attributes" not in ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="REMOVE #n",
                                               ExpressionAttributeNames={"#n": "name"})


def test_update_item_creates_missing_item(ddb, lock_table):
    key = {"LockID": {"S": "upsert"}}
    resp = ddb.update_item(TableName=lock_table, Key=key, UpdateExpression="SET Digest = :d ADD n :one",
                           ExpressionAttributeValues={":d": {"S": "a" * 32}, ":one": {"N": "1"}},
                           ReturnValues="ALL_OLD")
    assert "Attributes" not in resp
    assert ddb.get_item(TableName=lock_table, Key=key, ConsistentRead=True)["Item"] == dict(
        key, Digest={"S": "a" * 32}, n={"N": "1"})
    # with a condition that needs the item, nothing is created
    other = {"LockID": {"S": "upsert-guarded"}}
    with pytest.raises(ClientError) as ei:
        ddb.update_item(TableName=lock_table, Key=other, UpdateExpression="SET a = :a",
                        ConditionExpression="attribute_exists(LockID)", ExpressionAttributeValues={":a": {"S": "x"}})
    assert error_of(ei)[:2] == ("ConditionalCheckFailedException", 400)
    assert "Item" not in ddb.get_item(TableName=lock_table, Key=other, ConsistentRead=True)


# ---------------------------------------------------------------------------
# Query and Scan


def fill_range_table(ddb, name: str) -> None:
    requests_ = [{"PutRequest": {"Item": {"pk": {"S": "p1"}, "sk": {"N": str(i)},
                                          "kind": {"S": "even" if i % 2 == 0 else "odd"},
                                          "v": {"S": f"value-{i}"}}}} for i in range(1, 26)]
    requests_ += [{"PutRequest": {"Item": {"pk": {"S": "p2"}, "sk": {"N": str(i)}, "kind": {"S": "even"}}}}
                  for i in range(1, 4)]
    for i in range(0, len(requests_), 25):
        resp = ddb.batch_write_item(RequestItems={name: requests_[i:i + 25]})
        assert not resp.get("UnprocessedItems"), resp


def query_all(ddb, **kwargs) -> tuple[list[dict], list[dict]]:
    """All items of a query or scan walked page by page; (items, pages)."""
    call = ddb.query if "KeyConditionExpression" in kwargs else ddb.scan
    items, pages = [], []
    start = None
    while True:
        page = call(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages.append(page)
        assert page["Count"] == len(page.get("Items", [])), page
        items += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items, pages
        assert len(pages) < 1000


def test_query_key_condition_filter_and_pagination(ddb, range_table):
    fill_range_table(ddb, range_table)
    base = dict(TableName=range_table, KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={":pk": {"S": "p1"}, ":lo": {"N": "3"}, ":hi": {"N": "20"}})

    # Limit counts items read, before the filter
    filtered = dict(base, FilterExpression="kind = :k", Limit=4,
                    ExpressionAttributeValues=dict(base["ExpressionAttributeValues"], **{":k": {"S": "even"}}))
    items, pages = query_all(ddb, **filtered)
    assert [int(i["sk"]["N"]) for i in items] == list(range(4, 21, 2))
    assert all(p["ScannedCount"] <= 4 for p in pages), pages
    assert sum(p["ScannedCount"] for p in pages) == 18
    assert len(pages) >= 5
    for p in pages:
        if "LastEvaluatedKey" in p:
            assert set(p["LastEvaluatedKey"]) == {"pk", "sk"}, p

    # numeric order, not string order; descending with ScanIndexForward=False
    items, _ = query_all(ddb, **base, ScanIndexForward=False, Limit=5)
    assert [int(i["sk"]["N"]) for i in items] == list(range(20, 2, -1))
    assert items[0] == {"pk": {"S": "p1"}, "sk": {"N": "20"}, "kind": {"S": "even"}, "v": {"S": "value-20"}}

    # other key conditions
    def sks(expr, values, **kw):
        got, _ = query_all(ddb, TableName=range_table, KeyConditionExpression=expr,
                           ExpressionAttributeValues=values, **kw)
        return [int(i["sk"]["N"]) for i in got]

    assert sks("pk = :pk", {":pk": {"S": "p2"}}) == [1, 2, 3]
    assert sks("pk = :pk AND sk > :x", {":pk": {"S": "p1"}, ":x": {"N": "22"}}) == [23, 24, 25]
    assert sks("pk = :pk AND sk <= :x", {":pk": {"S": "p1"}, ":x": {"N": "2"}}) == [1, 2]
    assert sks("#p = :pk AND #s < :x", {":pk": {"S": "p1"}, ":x": {"N": "3"}},
               ExpressionAttributeNames={"#p": "pk", "#s": "sk"}) == [1, 2]
    assert sks("pk = :pk", {":pk": {"S": "nobody"}}) == []

    count = ddb.query(TableName=range_table, KeyConditionExpression="pk = :pk", Select="COUNT",
                      ExpressionAttributeValues={":pk": {"S": "p1"}})
    assert count["Count"] == 25 and "Items" not in count
    projected = ddb.query(TableName=range_table, KeyConditionExpression="pk = :pk AND sk = :one",
                          ProjectionExpression="v", ExpressionAttributeValues={":pk": {"S": "p1"}, ":one": {"N": "1"}})
    assert projected["Items"] == [{"v": {"S": "value-1"}}]

    # a key condition on a non-key attribute, or without the hash key, is refused
    expect_error("ValidationException", ddb.query, TableName=range_table, KeyConditionExpression="kind = :k",
                 ExpressionAttributeValues={":k": {"S": "even"}})
    expect_error("ValidationException", ddb.query, TableName=range_table, KeyConditionExpression="sk = :k",
                 ExpressionAttributeValues={":k": {"N": "1"}})


def test_scan_pagination_and_count(ddb, lock_table):
    expected = {}
    for i in range(23):
        item = {"LockID": {"S": f"scan-{i:02d}"}, "n": {"N": str(i)}}
        ddb.put_item(TableName=lock_table, Item=item)
        expected[f"scan-{i:02d}"] = item
    items, pages = query_all(ddb, TableName=lock_table, Limit=5)
    assert all(len(p["Items"]) <= 5 and p["ScannedCount"] == len(p["Items"]) for p in pages), pages
    assert len(pages) >= 5
    ids = [i["LockID"]["S"] for i in items]
    assert len(ids) == len(set(ids)), "pages overlap"
    assert {i["LockID"]["S"]: i for i in items} == expected
    for p in pages[:-1]:
        assert set(p["LastEvaluatedKey"]) == {"LockID"}, p

    count = ddb.scan(TableName=lock_table, Select="COUNT")
    assert (count["Count"], count["ScannedCount"]) == (23, 23) and "Items" not in count
    filtered = ddb.scan(TableName=lock_table, Select="COUNT", FilterExpression="n >= :ten",
                        ExpressionAttributeValues={":ten": {"N": "10"}})
    assert (filtered["Count"], filtered["ScannedCount"]) == (13, 23)
    items, _ = query_all(ddb, TableName=lock_table, Limit=7, FilterExpression="n < :three",
                         ExpressionAttributeValues={":three": {"N": "3"}})
    assert sorted(i["LockID"]["S"] for i in items) == ["scan-00", "scan-01", "scan-02"]
    paged = [i for p in ddb.get_paginator("scan").paginate(TableName=lock_table, PaginationConfig={"PageSize": 4})
             for i in p["Items"]]
    assert sorted(i["LockID"]["S"] for i in paged) == sorted(expected)


# ---------------------------------------------------------------------------
# batches


def test_batch_write_and_batch_get(ddb, lock_table, range_table):
    puts = {lock_table: [{"PutRequest": {"Item": {"LockID": {"S": f"b{i}"}, "n": {"N": str(i)}}}} for i in range(20)],
            range_table: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}, "v": {"S": f"r{i}"}}}}
                          for i in range(5)]}
    resp = ddb.batch_write_item(RequestItems=puts)
    assert resp["UnprocessedItems"] == {}

    keys = {lock_table: {"Keys": [{"LockID": {"S": f"b{i}"}} for i in range(20)] + [{"LockID": {"S": "absent"}}],
                         "ConsistentRead": True},
            range_table: {"Keys": [{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in range(5)],
                          "ProjectionExpression": "sk, v"}}
    got = ddb.batch_get_item(RequestItems=keys)
    assert got["UnprocessedKeys"] == {}
    assert sorted(got["Responses"][lock_table], key=lambda i: int(i["n"]["N"])) == [
        {"LockID": {"S": f"b{i}"}, "n": {"N": str(i)}} for i in range(20)]
    assert sorted(got["Responses"][range_table], key=lambda i: int(i["sk"]["N"])) == [
        {"sk": {"N": str(i)}, "v": {"S": f"r{i}"}} for i in range(5)]

    # deletes and puts mixed
    resp = ddb.batch_write_item(RequestItems={lock_table: [
        *[{"DeleteRequest": {"Key": {"LockID": {"S": f"b{i}"}}}} for i in range(10)],
        {"PutRequest": {"Item": {"LockID": {"S": "b-new"}}}}]})
    assert resp["UnprocessedItems"] == {}
    left = ddb.scan(TableName=lock_table)["Items"]
    assert sorted(i["LockID"]["S"] for i in left) == sorted([f"b{i}" for i in range(10, 20)] + ["b-new"])

    # limits and duplicates
    too_many = [{"PutRequest": {"Item": {"LockID": {"S": f"x{i}"}}}} for i in range(26)]
    expect_error("ValidationException", ddb.batch_write_item, RequestItems={lock_table: too_many})
    dupes = [{"PutRequest": {"Item": {"LockID": {"S": "same"}}}}] * 2
    expect_error("ValidationException", ddb.batch_write_item, RequestItems={lock_table: dupes})
    expect_error("ValidationException", ddb.batch_get_item,
                 RequestItems={lock_table: {"Keys": [{"LockID": {"S": f"k{i}"}} for i in range(101)]}})
    expect_error("ValidationException", ddb.batch_get_item,
                 RequestItems={lock_table: {"Keys": [{"LockID": {"S": "same"}}] * 2}})
    assert "Item" not in ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "x0"}}, ConsistentRead=True)
    assert "Item" not in ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "same"}}, ConsistentRead=True)


# ---------------------------------------------------------------------------
# validation


def test_validation_errors(ddb, lock_table, range_table):
    def invalid(call, **kwargs) -> str:
        return expect_error("ValidationException", call, TableName=kwargs.pop("table", lock_table), **kwargs)

    # key attribute of the wrong type, missing, or extra
    invalid(ddb.put_item, Item={"LockID": {"N": "1"}})
    invalid(ddb.put_item, Item={"Info": {"S": "no key"}})
    invalid(ddb.get_item, Key={"LockID": {"N": "1"}})
    invalid(ddb.get_item, Key={"Other": {"S": "x"}})
    invalid(ddb.get_item, Key={"LockID": {"S": "x"}, "Info": {"S": "not part of the key"}})
    invalid(ddb.delete_item, Key={})
    invalid(ddb.get_item, table=range_table, Key={"pk": {"S": "a"}, "sk": {"S": "not a number"}})
    # an empty string is allowed as a value, not as a key
    invalid(ddb.put_item, Item={"LockID": {"S": ""}})
    # numbers: at most 38 significant digits, and they must be numbers
    invalid(ddb.put_item, Item={"LockID": {"S": "n"}, "n": {"N": "1" * 39}})
    invalid(ddb.put_item, Item={"LockID": {"S": "n"}, "n": {"N": "twelve"}})
    # sets: not empty, no duplicates
    invalid(ddb.put_item, Item={"LockID": {"S": "s"}, "ss": {"SS": []}})
    invalid(ddb.put_item, Item={"LockID": {"S": "s"}, "ss": {"SS": ["a", "a"]}})

    # expressions: unused values or names, undefined ones, syntax errors
    message = invalid(ddb.put_item, Item={"LockID": {"S": "e"}}, ConditionExpression="attribute_not_exists(LockID)",
                      ExpressionAttributeValues={":unused": {"S": "x"}})
    assert ":unused" in message, message
    message = invalid(ddb.put_item, Item={"LockID": {"S": "e"}}, ConditionExpression="attribute_not_exists(LockID)",
                      ExpressionAttributeNames={"#unused": "x"})
    assert "#unused" in message, message
    invalid(ddb.put_item, Item={"LockID": {"S": "e"}}, ConditionExpression="a = :missing")
    invalid(ddb.put_item, Item={"LockID": {"S": "e"}}, ConditionExpression="#missing = :v",
            ExpressionAttributeValues={":v": {"S": "x"}})
    invalid(ddb.put_item, Item={"LockID": {"S": "e"}}, ConditionExpression="attribute_not_exists(LockID",)
    invalid(ddb.update_item, Key={"LockID": {"S": "e"}}, UpdateExpression="SET LockID = :v",
            ExpressionAttributeValues={":v": {"S": "cannot change the key"}})
    invalid(ddb.update_item, Key={"LockID": {"S": "e"}}, UpdateExpression="SET a = :v REMOVE a",
            ExpressionAttributeValues={":v": {"S": "overlap"}})
    # reserved words need ExpressionAttributeNames
    invalid(ddb.update_item, Key={"LockID": {"S": "e"}}, UpdateExpression="SET status = :v",
            ExpressionAttributeValues={":v": {"S": "reserved"}})
    # none of the refused writes wrote anything
    assert ddb.scan(TableName=lock_table, Select="COUNT")["Count"] == 0


def test_item_size_limit(ddb, lock_table):
    """400 KB per item, names and values counted. Sizes stay clear of the exact boundary."""
    name = "v"
    key = "big"
    fits = {"LockID": {"S": key}, name: {"S": "x" * 390_000}}
    ddb.put_item(TableName=lock_table, Item=fits)
    got = ddb.get_item(TableName=lock_table, Key={"LockID": {"S": key}}, ConsistentRead=True)["Item"]
    assert got == fits

    too_big = {"LockID": {"S": "too-big"}, name: {"S": "x" * (ITEM_LIMIT + 1)}}
    message = expect_error("ValidationException", ddb.put_item, TableName=lock_table, Item=too_big)
    assert "size" in message.lower(), message
    assert "Item" not in ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "too-big"}}, ConsistentRead=True)
    # growing an item past the limit with UpdateItem is refused too, and changes nothing
    expect_error("ValidationException", ddb.update_item, TableName=lock_table, Key={"LockID": {"S": key}},
                 UpdateExpression="SET more = :v", ExpressionAttributeValues={":v": {"S": "y" * 20_000}})
    assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": key}}, ConsistentRead=True)["Item"] == fits


# ---------------------------------------------------------------------------
# concurrency and durability


def test_32_way_lock_race_has_exactly_one_winner(lockstep, lock_table):
    """32 threads PutItem the same LockID with attribute_not_exists(LockID) at once, three times over:
    each time exactly one succeeds and the other 31 get ConditionalCheckFailedException."""
    n = 32
    clients = [make_ddb(lockstep) for _ in range(n)]
    for round_ in range(3):
        key = f"race/{round_}/terraform.tfstate"
        barrier = threading.Barrier(n)
        results: list[tuple[int, str]] = []
        lock = threading.Lock()

        def contender(i: int):
            info = json.dumps({"ID": f"contender-{i}", "Who": f"runner-{i}@host"})
            barrier.wait(timeout=60)
            try:
                clients[i].put_item(TableName=lock_table, Item={"LockID": {"S": key}, "Info": {"S": info}},
                                    ConditionExpression="attribute_not_exists(LockID)")
                outcome = "won"
            except ClientError as e:
                outcome = short_type(e.response["Error"]["Code"])
            except Exception as e:  # noqa: BLE001 - reported below
                outcome = f"{type(e).__name__}: {e}"
            with lock:
                results.append((i, outcome))

        threads = [threading.Thread(target=contender, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(results) == n, results
        winners = [i for i, outcome in results if outcome == "won"]
        losers = sorted(outcome for _, outcome in results if outcome != "won")
        assert len(winners) == 1, results
        assert losers == ["ConditionalCheckFailedException"] * (n - 1), losers
        held = clients[0].get_item(TableName=lock_table, Key={"LockID": {"S": key}}, ConsistentRead=True)["Item"]
        assert json.loads(held["Info"]["S"])["ID"] == f"contender-{winners[0]}"


@pytest.mark.slow
def test_tables_and_items_survive_kill9(spawn_lockstep, tmp_path):
    server = spawn_lockstep(tmp_path / "ddb-data")
    ddb = make_ddb(server)
    ddb.create_table(**hash_table_args("locks"))
    ddb.create_table(**range_table_args("events", Tags=[{"Key": "k", "Value": "v"}]))
    wait_active(ddb, "locks")
    wait_active(ddb, "events")
    expected_locks = {}
    for i in range(50):
        item = every_type_item(f"item-{i:02d}")
        ddb.put_item(TableName="locks", Item=item)
        expected_locks[f"item-{i:02d}"] = item
    ddb.put_item(TableName="locks", Item={"LockID": {"S": "tfstate/a/terraform.tfstate"}, "Info": {"S": "{}"}},
                 ConditionExpression="attribute_not_exists(LockID)")
    expected_locks["tfstate/a/terraform.tfstate"] = {"LockID": {"S": "tfstate/a/terraform.tfstate"},
                                                     "Info": {"S": "{}"}}
    ddb.delete_item(TableName="locks", Key={"LockID": {"S": "item-07"}})
    del expected_locks["item-07"]
    ddb.update_item(TableName="locks", Key={"LockID": {"S": "item-08"}}, UpdateExpression="SET n_int = :v",
                    ExpressionAttributeValues={":v": {"N": BIG_N}})
    expected_locks["item-08"] = dict(expected_locks["item-08"], n_int={"N": BIG_N})
    fill_range_table(ddb, "events")
    ddb.update_time_to_live(TableName="locks", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    ddb.create_table(**hash_table_args("dropped"))
    wait_active(ddb, "dropped")
    ddb.delete_table(TableName="dropped")
    deadline = time.monotonic() + 30
    while "dropped" in ddb.list_tables()["TableNames"]:  # deleted for good before the crash
        assert time.monotonic() < deadline, "table still listed 30 s after DeleteTable"
        time.sleep(0.1)

    def verify(ddb):
        names = ddb.list_tables()["TableNames"]
        assert "locks" in names and "events" in names and "dropped" not in names, names
        events = ddb.describe_table(TableName="events")["Table"]
        assert events["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}]
        items, _ = query_all(ddb, TableName="locks", Limit=9)
        assert {sets_sorted(i)["LockID"]["S"]: sets_sorted(i) for i in items} == {
            k: sets_sorted(v) for k, v in expected_locks.items()}
        got, _ = query_all(ddb, TableName="events", KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": "p1"}})
        assert [int(i["sk"]["N"]) for i in got] == list(range(1, 26))
        assert ddb.list_tags_of_resource(ResourceArn=table_arn("events"))["Tags"] == [{"Key": "k", "Value": "v"}]
        ttl = ddb.describe_time_to_live(TableName="locks")["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] in ("ENABLING", "ENABLED") and ttl["AttributeName"] == "ttl"

    server.kill9()
    server.start()
    ddb = make_ddb(server)
    verify(ddb)
    # the lock is still held after the crash
    with pytest.raises(ClientError) as ei:
        ddb.put_item(TableName="locks", Item={"LockID": {"S": "tfstate/a/terraform.tfstate"}},
                     ConditionExpression="attribute_not_exists(LockID)")
    assert error_of(ei)[0] == "ConditionalCheckFailedException"
    # writable, and a second crash right after loses nothing either
    ddb.put_item(TableName="locks", Item={"LockID": {"S": "after-restart"}})
    expected_locks["after-restart"] = {"LockID": {"S": "after-restart"}}
    server.kill9()
    server.start()
    verify(make_ddb(server))


# ---------------------------------------------------------------------------
# the wire


def raw_post(server, target: str | None, body: bytes, access_key: str | None = None, secret_key: str | None = None,
             sign: bool = True, content_type: str = JSON_10):
    """POST / signed with botocore's SigV4Auth for service `dynamodb`, sent with `requests`."""
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = server.endpoint + "/"
    headers = {"Content-Type": content_type, "Accept-Encoding": "identity"}
    if target:
        headers["X-Amz-Target"] = target
    if sign:
        req = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(Credentials(access_key or server.access_key, secret_key or server.secret_key),
                  "dynamodb", REGION).add_auth(req)
        headers = dict(req.headers.items())
    return requests.post(url, data=body, headers=headers, timeout=60)


def json_error(resp) -> str:
    assert resp.headers.get("Content-Type", "").startswith(JSON_10), resp.headers
    doc = resp.json()
    assert "__type" in doc, doc
    return short_type(doc["__type"])


def assert_crc32(resp) -> None:
    value = resp.headers.get("x-amz-crc32")
    assert value is not None, f"no x-amz-crc32 header: {resp.headers}"
    assert int(value) == zlib.crc32(resp.content) & 0xFFFFFFFF, (value, resp.content[:200])


def test_raw_request_success_and_crc32(lockstep, lock_table):
    body = json.dumps({"TableName": lock_table, "Item": {"LockID": {"S": "raw"}, "n": {"N": BIG_N},
                                                        "b": {"B": base64.b64encode(b"\x00\xff").decode()}}}).encode()
    put = raw_post(lockstep, TARGET + "PutItem", body)
    assert put.status_code == 200, put.text
    assert put.json() == {}
    assert_crc32(put)
    assert put.headers.get("x-amzn-RequestId")
    get = raw_post(lockstep, TARGET + "GetItem",
                   json.dumps({"TableName": lock_table, "Key": {"LockID": {"S": "raw"}},
                               "ConsistentRead": True}).encode())
    assert get.status_code == 200, get.text
    assert get.headers["Content-Type"].startswith(JSON_10)
    assert get.json() == {"Item": {"LockID": {"S": "raw"}, "n": {"N": BIG_N}, "b": {"B": "AP8="}}}
    assert_crc32(get)
    listed = raw_post(lockstep, TARGET + "ListTables", b"{}")
    assert listed.status_code == 200 and lock_table in listed.json()["TableNames"]
    assert_crc32(listed)
    # errors carry it too
    missing = raw_post(lockstep, TARGET + "GetItem",
                       json.dumps({"TableName": lock_table,
                                   "Key": {"LockID": {"S": "x"}, "extra": {"S": "y"}}}).encode())
    assert missing.status_code == 400 and json_error(missing) == "ValidationException"
    assert_crc32(missing)


def test_raw_malformed_json_is_serialization_exception(lockstep, lock_table):
    for body in (b'{"TableName": ', b"not json at all"):
        resp = raw_post(lockstep, TARGET + "GetItem", body)
        assert resp.status_code == 400, (body, resp.status_code, resp.text)
        assert json_error(resp) == "SerializationException", (body, resp.text)


def test_raw_unknown_operation(lockstep):
    resp = raw_post(lockstep, TARGET + "NoSuchOperation", b"{}")
    assert resp.status_code == 400, resp.text
    assert json_error(resp) == "UnknownOperationException", resp.text


def test_raw_wrong_secret_and_unknown_key(lockstep):
    resp = raw_post(lockstep, TARGET + "ListTables", b"{}", secret_key="not-the-secret-key")
    assert resp.status_code == 400, resp.text
    assert json_error(resp) in ("InvalidSignatureException", "UnrecognizedClientException"), resp.text
    resp = raw_post(lockstep, TARGET + "ListTables", b"{}", access_key="LSNOSUCHKEY000000000")
    assert resp.status_code == 400, resp.text
    assert json_error(resp) == "UnrecognizedClientException", resp.text


def test_raw_unsigned_request(lockstep):
    resp = raw_post(lockstep, TARGET + "ListTables", b"{}", sign=False)
    assert resp.status_code == 400, resp.text
    assert json_error(resp) == "MissingAuthenticationTokenException", resp.text


def test_boto3_auth_errors(lockstep):
    with pytest.raises(ClientError) as ei:
        make_ddb(lockstep, secret_key="not-the-secret-key").list_tables()
    assert error_of(ei)[:2] in (("InvalidSignatureException", 400), ("UnrecognizedClientException", 400))
    with pytest.raises(ClientError) as ei:
        make_ddb(lockstep, access_key="LSNOSUCHKEY000000000", secret_key="x").list_tables()
    assert error_of(ei)[:2] == ("UnrecognizedClientException", 400)


def test_s3_still_answers_beside_dynamodb(ddb, lock_table, s3, bucket):
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": "beside"}})
    s3.put_object(Bucket=bucket, Key="k", Body=b"beside dynamodb")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"beside dynamodb"
    assert ddb.get_item(TableName=lock_table, Key={"LockID": {"S": "beside"}})["Item"] == {"LockID": {"S": "beside"}}


# ---------------------------------------------------------------------------
# aws CLI


def test_awscli_dynamodb(aws, ddb):
    name = unique_table("cli")
    aws("dynamodb", "create-table", "--table-name", name,
        "--attribute-definitions", "AttributeName=LockID,AttributeType=S",
        "--key-schema", "AttributeName=LockID,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
    try:
        aws("dynamodb", "wait", "table-exists", "--table-name", name)
        described = json.loads(aws("dynamodb", "describe-table", "--table-name", name, "--output", "json").stdout)
        assert described["Table"]["TableArn"] == table_arn(name)
        assert name in json.loads(aws("dynamodb", "list-tables", "--output", "json").stdout)["TableNames"]

        item = json.dumps({"LockID": {"S": "tfstate/cli/terraform.tfstate"}, "Info": {"S": '{"ID":"cli"}'}})
        aws("dynamodb", "put-item", "--table-name", name, "--item", item,
            "--condition-expression", "attribute_not_exists(LockID)")
        again = aws("dynamodb", "put-item", "--table-name", name, "--item", item,
                    "--condition-expression", "attribute_not_exists(LockID)", check=False)
        assert again.returncode != 0
        assert "ConditionalCheckFailedException" in again.stderr and "The conditional request failed" in again.stderr

        key = json.dumps({"LockID": {"S": "tfstate/cli/terraform.tfstate"}})
        got = json.loads(aws("dynamodb", "get-item", "--table-name", name, "--key", key, "--consistent-read",
                             "--output", "json").stdout)
        assert got["Item"] == json.loads(item)
        updated = json.loads(aws("dynamodb", "update-item", "--table-name", name, "--key", key,
                                 "--update-expression", "SET n = :n",
                                 "--expression-attribute-values", json.dumps({":n": {"N": BIG_N}}),
                                 "--return-values", "ALL_NEW", "--output", "json").stdout)
        assert updated["Attributes"]["n"] == {"N": BIG_N}
        for i in range(12):
            aws("dynamodb", "put-item", "--table-name", name, "--item", json.dumps({"LockID": {"S": f"extra-{i}"}}))
        scanned = json.loads(aws("dynamodb", "scan", "--table-name", name, "--page-size", "5",
                                 "--output", "json").stdout)
        assert scanned["Count"] == 13 and len(scanned["Items"]) == 13
        counted = json.loads(aws("dynamodb", "scan", "--table-name", name, "--select", "COUNT",
                                 "--output", "json").stdout)
        assert counted["Count"] == 13
        aws("dynamodb", "delete-item", "--table-name", name, "--key", key)
        assert "Item" not in json.loads(aws("dynamodb", "get-item", "--table-name", name, "--key", key,
                                            "--output", "json").stdout.strip() or "{}")
    finally:
        aws("dynamodb", "delete-table", "--table-name", name, check=False)
    missing = aws("dynamodb", "describe-table", "--table-name", unique_table("cli-missing"), check=False)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
