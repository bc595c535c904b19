"""`lockstep serve --users FILE` (or LOCKSTEP_USERS_FILE): a file Lockstep cannot use stops the start with exit status
2 and exactly one stderr line, `lockstep: users file <path>: <problem>`, that never shows a secret; a good file
starts the server and its users can sign requests."""

from __future__ import annotations

import json

import pytest

from s3helpers import LockstepProcess, make_client, random_access_key, random_secret_key
from test_cli_contract import STACK_TRACE, binary, child_env, run_cli  # noqa: F401  (binary is a fixture)
from test_sts import make_sts

ROOT_KEY = "ROOTACCESSKEY0000000"
ROOT_SECRET = "root/secret+key/that-is-never-printed"


def user(name="alice", access_key=None, secret_key=None, **extra) -> dict:
    entry = {"name": name, "accessKey": access_key or random_access_key(),
             "secretKey": secret_key or random_secret_key()}
    entry.update(extra)
    return entry


def duplicate_key():
    key = random_access_key()
    return {"users": [user("alice", key), user("bob", key, account="222222222222")]}


# name: (file content, a word the problem must mention)
BAD_FILES = {
    "invalid-json": (lambda: '{"users": [{"name": "alice", "secretKey": "s3cr3t-in-broken-json"', "json"),
    "not-an-object": (lambda: json.dumps([user()]), "users"),
    "duplicate-access-key": (duplicate_key, "access key"),
    "root-access-key": (lambda: {"users": [user("alice", ROOT_KEY)]}, "access key"),
    "empty-secret": (lambda: {"users": [user("alice", account="111111111111") | {"secretKey": ""}]}, "secretKey"),
    "account-not-12-digits": (lambda: {"users": [user("alice", account="11111")]}, "account"),
    "account-not-digits": (lambda: {"users": [user("alice", account="11111111111a")]}, "account"),
    "unknown-user-field": (lambda: {"users": [user("alice", password="hunter2-secret")]}, "password"),
    "unknown-top-level-field": (lambda: {"users": [user()], "groups": []}, "groups"),
    "missing-secret": (lambda: {"users": [{"name": "alice", "accessKey": random_access_key()}]}, "secretKey"),
}


def secrets_in(content) -> list[str]:
    if isinstance(content, str):
        return ["s3cr3t-in-broken-json"]
    found = [u.get("secretKey") for u in content.get("users", []) if isinstance(u, dict)]
    found += [u.get("password") for u in content.get("users", []) if isinstance(u, dict)]
    return [s for s in found if s]


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_users_file_stops_the_start_with_one_line(binary, tmp_path, case):  # noqa: F811
    """Exit status 2, one stderr line naming the file and the problem, no ready line, no secret anywhere."""
    make, word = BAD_FILES[case]
    content = make()
    path = tmp_path / f"users-{case}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    proc = run_cli(binary, ["serve", "--address", "127.0.0.1", "--port", "0", "--data-dir", tmp_path / "data",
                            "--access-key", ROOT_KEY, "--secret-key", ROOT_SECRET, "--users", path])
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    prefix = f"lockstep: users file {path}: "
    assert lines[0].startswith(prefix) and len(lines[0]) > len(prefix), lines
    assert word.lower() in lines[0][len(prefix):].lower(), lines
    assert not STACK_TRACE.search(proc.stderr), proc.stderr
    assert '"event":"ready"' not in proc.stdout.replace(" ", "")
    for secret in secrets_in(content) + [ROOT_SECRET]:
        assert secret not in proc.stderr and secret not in proc.stdout, (secret, proc.stderr)


def test_a_missing_users_file_is_named(binary, tmp_path):  # noqa: F811
    """A users file that cannot be read is the same one-line failure."""
    path = tmp_path / "no-such-users.json"
    proc = run_cli(binary, ["serve", "--address", "127.0.0.1", "--port", "0", "--data-dir", tmp_path / "data",
                            "--access-key", ROOT_KEY, "--secret-key", ROOT_SECRET, "--users", path])
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"lockstep: users file {path}: "), proc.stderr


def test_the_users_file_from_the_environment_is_checked_too(binary, tmp_path):  # noqa: F811
    """LOCKSTEP_USERS_FILE is read like --users: a bad one stops the start the same way."""
    path = tmp_path / "env-users.json"
    path.write_text(json.dumps({"users": [user("alice", account="1234")]}))
    proc = run_cli(binary, ["serve", "--address", "127.0.0.1", "--port", "0", "--data-dir", tmp_path / "data",
                            "--access-key", ROOT_KEY, "--secret-key", ROOT_SECRET],
                   env=child_env(LOCKSTEP_USERS_FILE=str(path)))
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"lockstep: users file {path}: "), proc.stderr


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_good_users_file_starts_and_its_users_sign_requests(binary, tmp_path, how):  # noqa: F811
    """A valid file starts the server; its users (with and without `account`) sign S3 and STS requests as
    themselves, and none of their secrets is printed."""
    users = [user("alice", account="111111111111"), user("dave")]
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": users}))
    flags = ["--address", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path / "data"),
             "--access-key", ROOT_KEY, "--secret-key", ROOT_SECRET]
    env = child_env()
    if how == "flag":
        flags += ["--users", str(path)]
    else:
        env["LOCKSTEP_USERS_FILE"] = str(path)
    server = LockstepProcess(None, tmp_path / "logs", env=env, binary=binary, use_default_flags=False,
                             extra_args=flags, access_key=ROOT_KEY, secret_key=ROOT_SECRET)
    server.start()
    try:
        for entry, account in [(users[0], "111111111111"), (users[1], "000000000000")]:
            s3 = make_client(server, access_key=entry["accessKey"], secret_key=entry["secretKey"])
            bucket = f"users-file-{entry['name']}"
            s3.create_bucket(Bucket=bucket)
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
            s3.delete_bucket(Bucket=bucket)
            sts = make_sts(server, access_key=entry["accessKey"], secret_key=entry["secretKey"])
            identity = sts.get_caller_identity()
            assert identity["Arn"] == f"arn:aws:iam::{account}:user/{entry['name']}", identity
        assert make_sts(server).get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
        output = "\n".join(server.stdout_lines) + server.stderr_text()
        for entry in users:
            assert entry["secretKey"] not in output
    finally:
        server.stop()
