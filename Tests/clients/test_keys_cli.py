"""The `lockstep keys` admin commands: the keyring of a stopped server's data dir, refused while a server holds it."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from botocore.exceptions import ClientError

from s3helpers import lockstep_binary, make_kms_client as make_kms
from test_cli_contract import STACK_TRACE, assert_usage_error, child_env, run_cli

KEY_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def binary():
    path = lockstep_binary()
    if not path.exists():
        if os.environ.get("LOCKSTEP_ENDPOINT"):
            pytest.skip(f"needs the lockstep binary ({path}); only an external endpoint is configured")
        pytest.fail(f"lockstep binary not found at {path}", pytrace=False)
    return path


def keys(binary, *args, env=None) -> subprocess.CompletedProcess:
    return run_cli(binary, ["keys", *map(str, args)], env=env)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert not STACK_TRACE.search(proc.stderr), proc.stderr
    return proc.stdout


def key_block(listing: str, key_id: str) -> str:
    """The table row of `key_id` and the indented lines under it."""
    lines = listing.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(key_id))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    return "\n".join(block)


@pytest.fixture
def stopped_data_dir(spawn_lockstep, tmp_path):
    """A data dir whose server made a customer key with an alias, the aws/s3 key, and a key pending deletion,
    then stopped. Returns (server, {name: key id})."""
    server = spawn_lockstep(tmp_path / "keys-data")
    kms = make_kms(server)
    app = kms.create_key(Description="app data")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=app)
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    assert server.stop() == 0
    return server, {"app": app, "managed": managed, "doomed": doomed}


def test_list_shows_the_hierarchy(binary, stopped_data_dir):
    server, ids = stopped_data_dir
    out = ok(keys(binary, "list", "--data-dir", server.data_dir))
    lines = out.splitlines()
    assert lines[0] == f"root key from {server.data_dir}/root.key"
    assert "3 keys" in lines[1]
    app = key_block(out, ids["app"])
    assert re.search(r"CUSTOMER\s+Enabled\s+off\s+alias/app", app), app
    assert "description: app data" in app
    assert re.search(r"material v1\s+created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\(current\)", app), app
    managed = key_block(out, ids["managed"])
    assert re.search(r"AWS\s+Enabled\s+on\s+alias/aws/s3", managed), managed
    doomed = key_block(out, ids["doomed"])
    assert re.search(r"PendingDeletion", doomed) and re.search(r"deletion: \d{4}-\d\d-\d\dT", doomed), doomed
    # The environment variable names the data dir as well as --data-dir does.
    assert ok(keys(binary, "list", env=child_env(LOCKSTEP_DATA_DIR=str(server.data_dir)))) == out


def test_create_rotate_disable_enable_offline_then_seen_by_the_server(binary, stopped_data_dir):
    server, ids = stopped_data_dir
    data_dir = server.data_dir
    created = ok(keys(binary, "create", "--data-dir", data_dir, "--description", "made offline", "--alias", "alias/offline"))
    match = re.fullmatch(rf"created key ({KEY_ID}) with alias alias/offline\n", created)
    assert match, created
    offline = match.group(1)
    assert re.fullmatch(rf"created key {KEY_ID}\n", ok(keys(binary, "create", "--data-dir", data_dir)))

    assert "material version 2 is now current" in ok(keys(binary, "rotate", "--data-dir", data_dir, "alias/app"))
    assert ok(keys(binary, "disable", "--data-dir", data_dir, f"arn:aws:kms:us-east-1:000000000000:key/{offline}")) == \
        f"disabled key {offline}\n"
    listing = ok(keys(binary, "list", "--data-dir", data_dir))
    assert "5 keys" in listing
    assert re.search(r"CUSTOMER\s+Disabled\s+off\s+alias/offline", key_block(listing, offline))
    assert re.search(r"material v2\s+created .*\(current\)", key_block(listing, ids["app"]))

    # The server sees every change made while it was stopped.
    server.start()
    kms = make_kms(server)
    assert kms.describe_key(KeyId="alias/offline")["KeyMetadata"]["Description"] == "made offline"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=offline, Plaintext=b"x")
    assert e.value.response["Error"]["Code"] == "DisabledException"
    rotations = kms.list_key_rotations(KeyId=ids["app"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert server.stop() == 0

    assert ok(keys(binary, "enable", "--data-dir", data_dir, offline)) == f"enabled key {offline}\n"
    server.start()
    assert make_kms(server).encrypt(KeyId="alias/offline", Plaintext=b"x")["KeyId"].endswith(offline)


def test_refused_while_a_server_holds_the_data_dir(binary, stopped_data_dir):
    server, ids = stopped_data_dir
    server.start()
    for args in (["list"], ["create"], ["rotate", ids["app"]], ["disable", ids["app"]], ["enable", ids["app"]]):
        proc = keys(binary, *args, "--data-dir", server.data_dir)
        assert_usage_error(proc)
        assert "server is running" in proc.stderr and "aws kms" in proc.stderr, proc.stderr
    assert make_kms(server).describe_key(KeyId=ids["app"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_refusals_change_nothing(binary, stopped_data_dir):
    server, ids = stopped_data_dir
    data_dir = server.data_dir
    before = ok(keys(binary, "list", "--data-dir", data_dir))
    for args, words in [
        (["disable", "alias/aws/s3"], "AWS managed"),
        (["enable", ids["doomed"]], "pending deletion"),
        (["disable", "alias/nope"], "no key alias/nope"),
        (["create", "--alias", "alias/app"], "already exists"),
        (["create", "--alias", "app"], "alias/"),
        (["create", "--alias", "alias/aws/mine"], "reserved"),
    ]:
        proc = keys(binary, *args, "--data-dir", data_dir)
        assert_usage_error(proc)
        assert words in proc.stderr, (args, proc.stderr)
    ok(keys(binary, "disable", "--data-dir", data_dir, ids["app"]))
    proc = keys(binary, "rotate", "--data-dir", data_dir, ids["app"])
    assert_usage_error(proc)
    assert "disabled" in proc.stderr
    ok(keys(binary, "enable", "--data-dir", data_dir, ids["app"]))
    assert ok(keys(binary, "list", "--data-dir", data_dir)) == before


def test_root_key_must_open_the_keyring(binary, stopped_data_dir, tmp_path):
    server, _ = stopped_data_dir
    data_dir = server.data_dir
    root = (data_dir / "root.key").read_text().strip()
    by_env = ok(keys(binary, "list", "--data-dir", data_dir, env=child_env(LOCKSTEP_ROOT_KEY=root)))
    assert by_env.splitlines()[0] == "root key from LOCKSTEP_ROOT_KEY"

    other = tmp_path / "other.key"
    other.write_text("A" * 43 + "=\n")
    proc = keys(binary, "list", "--data-dir", data_dir, "--root-key-file", other)
    assert_usage_error(proc)
    assert "does not open" in proc.stderr

    # Without its root key the keyring is refused, and no new root key is made in its place.
    (data_dir / "root.key").rename(tmp_path / "saved.key")
    proc = keys(binary, "list", "--data-dir", data_dir)
    assert_usage_error(proc)
    assert "no root key" in proc.stderr
    assert not (data_dir / "root.key").exists()
    ok(keys(binary, "list", "--data-dir", data_dir, "--root-key-file", tmp_path / "saved.key"))


def test_missing_data_dir_or_keyring(binary, tmp_path):
    missing = tmp_path / "nowhere"
    proc = keys(binary, "list", "--data-dir", missing)
    assert_usage_error(proc)
    assert "no data directory" in proc.stderr
    assert not missing.exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["list"], ["create"], ["rotate", "alias/x"]):
        proc = keys(binary, *args, "--data-dir", empty)
        assert_usage_error(proc)
        assert "no keyring" in proc.stderr
    assert list(empty.iterdir()) == [], "nothing, least of all a root key, is created"


@pytest.mark.parametrize("args", [
    ["keys", "rotate"],
    ["keys", "disable"],
    ["keys", "bogus"],
    ["keys", "list", "--no-such-flag"],
    ["keys", "create", "--description"],
], ids=["rotate-without-key", "disable-without-key", "unknown-subcommand", "unknown-flag", "missing-value"])
def test_usage_errors_exit_2(binary, tmp_path, args):
    assert_usage_error(run_cli(binary, args[:2] + ["--data-dir", tmp_path] + args[2:]))


def test_help(binary):
    proc = run_cli(binary, ["keys", "--help"])
    assert proc.returncode == 0
    for word in ("list", "create", "rotate", "disable", "enable"):
        assert word in proc.stdout
