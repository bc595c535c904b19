"""Accounts and access control with real clients, on a server started with a users file: alice and carol in account
111111111111, bob in 222222222222, dave in the default account (000000000000, whose root is `--access-key`).

Buckets belong to the account that created them (ListBuckets, Owner, BucketAlreadyExists); another account and
anonymous callers are refused without a grant; the bucket policies AWS documents for Terraform state buckets (TLS only,
SSE-KMS only, no deleting `*.tfstate`, read-only for a second account) refuse exactly what they say, with S3's
messages; MalformedPolicy; Block Public Access and GetBucketPolicyStatus; ownership controls and ACLs, on a second
server with `--legacy-bucket-defaults`; STS GetCallerIdentity per user; the Terraform http backend per account.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from s3helpers import (
    LockstepProcess,
    ServerStartError,
    error_of,
    lockstep_binary,
    make_client,
    random_access_key,
    random_secret_key,
    unique_bucket_name,
)
from test_sts import make_sts

ALICE_ACCOUNT = "111111111111"
BOB_ACCOUNT = "222222222222"
DEFAULT_ACCOUNT = "000000000000"
CANONICAL_ID = re.compile(r"[0-9a-f]{64}")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
PAB_OFF = dict(BlockPublicAcls=False, IgnorePublicAcls=False, BlockPublicPolicy=False, RestrictPublicBuckets=False)


@dataclass(frozen=True)
class User:
    name: str
    account: str | None  # None: left out of the file (the default account)
    access_key: str
    secret_key: str

    @property
    def account_id(self) -> str:
        return self.account or DEFAULT_ACCOUNT

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user/{self.name}"

    def entry(self) -> dict:
        entry = {"name": self.name, "accessKey": self.access_key, "secretKey": self.secret_key}
        if self.account:
            entry["account"] = self.account
        return entry


def make_users() -> dict[str, User]:
    return {name: User(name, account, random_access_key(), random_secret_key())
            for name, account in [("alice", ALICE_ACCOUNT), ("carol", ALICE_ACCOUNT), ("bob", BOB_ACCOUNT),
                                  ("dave", None)]}


class Accounts:
    """One server and a boto3 client per user (`s3("alice")`); `s3("root")` is the default account's root."""

    def __init__(self, server: LockstepProcess, users: dict[str, User]):
        self.server = server
        self.users = users
        self._clients: dict[str, object] = {}

    def s3(self, name: str):
        if name not in self._clients:
            if name == "root":
                self._clients[name] = make_client(self.server)
            else:
                user = self.users[name]
                self._clients[name] = make_client(self.server, access_key=user.access_key, secret_key=user.secret_key)
        return self._clients[name]

    def url(self, bucket: str, key: str | None = None) -> str:
        return f"{self.server.endpoint}/{bucket}" + ("" if key is None else "/" + urllib.parse.quote(key))

    def canonical_id(self, name: str) -> str:
        return self.s3(name).list_buckets()["Owner"]["ID"]


def start_accounts_server(tmp_path_factory, label: str, extra: list[str]) -> tuple[LockstepProcess, dict[str, User]]:
    binary = lockstep_binary()
    if not binary.exists():
        if os.environ.get("LOCKSTEP_ENDPOINT"):
            pytest.skip(f"needs the lockstep binary ({binary}); only an external endpoint is configured")
        pytest.fail(f"lockstep binary not found at {binary}", pytrace=False)
    root = tmp_path_factory.mktemp(label)
    users = make_users()
    users_file = root / "users.json"
    users_file.write_text(json.dumps({"users": [u.entry() for u in users.values()]}))
    server = LockstepProcess(root / "data", root / "logs", extra_args=["--users", str(users_file), *extra])
    try:
        server.start()
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    return server, users


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    server, users = start_accounts_server(tmp_path_factory, "accounts", [])
    yield Accounts(server, users)
    if server.alive():
        server.stop()


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """The same users, on a server whose new buckets get S3's pre-April-2023 defaults."""
    server, users = start_accounts_server(tmp_path_factory, "legacy-accounts", ["--legacy-bucket-defaults"])
    yield Accounts(server, users)
    if server.alive():
        server.stop()


def remove_bucket(client, name: str) -> None:
    """Best effort: the policy first (it may deny deletes), then every object version, then the bucket."""
    for call in (client.delete_bucket_policy, client.delete_public_access_block):
        try:
            call(Bucket=name)
        except Exception:
            pass
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                client.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
        client.delete_bucket(Bucket=name)
    except Exception:
        pass


def bucket_factory_for(server: Accounts):
    created: list[tuple[str, str]] = []

    def create(owner: str = "alice", **kwargs) -> str:
        name = unique_bucket_name("ac")
        server.s3(owner).create_bucket(Bucket=name, **kwargs)
        created.append((owner, name))
        return name

    return create, created


@pytest.fixture
def new_bucket(accounts):
    """new_bucket(owner="alice") creates a bucket as that user; all are removed afterwards."""
    create, created = bucket_factory_for(accounts)
    yield create
    for owner, name in created:
        remove_bucket(accounts.s3(owner), name)


@pytest.fixture
def legacy_bucket(legacy):
    create, created = bucket_factory_for(legacy)
    yield create
    for owner, name in created:
        remove_bucket(legacy.s3(owner), name)


def refused(call, code: str = "AccessDenied", status: int = 403, **kwargs) -> dict:
    """The error of a call that must fail with `code`/`status`; returns the error members."""
    with pytest.raises(ClientError) as ei:
        call(**kwargs)
    assert error_of(ei.value) == (code, status), ei.value.response
    return ei.value.response["Error"]


def explicit_deny(user: User | str, action: str, resource: str) -> str:
    arn = user.arn if isinstance(user, User) else user
    return (f'User: {arn} is not authorized to perform: {action} on resource: "{resource}" '
            "with an explicit deny in a resource-based policy")


def anonymous(method: str, url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """(status, body) of a request without credentials."""
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def error_code(body: bytes) -> str | None:
    return ET.fromstring(body).findtext("Code")


def assert_anonymous_denied(method: str, url: str) -> None:
    status, body = anonymous(method, url)
    assert status == 403, (status, body)
    assert error_code(body) == "AccessDenied", body


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def arns(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


def public_read_policy(bucket: str) -> str:
    return policy({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/*"})


def keys(client, bucket: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


# ---------------------------------------------------------------------------
# buckets belong to accounts


def test_list_buckets_shows_each_account_its_own_buckets_and_owner(accounts, new_bucket):
    """ListBuckets lists only the caller's account's buckets, with Owner ID the account's canonical id (the same
    for two users of one account, different between accounts)."""
    alices, bobs = new_bucket("alice"), new_bucket("bob")
    listing = {name: accounts.s3(name).list_buckets() for name in ("alice", "carol", "bob", "root")}
    names = {who: {b["Name"] for b in resp["Buckets"]} for who, resp in listing.items()}
    assert alices in names["alice"] and bobs not in names["alice"], names
    assert alices in names["carol"] and bobs not in names["carol"], names
    assert bobs in names["bob"] and alices not in names["bob"], names
    assert alices not in names["root"] and bobs not in names["root"], names
    owners = {who: resp["Owner"]["ID"] for who, resp in listing.items()}
    assert all(CANONICAL_ID.fullmatch(owner) for owner in owners.values()), owners
    assert owners["alice"] == owners["carol"], owners
    assert len({owners["alice"], owners["bob"], owners["root"]}) == 3, owners
    acl = accounts.s3("alice").get_bucket_acl(Bucket=alices)
    assert acl["Owner"]["ID"] == owners["alice"], acl
    assert acl["Grants"] == [{"Grantee": {"ID": owners["alice"], "DisplayName": acl["Owner"]["DisplayName"],
                                          "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}], acl


def test_another_account_cannot_create_a_taken_bucket_name(accounts, new_bucket):
    """CreateBucket on a name another account owns is 409 BucketAlreadyExists; the owning account re-creating it
    in us-east-1 is 200, from any of its users."""
    name = new_bucket("alice")
    err = refused(accounts.s3("bob").create_bucket, "BucketAlreadyExists", 409, Bucket=name)
    assert err["BucketName"] == name, err
    assert accounts.s3("alice").create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert accounts.s3("carol").create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name not in {b["Name"] for b in accounts.s3("bob").list_buckets()["Buckets"]}


def test_same_account_users_share_buckets(accounts, new_bucket):
    """Users of the bucket owner's account may use its buckets without any policy."""
    name = new_bucket("alice")
    accounts.s3("alice").put_object(Bucket=name, Key="from-alice", Body=b"a")
    carol = accounts.s3("carol")
    assert carol.get_object(Bucket=name, Key="from-alice")["Body"].read() == b"a"
    carol.put_object(Bucket=name, Key="from-carol", Body=b"c")
    assert keys(carol, name) == ["from-alice", "from-carol"]
    carol.delete_object(Bucket=name, Key="from-carol")


def test_another_account_and_anonymous_are_denied_without_a_grant(accounts, new_bucket):
    """Without a policy or ACL grant, every request of another account (and every anonymous one) is 403
    AccessDenied, told no more than "Access Denied"; a bucket that does not exist is NoSuchBucket."""
    name = new_bucket("alice")
    alice, bob = accounts.s3("alice"), accounts.s3("bob")
    alice.put_object(Bucket=name, Key="state.tfstate", Body=b"secret state")
    for call, kwargs in [(bob.get_object, dict(Key="state.tfstate")), (bob.put_object, dict(Key="x", Body=b"x")),
                         (bob.list_objects_v2, {}), (bob.list_objects, {}),
                         (bob.delete_object, dict(Key="state.tfstate")),
                         (bob.get_bucket_policy, {}), (bob.put_bucket_policy, dict(Policy=public_read_policy(name))),
                         (bob.get_bucket_acl, {}), (bob.delete_bucket, {})]:
        err = refused(call, Bucket=name, **kwargs)
        assert err["Message"] == "Access Denied", (call, err)
    for call, kwargs in [(bob.head_bucket, {}), (bob.head_object, dict(Key="state.tfstate"))]:
        refused(call, "403", 403, Bucket=name, **kwargs)
    assert_anonymous_denied("GET", accounts.url(name, "state.tfstate"))
    assert_anonymous_denied("GET", accounts.url(name))
    assert_anonymous_denied("PUT", accounts.url(name, "anon"))
    assert alice.get_object(Bucket=name, Key="state.tfstate")["Body"].read() == b"secret state"
    assert keys(alice, name) == ["state.tfstate"]
    missing = unique_bucket_name("ac-missing")
    refused(bob.get_object, "NoSuchBucket", 404, Bucket=missing, Key="k")
    refused(bob.list_objects_v2, "NoSuchBucket", 404, Bucket=missing)


# ---------------------------------------------------------------------------
# the state-bucket policies of AWS's documentation


def test_tls_only_policy_denies_everything_but_the_root_can_remove_it(accounts, new_bucket):
    """A Deny on aws:SecureTransport=false refuses every request over plain HTTP, the owner's users and root included
    (with S3's explicit-deny message to the owner's users); only the bucket owner's root may still read and delete
    the bucket policy."""
    name = new_bucket("root")
    root, dave = accounts.s3("root"), accounts.s3("dave")
    root.put_object(Bucket=name, Key="terraform.tfstate", Body=b"{}")
    root.put_bucket_policy(Bucket=name, Policy=policy({
        "Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": arns(name),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    obj = f"arn:aws:s3:::{name}/terraform.tfstate"
    dave_user = accounts.users["dave"]
    assert refused(dave.get_object, Bucket=name, Key="terraform.tfstate")["Message"] == \
        explicit_deny(dave_user, "s3:GetObject", obj)
    assert refused(dave.put_object, Bucket=name, Key="terraform.tfstate", Body=b"x")["Message"] == \
        explicit_deny(dave_user, "s3:PutObject", obj)
    assert refused(dave.list_objects_v2, Bucket=name)["Message"] == \
        explicit_deny(dave_user, "s3:ListBucket", f"arn:aws:s3:::{name}")
    assert refused(dave.delete_bucket_policy, Bucket=name)["Message"] == \
        explicit_deny(dave_user, "s3:DeleteBucketPolicy", f"arn:aws:s3:::{name}")
    refused(dave.get_bucket_policy, Bucket=name)
    root_arn = f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"
    assert refused(root.get_object, Bucket=name, Key="terraform.tfstate")["Message"] == \
        explicit_deny(root_arn, "s3:GetObject", obj)
    refused(root.put_object, Bucket=name, Key="other", Body=b"x")
    refused(root.delete_bucket, Bucket=name)
    refused(root.get_bucket_policy_status, Bucket=name)
    assert_anonymous_denied("GET", accounts.url(name, "terraform.tfstate"))
    assert "aws:SecureTransport" in root.get_bucket_policy(Bucket=name)["Policy"]
    root.delete_bucket_policy(Bucket=name)
    assert root.get_object(Bucket=name, Key="terraform.tfstate")["Body"].read() == b"{}"
    assert dave.get_object(Bucket=name, Key="terraform.tfstate")["Body"].read() == b"{}"


def test_kms_only_policy_denies_uploads_without_sse_kms(accounts, new_bucket):
    """The documented pair of Deny statements (StringNotEquals and Null on s3:x-amz-server-side-encryption) refuses
    a PutObject without `x-amz-server-side-encryption: aws:kms`, and lets one with it through."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    resource = f"arn:aws:s3:::{name}/*"
    alice.put_bucket_policy(Bucket=name, Policy=policy(
        {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": resource, "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": resource, "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}))
    obj = f"arn:aws:s3:::{name}/terraform.tfstate"
    for extra in ({}, {"ServerSideEncryption": "AES256"}):
        err = refused(alice.put_object, Bucket=name, Key="terraform.tfstate", Body=b"{}", **extra)
        assert err["Message"] == explicit_deny(accounts.users["alice"], "s3:PutObject", obj), (extra, err)
    refused(accounts.s3("carol").create_multipart_upload, Bucket=name, Key="big.tfstate")
    assert keys(alice, name) == []
    put = alice.put_object(Bucket=name, Key="terraform.tfstate", Body=b"{}", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms", put
    head = alice.head_object(Bucket=name, Key="terraform.tfstate")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"], head
    assert alice.get_object(Bucket=name, Key="terraform.tfstate")["Body"].read() == b"{}"


def test_policy_denying_deletion_of_state_files(accounts, new_bucket):
    """A Deny of s3:DeleteObject on `bucket/*.tfstate` refuses deleting state files (singly, and per key in
    DeleteObjects) while other keys, and overwrites, still work."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    for key in ("env/prod.tfstate", "env/prod.tfstate.tflock", "notes.txt"):
        alice.put_object(Bucket=name, Key=key, Body=key.encode())
    alice.put_bucket_policy(Bucket=name, Policy=policy({
        "Sid": "DenyStateDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{name}/*.tfstate"}))
    err = refused(alice.delete_object, Bucket=name, Key="env/prod.tfstate")
    assert err["Message"] == explicit_deny(accounts.users["alice"], "s3:DeleteObject",
                                           f"arn:aws:s3:::{name}/env/prod.tfstate"), err
    alice.delete_object(Bucket=name, Key="env/prod.tfstate.tflock")
    alice.put_object(Bucket=name, Key="env/prod.tfstate", Body=b"v2")
    resp = alice.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "env/prod.tfstate"}, {"Key": "notes.txt"}]})
    assert [d["Key"] for d in resp.get("Deleted", [])] == ["notes.txt"], resp
    assert [(e["Key"], e["Code"]) for e in resp.get("Errors", [])] == [("env/prod.tfstate", "AccessDenied")], resp
    assert keys(alice, name) == ["env/prod.tfstate"]
    assert alice.get_object(Bucket=name, Key="env/prod.tfstate")["Body"].read() == b"v2"


def test_read_only_policy_for_a_second_account(accounts, new_bucket):
    """An Allow of s3:GetObject and s3:ListBucket to another account's root lets that account's users read and
    list, and nothing else; it is not a public policy; removing it removes the access."""
    name = new_bucket("alice")
    alice, bob = accounts.s3("alice"), accounts.s3("bob")
    alice.put_object(Bucket=name, Key="team-a/terraform.tfstate", Body=b"shared state")
    alice.put_bucket_policy(Bucket=name, Policy=policy({
        "Sid": "ReadOnlyForTeamB", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ACCOUNT}:root"},
        "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": arns(name)}))
    assert alice.get_bucket_policy_status(Bucket=name)["PolicyStatus"] == {"IsPublic": False}
    assert bob.get_object(Bucket=name, Key="team-a/terraform.tfstate")["Body"].read() == b"shared state"
    assert bob.head_object(Bucket=name, Key="team-a/terraform.tfstate")["ContentLength"] == 12
    assert keys(bob, name) == ["team-a/terraform.tfstate"]
    for call, kwargs in [(bob.put_object, dict(Key="team-b/x", Body=b"x")),
                         (bob.delete_object, dict(Key="team-a/terraform.tfstate")),
                         (bob.get_bucket_policy, {}), (bob.delete_bucket_policy, {}), (bob.get_bucket_acl, {})]:
        assert refused(call, Bucket=name, **kwargs)["Message"] == "Access Denied", call
    assert_anonymous_denied("GET", accounts.url(name, "team-a/terraform.tfstate"))
    alice.delete_bucket_policy(Bucket=name)
    refused(bob.get_object, Bucket=name, Key="team-a/terraform.tfstate")
    refused(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=name)
    refused(alice.get_bucket_policy_status, "NoSuchBucketPolicy", 404, Bucket=name)


def test_a_policy_for_one_user_of_another_account(accounts, new_bucket):
    """A principal naming one IAM user of another account grants that user (and is matched by ARN)."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    alice.put_object(Bucket=name, Key="k", Body=b"v")
    alice.put_bucket_policy(Bucket=name, Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": accounts.users["bob"].arn}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/k"}))
    assert accounts.s3("bob").get_object(Bucket=name, Key="k")["Body"].read() == b"v"
    alice.put_bucket_policy(Bucket=name, Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ACCOUNT}:user/someone-else"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/k"}))
    refused(accounts.s3("bob").get_object, Bucket=name, Key="k")


def test_another_account_granted_policy_actions_gets_method_not_allowed(accounts, new_bucket):
    """Get/Put/DeleteBucketPolicy need an identity of the bucket owner's account: another account that the policy
    grants these actions gets 405 MethodNotAllowed (403 only when it has no permission), and the policy is
    unchanged."""
    name = new_bucket("alice")
    document = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ACCOUNT}:root"},
                       "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
                       "Resource": f"arn:aws:s3:::{name}"})
    accounts.s3("alice").put_bucket_policy(Bucket=name, Policy=document)
    bob = accounts.s3("bob")
    refused(bob.get_bucket_policy, "MethodNotAllowed", 405, Bucket=name)
    refused(bob.put_bucket_policy, "MethodNotAllowed", 405, Bucket=name, Policy=policy(_statement(name)))
    refused(bob.delete_bucket_policy, "MethodNotAllowed", 405, Bucket=name)
    assert json.loads(accounts.s3("alice").get_bucket_policy(Bucket=name)["Policy"]) == json.loads(document)


def _statement(bucket: str, **overrides) -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ACCOUNT}:root"}, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
    statement.update(overrides)
    return statement


MALFORMED = {
    "not-json": (lambda b: "not a policy", "Policies must be valid JSON and the first byte must be '{'"),
    "invalid-action": (lambda b: policy(_statement(b, Action="s3:GetObjekt")), "Policy has invalid action"),
    "other-bucket": (lambda b: policy(_statement(b, Resource="arn:aws:s3:::some-other-bucket/*")),
                     "Policy has invalid resource"),
    "condition-type": (lambda b: policy(_statement(b, Condition={"StringEqualz": {"aws:username": "bob"}})),
                       "Invalid Condition type : StringEqualz"),
    "effect": (lambda b: policy(_statement(b, Effect="Perhaps")), "Invalid effect: Perhaps"),
    "no-statement": (lambda b: json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
    "principal": (lambda b: policy(_statement(b, Principal={"AWS": "arn:aws:iam::12345:root"})),
                  "Invalid principal in policy"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_policies_are_refused_with_s3s_message(accounts, new_bucket, case):
    """PutBucketPolicy refuses a document S3 would refuse with 400 MalformedPolicy and S3's message, and stores
    nothing."""
    name = new_bucket("alice")
    make, message = MALFORMED[case]
    err = refused(accounts.s3("alice").put_bucket_policy, "MalformedPolicy", 400, Bucket=name, Policy=make(name))
    assert err["Message"] == message, err
    refused(accounts.s3("alice").get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=name)


# ---------------------------------------------------------------------------
# Block Public Access


def test_new_buckets_block_public_policies_until_the_block_is_removed(accounts, new_bucket):
    """New buckets have every Block Public Access setting on: a public policy is refused (403 with S3's
    BlockPublicPolicy message). Without the block it is accepted, reported public, and read anonymously."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    alice.put_object(Bucket=name, Key="site/index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
    assert alice.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == dict(
        BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True)
    err = refused(alice.put_bucket_policy, Bucket=name, Policy=public_read_policy(name))
    assert err["Message"] == (f'User: {accounts.users["alice"].arn} is not authorized to perform: s3:PutBucketPolicy '
                              f'on resource: "arn:aws:s3:::{name}" because public policies are blocked by the '
                              "BlockPublicPolicy block public access setting."), err
    refused(alice.get_bucket_policy, "NoSuchBucketPolicy", 404, Bucket=name)
    assert_anonymous_denied("GET", accounts.url(name, "site/index.html"))

    alice.delete_public_access_block(Bucket=name)
    refused(alice.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", 404, Bucket=name)
    alice.put_bucket_policy(Bucket=name, Policy=public_read_policy(name))
    assert alice.get_bucket_policy_status(Bucket=name)["PolicyStatus"] == {"IsPublic": True}
    assert json.loads(alice.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(public_read_policy(name))
    assert anonymous("GET", accounts.url(name, "site/index.html")) == (200, b"<h1>hi</h1>")
    assert accounts.s3("bob").get_object(Bucket=name, Key="site/index.html")["Body"].read() == b"<h1>hi</h1>"
    # The policy grants reading objects, not listing or writing.
    assert_anonymous_denied("GET", accounts.url(name))
    assert_anonymous_denied("PUT", accounts.url(name, "site/evil.html"))
    alice.delete_bucket_policy(Bucket=name)
    assert_anonymous_denied("GET", accounts.url(name, "site/index.html"))


def test_restrict_public_buckets_limits_a_public_policy_to_the_owner(accounts, new_bucket):
    """With RestrictPublicBuckets on, a public policy no longer admits anonymous callers or other accounts; the
    owner's account is unaffected; turning it off restores the policy's effect."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    alice.put_object(Bucket=name, Key="k", Body=b"public")
    alice.delete_public_access_block(Bucket=name)
    alice.put_bucket_policy(Bucket=name, Policy=public_read_policy(name))
    alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(PAB_OFF, RestrictPublicBuckets=True))
    assert alice.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == dict(
        PAB_OFF, RestrictPublicBuckets=True)
    assert_anonymous_denied("GET", accounts.url(name, "k"))
    refused(accounts.s3("bob").get_object, Bucket=name, Key="k")
    assert accounts.s3("carol").get_object(Bucket=name, Key="k")["Body"].read() == b"public"
    alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PAB_OFF)
    assert anonymous("GET", accounts.url(name, "k")) == (200, b"public")
    assert accounts.s3("bob").get_object(Bucket=name, Key="k")["Body"].read() == b"public"


def test_block_public_policy_refuses_only_public_policies(accounts, new_bucket):
    """BlockPublicPolicy alone refuses a public policy but accepts one granting a named account."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(PAB_OFF, BlockPublicPolicy=True))
    refused(alice.put_bucket_policy, Bucket=name, Policy=public_read_policy(name))
    alice.put_bucket_policy(Bucket=name, Policy=policy(_statement(name)))
    assert alice.get_bucket_policy_status(Bucket=name)["PolicyStatus"] == {"IsPublic": False}


# ---------------------------------------------------------------------------
# object ownership and ACLs


def test_acls_are_refused_on_buckets_with_the_default_ownership(accounts, new_bucket):
    """New buckets are BucketOwnerEnforced: any ACL but private / bucket-owner-full-control is 400
    AccessControlListNotSupported; CreateBucket with a public ACL is InvalidBucketAclWithObjectOwnership."""
    name = new_bucket("alice")
    alice = accounts.s3("alice")
    assert alice.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    refused(alice.put_object, "AccessControlListNotSupported", 400, Bucket=name, Key="k", Body=b"x", ACL="public-read")
    bob_id = accounts.canonical_id("bob")
    refused(alice.put_object, "AccessControlListNotSupported", 400, Bucket=name, Key="k", Body=b"x",
            GrantRead=f'id="{bob_id}"')
    refused(alice.put_bucket_acl, "AccessControlListNotSupported", 400, Bucket=name, ACL="public-read")
    alice.put_object(Bucket=name, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    alice.put_object(Bucket=name, Key="p", Body=b"x", ACL="private")
    refused(alice.put_object_acl, "AccessControlListNotSupported", 400, Bucket=name, Key="k", ACL="public-read")
    assert keys(alice, name) == ["k", "p"]
    taken = unique_bucket_name("ac-acl")
    refused(alice.create_bucket, "InvalidBucketAclWithObjectOwnership", 400, Bucket=taken, ACL="public-read")
    assert taken not in {b["Name"] for b in alice.list_buckets()["Buckets"]}


def test_legacy_defaults_have_no_ownership_controls_or_public_access_block(legacy, legacy_bucket):
    """With --legacy-bucket-defaults a new bucket has neither ownership controls (ObjectWriter) nor a public
    access block, and an owner-only ACL."""
    name = legacy_bucket("alice")
    alice = legacy.s3("alice")
    refused(alice.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", 404, Bucket=name)
    refused(alice.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", 404, Bucket=name)
    acl = alice.get_bucket_acl(Bucket=name)
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]] == [(acl["Owner"]["ID"], "FULL_CONTROL")]


def test_public_read_acls_are_read_anonymously_until_ignored(legacy, legacy_bucket):
    """public-read ACLs (bucket and object) let anonymous callers list and read; IgnorePublicAcls makes S3 ignore
    them (the ACLs stay); BlockPublicAcls refuses setting new public ACLs with 403."""
    name = legacy_bucket("alice", ACL="public-read")
    alice = legacy.s3("alice")
    alice.put_object(Bucket=name, Key="public.txt", Body=b"for all", ACL="public-read")
    alice.put_object(Bucket=name, Key="private.txt", Body=b"mine")
    grants = alice.get_object_acl(Bucket=name, Key="public.txt")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants, grants
    assert anonymous("GET", legacy.url(name, "public.txt")) == (200, b"for all")
    status, body = anonymous("GET", legacy.url(name))
    assert status == 200 and b"<Key>public.txt</Key>" in body, body
    assert_anonymous_denied("GET", legacy.url(name, "private.txt"))
    assert_anonymous_denied("PUT", legacy.url(name, "anon.txt"))

    alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(PAB_OFF, IgnorePublicAcls=True))
    assert_anonymous_denied("GET", legacy.url(name, "public.txt"))
    assert_anonymous_denied("GET", legacy.url(name))
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in \
        alice.get_object_acl(Bucket=name, Key="public.txt")["Grants"]

    alice.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(PAB_OFF, BlockPublicAcls=True))
    assert anonymous("GET", legacy.url(name, "public.txt")) == (200, b"for all")
    refused(alice.put_object_acl, Bucket=name, Key="private.txt", ACL="public-read")
    refused(alice.put_object, Bucket=name, Key="new.txt", Body=b"x", ACL="public-read")
    refused(alice.put_bucket_acl, Bucket=name, ACL="public-read-write")
    assert_anonymous_denied("GET", legacy.url(name, "private.txt"))
    alice.put_object(Bucket=name, Key="new.txt", Body=b"x", ACL="private")


def test_grants_to_another_account_by_canonical_id(legacy, legacy_bucket):
    """x-amz-grant-read with another account's canonical id lets that account read the object (GetObjectAcl
    names the grantee); an AccessControlPolicy document granting READ on the bucket lets it list."""
    name = legacy_bucket("alice")
    alice, bob = legacy.s3("alice"), legacy.s3("bob")
    alice_id, bob_id = legacy.canonical_id("alice"), legacy.canonical_id("bob")
    alice.put_object(Bucket=name, Key="shared", Body=b"for bob", GrantRead=f'id="{bob_id}"')
    alice.put_object(Bucket=name, Key="private", Body=b"not for bob")
    assert bob.get_object(Bucket=name, Key="shared")["Body"].read() == b"for bob"
    acl = alice.get_object_acl(Bucket=name, Key="shared")
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]] == [(bob_id, "READ")], acl
    assert acl["Owner"]["ID"] == alice_id
    refused(bob.get_object, Bucket=name, Key="private")
    refused(bob.put_object, Bucket=name, Key="shared", Body=b"overwritten")
    refused(bob.list_objects_v2, Bucket=name)
    refused(bob.get_object_acl, Bucket=name, Key="shared")

    owner = alice.get_bucket_acl(Bucket=name)["Owner"]
    alice.put_bucket_acl(Bucket=name, AccessControlPolicy={"Owner": owner, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": alice_id}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "CanonicalUser", "ID": bob_id}, "Permission": "READ"}]})
    assert sorted(keys(bob, name)) == ["private", "shared"]
    refused(bob.put_object, Bucket=name, Key="new", Body=b"x")
    refused(bob.get_object, Bucket=name, Key="private")


def test_bucket_write_grant_makes_the_writer_the_objects_owner(legacy, legacy_bucket):
    """With ObjectWriter ownership, WRITE on the bucket lets another account upload; it owns what it uploads, and
    `bucket-owner-full-control` gives the bucket owner full control of it."""
    name = legacy_bucket("alice")
    alice, bob = legacy.s3("alice"), legacy.s3("bob")
    alice_id, bob_id = legacy.canonical_id("alice"), legacy.canonical_id("bob")
    alice.put_bucket_acl(Bucket=name, GrantWrite=f'id="{bob_id}"', GrantFullControl=f'id="{alice_id}"')
    bob.put_object(Bucket=name, Key="handed-over", Body=b"h", ACL="bucket-owner-full-control")
    acl = bob.get_object_acl(Bucket=name, Key="handed-over")
    assert acl["Owner"]["ID"] == bob_id, acl
    assert sorted((g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]) == sorted(
        [(bob_id, "FULL_CONTROL"), (alice_id, "FULL_CONTROL")]), acl
    assert alice.get_object(Bucket=name, Key="handed-over")["Body"].read() == b"h"
    bob.put_object(Bucket=name, Key="bobs", Body=b"b")
    assert bob.get_object_acl(Bucket=name, Key="bobs")["Owner"]["ID"] == bob_id
    # The bucket owner may delete an object it does not own.
    alice.delete_object(Bucket=name, Key="bobs")


def test_bucket_owner_cannot_read_an_object_another_account_owns(legacy, legacy_bucket):
    """With ObjectWriter ownership, an object another account uploaded without granting the bucket owner access is
    not readable by the bucket owner (S3: 403 AccessDenied) until its owner grants it."""
    name = legacy_bucket("alice")
    alice, bob = legacy.s3("alice"), legacy.s3("bob")
    alice_id, bob_id = legacy.canonical_id("alice"), legacy.canonical_id("bob")
    alice.put_bucket_acl(Bucket=name, GrantWrite=f'id="{bob_id}"', GrantFullControl=f'id="{alice_id}"')
    bob.put_object(Bucket=name, Key="bobs", Body=b"b")
    try:
        refused(alice.get_object, Bucket=name, Key="bobs")
    finally:
        alice.delete_object(Bucket=name, Key="bobs")


def test_acl_requests_s3_refuses(legacy, legacy_bucket):
    """ACL requests S3 refuses: a grant to an e-mail address (UnresolvableGrantByEmailAddress), a grantee with
    neither ID nor URI (MalformedACLError), an ACL set while ownership becomes BucketOwnerEnforced
    (InvalidBucketAclWithObjectOwnership), PutBucketAcl with neither header nor document (MissingSecurityHeader) and
    with both (UnexpectedContent)."""
    name = legacy_bucket("alice")
    alice = legacy.s3("alice")
    alice_id, bob_id = legacy.canonical_id("alice"), legacy.canonical_id("bob")
    err = refused(alice.put_bucket_acl, "UnresolvableGrantByEmailAddress", 400, Bucket=name,
                  GrantRead='emailAddress="bob@example.com"')
    assert err.get("EmailAddress") == "bob@example.com", err
    owner = alice.get_bucket_acl(Bucket=name)["Owner"]
    refused(alice.put_bucket_acl, "MalformedACLError", 400, Bucket=name, AccessControlPolicy={
        "Owner": owner, "Grants": [{"Grantee": {"Type": "CanonicalUser"}, "Permission": "READ"}]})
    document = {"Owner": owner, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": alice_id},
                                            "Permission": "FULL_CONTROL"}]}
    refused(alice.put_bucket_acl, "UnexpectedContent", 400, Bucket=name, ACL="private", AccessControlPolicy=document)
    refused(alice.put_bucket_acl, "MissingSecurityHeader", 400, Bucket=name)

    alice.put_bucket_acl(Bucket=name, GrantRead=f'id="{bob_id}"', GrantFullControl=f'id="{alice_id}"')
    refused(alice.put_bucket_ownership_controls, "InvalidBucketAclWithObjectOwnership", 400, Bucket=name,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    alice.put_bucket_acl(Bucket=name, ACL="private")
    alice.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert alice.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    refused(alice.put_object, "AccessControlListNotSupported", 400, Bucket=name, Key="k", Body=b"x",
            ACL="public-read")
    alice.delete_bucket_ownership_controls(Bucket=name)
    refused(alice.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", 404, Bucket=name)


# ---------------------------------------------------------------------------
# STS and the Terraform http backend


@pytest.mark.parametrize("name", ["alice", "carol", "bob", "dave", "root"])
def test_get_caller_identity_names_each_user(accounts, name):
    """STS GetCallerIdentity returns the caller's account and ARN: an IAM user's `arn:aws:iam::ACCT:user/NAME` with
    an AIDA user id, the root's `arn:aws:iam::ACCT:root` with the account id."""
    if name == "root":
        identity = make_sts(accounts.server).get_caller_identity()
        assert (identity["Account"], identity["Arn"], identity["UserId"]) == (
            DEFAULT_ACCOUNT, f"arn:aws:iam::{DEFAULT_ACCOUNT}:root", DEFAULT_ACCOUNT), identity
        return
    user = accounts.users[name]
    identity = make_sts(accounts.server, access_key=user.access_key, secret_key=user.secret_key).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (user.account_id, user.arn), identity
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identity["UserId"]), identity


def backend_request(accounts: Accounts, user: str, method: str, bucket: str, key: str, body: bytes | None = None):
    u = accounts.users[user]
    token = base64.b64encode(f"{u.access_key}:{u.secret_key}".encode()).decode()
    req = urllib.request.Request(f"{accounts.server.endpoint}/_lockstep/tfstate/{bucket}/{key}", data=body,
                                 method=method, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_http_backend_authorizes_like_s3(accounts, new_bucket):
    """The Terraform http backend applies the bucket's access rules: another account without a grant is refused
    (403) reading, writing and locking; a user of the owner's account reads the state; a read-only policy for the
    other account lets it read but not write."""
    name = new_bucket("alice")
    state = json.dumps({"version": 4, "serial": 1, "lineage": str(uuid.uuid4())}).encode()
    accounts.s3("alice").put_object(Bucket=name, Key="env/terraform.tfstate", Body=state)
    assert backend_request(accounts, "bob", "GET", name, "env/terraform.tfstate")[0] == 403
    assert backend_request(accounts, "bob", "POST", name, "env/terraform.tfstate", b'{"version":4}')[0] == 403
    lock = json.dumps({"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply", "Who": "bob@laptop"}).encode()
    assert backend_request(accounts, "bob", "LOCK", name, "env/terraform.tfstate", lock)[0] == 403
    assert keys(accounts.s3("alice"), name) == ["env/terraform.tfstate"]
    assert backend_request(accounts, "carol", "GET", name, "env/terraform.tfstate") == (200, state)

    accounts.s3("alice").put_bucket_policy(Bucket=name, Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{BOB_ACCOUNT}:root"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/*"}))
    assert backend_request(accounts, "bob", "GET", name, "env/terraform.tfstate") == (200, state)
    assert backend_request(accounts, "bob", "POST", name, "env/terraform.tfstate", b'{"version":4}')[0] == 403
    assert accounts.s3("alice").get_object(Bucket=name, Key="env/terraform.tfstate")["Body"].read() == state
