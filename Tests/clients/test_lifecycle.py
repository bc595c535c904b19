"""Lifecycle rules that run, on a store clock tests can move: boto3, the aws CLI, Lockstep's own CLI and Terraform
against dedicated servers (moving the clock of the shared server would disturb other tests)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from s3helpers import make_client
from terraform_support import object_versions
from test_terraform_cli import STATE_KEY, backend_block, stored, terraform  # noqa: F401  (the parametrized fixture)

DAY = 86_400


def lockstep_cli(server, *args, check: bool = True) -> subprocess.CompletedProcess:
    """`lockstep <args>` against `server`, with the same flags `serve` takes."""
    proc = subprocess.run([str(server.binary), *args, "--port", str(server.port), "--access-key", server.access_key,
                           "--secret-key", server.secret_key], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"lockstep {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def versioned(s3, name: str) -> str:
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def test_a_short_lifecycle_day_fires_rules_in_real_time(spawn_lockstep):
    server = spawn_lockstep(extra_args=["--lifecycle-day-seconds", "1"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="short-day")
    s3.put_bucket_lifecycle_configuration(Bucket="short-day", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 2}}]})
    put = s3.put_object(Bucket="short-day", Key="tmp/a", Body=b"x")
    assert 'rule-id="tmp"' in put["Expiration"]
    s3.put_object(Bucket="short-day", Key="keep/b", Body=b"y")
    # Due two to three "days" (seconds) after creation; the background worker wakes every half day.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="short-day").get("Contents", [])]
        if keys == ["keep/b"]:
            break
        time.sleep(0.25)
    assert keys == ["keep/b"]


def test_advancing_the_clock_prunes_old_versions_with_the_cli(spawn_lockstep, tmp_path):
    server = spawn_lockstep()
    s3 = make_client(server)
    bucket = versioned(s3, "pruned")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "keep-two", "Filter": {}, "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2}}]})
    for i in range(5):
        s3.put_object(Bucket=bucket, Key="state", Body=f"v{i}".encode())
    shown = lockstep_cli(server, "clock", "show").stdout
    assert "offset  0 s ahead of real time" in shown and "day     1d (86400 s)" in shown
    assert "offset  2d (172800 s) ahead" in lockstep_cli(server, "clock", "advance", "2d").stdout
    run = lockstep_cli(server, "lifecycle", "run").stdout
    # The advance itself starts a pass; this one runs after it, so between them two versions went.
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["IsLatest"] for v in versions] == [True, False, False], run
    assert [s3.get_object(Bucket=bucket, Key="state", VersionId=v["VersionId"])["Body"].read() for v in versions] \
        == [b"v4", b"v3", b"v2"]
    assert lockstep_cli(server, "lifecycle", "run").stdout.split() == [
        "expired", "0", "noncurrentExpired", "0", "deleteMarkersRemoved", "0", "transitioned", "0", "uploadsAborted", "0"]

    bad = lockstep_cli(server, "clock", "advance", "soon", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("lockstep: ") and bad.stderr.count("\n") == 1
    forged = subprocess.run([str(server.binary), "clock", "show", "--port", str(server.port), "--access-key",
                             server.access_key, "--secret-key", "wrong"], capture_output=True, text=True, timeout=60)
    assert forged.returncode == 2 and "SignatureDoesNotMatch" in forged.stderr


def test_the_clock_survives_kill_9(spawn_lockstep):
    server = spawn_lockstep()
    lockstep_cli(server, "clock", "advance", "30d")
    server.kill9()
    server.restart(keep_port=True)
    assert "offset  30d (2592000 s) ahead" in lockstep_cli(server, "clock", "show").stdout
    s3 = make_client(server)
    s3.create_bucket(Bucket="later")
    s3.put_object(Bucket="later", Key="k", Body=b"1")
    modified = s3.head_object(Bucket="later", Key="k")["LastModified"].timestamp()
    assert modified > time.time() + 29 * DAY


def test_boto3_and_the_aws_cli_see_the_configuration(spawn_lockstep, aws, aws_env):
    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="configured")
    rules = [{"ID": "archive", "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 10}}, "Status": "Enabled",
              "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
              "Expiration": {"Days": 365}},
             {"ID": "uploads", "Filter": {"Prefix": ""}, "Status": "Enabled",
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]
    put = s3.put_bucket_lifecycle_configuration(Bucket="configured", LifecycleConfiguration={"Rules": rules})
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket="configured")
    assert got["Rules"] == rules
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_lifecycle_configuration(Bucket="configured", LifecycleConfiguration={"Rules": [
            {"ID": "x", "Filter": {}, "Status": "Enabled", "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]}]})
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    assert s3.get_bucket_lifecycle_configuration(Bucket="configured")["Rules"] == rules

    created = s3.create_multipart_upload(Bucket="configured", Key="big")
    assert created["AbortRuleId"] == "uploads" and created["AbortDate"].hour == 0

    env = {"AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key}
    cli = ["--endpoint-url", server.endpoint]
    shown = json.loads(aws(*cli, "s3api", "get-bucket-lifecycle-configuration", "--bucket", "configured", env=env).stdout)
    assert [r["ID"] for r in shown["Rules"]] == ["archive", "uploads"]
    aws(*cli, "s3api", "delete-bucket-lifecycle", "--bucket", "configured", env=env)
    missing = aws(*cli, "s3api", "get-bucket-lifecycle-configuration", "--bucket", "configured", env=env, check=False)
    assert missing.returncode != 0 and "NoSuchLifecycleConfiguration" in missing.stderr


@pytest.mark.slow
def test_terraform_state_versions_are_pruned_by_a_newer_noncurrent_versions_rule(terraform, spawn_lockstep):  # noqa: F811
    server = spawn_lockstep()
    s3 = make_client(server)
    bucket = versioned(s3, "tf-pruned")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "last-two-states", "Filter": {"Prefix": STATE_KEY}, "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2}}]})
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, server.endpoint, bucket, server.access_key, server.secret_key))
    terraform("init", "-no-color")
    for n in ("one", "two", "three", "four", "five"):
        terraform("apply", "-auto-approve", "-no-color", "-var", f"n={n}")
    versions, _ = object_versions(s3, bucket, STATE_KEY)
    assert len(versions) == 5

    lockstep_cli(server, "clock", "advance", "2d")
    lockstep_cli(server, "lifecycle", "run")
    versions, markers = object_versions(s3, bucket, STATE_KEY)
    assert len(versions) == 3 and markers == [], versions
    outputs = [json.loads(s3.get_object(Bucket=bucket, Key=STATE_KEY, VersionId=v["VersionId"])["Body"].read())
               ["outputs"]["n"]["value"] for v in versions]
    assert outputs == ["five", "four", "three"]
    # Terraform goes on as before: the current state is untouched.
    assert terraform.text("output", "-raw", "n") == "five"
    assert json.loads(stored(s3, bucket))["outputs"]["n"]["value"] == "five"


def test_a_pass_cut_by_kill_9_converges_after_restart(spawn_lockstep):
    """kill -9 while a pass runs: after a restart the next pass finishes the work — nothing lost, nothing done twice
    (each key keeps exactly its current and one noncurrent version)."""
    from concurrent.futures import ThreadPoolExecutor

    server = spawn_lockstep()
    s3 = make_client(server)
    bucket = versioned(s3, "cut")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "keep-one", "Filter": {}, "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}}]})
    keys = [f"k{i:04d}" for i in range(150)]

    def write(key):
        client = make_client(server)
        for v in range(3):
            client.put_object(Bucket=bucket, Key=key, Body=f"{key}-v{v}".encode())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, keys))
    lockstep_cli(server, "clock", "advance", "2d")  # starts a pass in the background
    time.sleep(0.05)
    server.kill9()
    server.restart(keep_port=True)
    lockstep_cli(server, "lifecycle", "run")
    s3 = make_client(server)
    seen = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            seen.setdefault(v["Key"], []).append(v)
        assert not page.get("DeleteMarkers")
    assert sorted(seen) == keys
    assert all(len(versions) == 2 for versions in seen.values()), {k: len(v) for k, v in seen.items() if len(v) != 2}
    for key in keys[::15]:
        bodies = [s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read() for v in seen[key]]
        assert bodies == [f"{key}-v2".encode(), f"{key}-v1".encode()], (key, bodies)
