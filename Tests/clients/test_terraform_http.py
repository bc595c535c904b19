"""Terraform's `http` backend at `/_lockstep/tfstate/<bucket>/<key...>` on Lockstep's port.

The state is the S3 object `<key>` in `<bucket>`; the lock is the S3 object `<key>.tflock`, the one
Terraform's `s3` backend writes with `use_lockfile = true` (PutObject If-None-Match: *), so a lock
held through either backend blocks the other. Basic auth with the access key id and secret key.

Real Terraform (every generation found, see test_terraform_cli.py) with `backend "http"`: the state
lands in the bucket, the lock is held during an apply and refused to a second run with the holder's
ID, a lock written through S3 blocks an apply, `terraform force-unlock` (an UNLOCK with an empty
body), `lockstep tfstate unlock`, and the other way round: an http lock refuses an `s3`-backend
apply. Then every status rule, request by request: GET 200/404, POST (with `?ID=`: 409 on a
mismatch; without, 423 while locked), DELETE, LOCK 200/423 with the holder's JSON, UNLOCK with the
lock JSON, with `{"ID": ...}` (409 on a mismatch) or empty (force), `POST/DELETE ...?lock`, 401
without credentials, 403 with wrong ones, 404 for a missing bucket, 400 for `..` and empty segments.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import subprocess
import urllib.parse
import uuid

import pytest
from botocore.exceptions import ClientError

from s3helpers import error_of
from terraform_support import lock_info_json, state_json
from test_terraform_cli import (
    DEFAULT_ENDPOINT,
    FIXTURES,
    LOCK_SUFFIX,
    PROMPT,
    STATE_KEY,
    TERRAFORMS,
    backend_block,
    binaries_for,
    fixture_text,
    keys,
    make_terraform,
    output,
    stored,
)

PREFIX = "/_lockstep/tfstate"
HTTP_KEY = "http/terraform.tfstate"
FIXTURE = "http-backend"


# ---------------------------------------------------------------------------
# helpers


def state_path(bucket: str, key: str) -> str:
    return f"{PREFIX}/{bucket}/" + urllib.parse.quote(key, safe="/")


def state_url(server, bucket: str, key: str) -> str:
    return server.endpoint + state_path(bucket, key)


def http_backend_block(url: str, username: str, password: str) -> str:
    return f"""terraform {{
  backend "http" {{
    address        = "{url}"
    lock_address   = "{url}"
    unlock_address = "{url}"
    username       = "{username}"
    password       = "{password}"
  }}
}}

variable "n" {{
  type    = string
  default = "zero"
}}

output "n" {{
  value = var.n
}}
"""


class Reply:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"{self.status} {self.headers} {self.body[:500]!r}"


class HTTPBackend:
    """Requests as Terraform's http backend sends them (Basic auth; Content-Type, Content-Length and
    Content-MD5 with a body), over http.client so that paths go out exactly as written."""

    def __init__(self, server, username: str | None = None, password: str | None = None):
        parts = urllib.parse.urlsplit(server.endpoint)
        self.host, self.port = parts.hostname, parts.port
        self.username = server.access_key if username is None else username
        self.password = server.secret_key if password is None else password

    def request(self, method: str, path: str, body: bytes | None = None, auth: bool = True,
                headers: dict | None = None) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            hdrs = {}
            if auth:
                token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
                hdrs["Authorization"] = f"Basic {token}"
            if body is not None:
                hdrs["Content-Type"] = "application/json"
                hdrs["Content-Length"] = str(len(body))
                hdrs["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()


@pytest.fixture
def backend(lockstep):
    return HTTPBackend(lockstep)


@pytest.fixture(params=TERRAFORMS, ids=lambda b: b.id)
def terraform(request, tmp_path):
    return make_terraform(request.param, tmp_path / "tf")


@pytest.fixture
def versioned_bucket(s3, bucket_factory) -> str:
    name = bucket_factory("tfhttp")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def lock_object(s3, bucket: str, key: str) -> bytes | None:
    try:
        return s3.get_object(Bucket=bucket, Key=key + LOCK_SUFFIX)["Body"].read()
    except ClientError as e:
        assert error_of(e) == ("NoSuchKey", 404), e.response
        return None


def foreign_lock(s3, bucket: str, key: str, who: str = "someone@elsewhere") -> tuple[str, bytes]:
    """A lock written exactly as the s3 backend (use_lockfile = true) writes it; (ID, body)."""
    lock_id = str(uuid.uuid4())
    info = lock_info_json(f"{bucket}/{key}", operation="OperationTypeApply", version="1.11.4", who=who,
                          lock_id=lock_id)
    s3.put_object(Bucket=bucket, Key=key + LOCK_SUFFIX, Body=info, ContentType="application/json", IfNoneMatch="*")
    return lock_id, info


def lock_operations(s3, bucket: str, key: str) -> list[str]:
    """Operations of every lock written on `key` (oldest first) in a versioned bucket, each released."""
    versions = [v for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key + LOCK_SUFFIX)
                for v in page.get("Versions", []) if v["Key"] == key + LOCK_SUFFIX]
    markers = [m for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key + LOCK_SUFFIX)
               for m in page.get("DeleteMarkers", []) if m["Key"] == key + LOCK_SUFFIX]
    assert len(markers) == len(versions), (versions, markers)
    ops = []
    for v in reversed(versions):
        doc = json.loads(s3.get_object(Bucket=bucket, Key=key + LOCK_SUFFIX, VersionId=v["VersionId"])["Body"].read())
        ops.append(doc["Operation"])
    return ops


# ---------------------------------------------------------------------------
# real Terraform with backend "http"


def test_apply_stores_the_state_as_the_s3_object(terraform, lockstep, versioned_bucket, s3):
    b = versioned_bucket
    url = state_url(lockstep, b, HTTP_KEY)
    (terraform.workdir / "main.tf").write_text(http_backend_block(url, lockstep.access_key, lockstep.secret_key))
    out = terraform.text("init", "-no-color")
    assert 'Successfully configured the backend "http"' in out, out
    assert keys(s3, b) == [], "init writes nothing"

    out = terraform.text("apply", "-auto-approve", "-no-color", "-var", "n=one")
    assert 'n = "one"' in out, out
    first = json.loads(stored(s3, b, HTTP_KEY))
    assert first["outputs"]["n"]["value"] == "one" and first["terraform_version"] == terraform.binary.version_str
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
    second = json.loads(stored(s3, b, HTTP_KEY))
    assert second["outputs"]["n"]["value"] == "two"
    assert second["serial"] > first["serial"] and second["lineage"] == first["lineage"]
    assert terraform.text("output", "-raw", "n") == "two"
    assert terraform("state", "pull").stdout == stored(s3, b, HTTP_KEY) + b"\n"
    assert keys(s3, b) == [HTTP_KEY], "no lock object is left behind"
    # each apply took the lock (the .tflock object) and released it
    assert lock_operations(s3, b, HTTP_KEY) == ["OperationTypeApply", "OperationTypeApply"]

    # a state written through S3 is what the http backend reads
    doc = dict(second, serial=second["serial"] + 1)
    doc["outputs"] = {"n": {"value": "via-s3", "type": "string"}}
    s3.put_object(Bucket=b, Key=HTTP_KEY, Body=(json.dumps(doc, indent=2) + "\n").encode())
    assert terraform.text("output", "-raw", "n") == "via-s3"


def test_lock_held_during_apply(terraform, lockstep, versioned_bucket, s3, backend):
    b = versioned_bucket
    url = state_url(lockstep, b, HTTP_KEY)
    (terraform.workdir / "main.tf").write_text(http_backend_block(url, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=before")

    run = terraform.interactive("apply", "-no-color", "-var", "n=during")
    try:
        run.wait_for(PROMPT)
        body = lock_object(s3, b, HTTP_KEY)
        assert body is not None, "no .tflock while the apply waits"
        held = json.loads(body)
        assert held["Operation"] == "OperationTypeApply" and held["Version"] == terraform.binary.version_str, held
        assert "@" in held["Who"], held

        err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
        assert "Error acquiring the state lock" in err, err
        assert held["ID"] in err, err
        # what the refused run got: 423 with the holder's lock info
        other = lock_info_json(f"{b}/{HTTP_KEY}", lock_id=str(uuid.uuid4()))
        refused = backend.request("LOCK", state_path(b, HTTP_KEY), other)
        assert refused.status == 423, refused
        assert refused.json() == held
        # and the s3 backend's lock attempt is refused as well
        with pytest.raises(ClientError) as ei:
            s3.put_object(Bucket=b, Key=HTTP_KEY + LOCK_SUFFIX, Body=other, IfNoneMatch="*")
        assert error_of(ei.value) == ("PreconditionFailed", 412)
        assert lock_object(s3, b, HTTP_KEY) == body
        out = run.answer("yes")
    finally:
        run.close()
    assert 'n = "during"' in out, out
    assert json.loads(stored(s3, b, HTTP_KEY))["outputs"]["n"]["value"] == "during"
    assert lock_object(s3, b, HTTP_KEY) is None


def test_s3_lock_blocks_http_apply_and_force_unlock(terraform, lockstep, bucket, s3, backend):
    """A `.tflock` written through S3 (as the s3 backend does) refuses an http-backend apply; an
    UNLOCK naming another ID is refused (409, lock kept); `terraform force-unlock` removes it."""
    url = state_url(lockstep, bucket, HTTP_KEY)
    (terraform.workdir / "main.tf").write_text(http_backend_block(url, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=one")
    before = stored(s3, bucket, HTTP_KEY)

    lock_id, info = foreign_lock(s3, bucket, HTTP_KEY)
    err = terraform.failing("apply", "-auto-approve", "-no-color", "-lock-timeout=0s", "-var", "n=two")
    assert "Error acquiring the state lock" in err and lock_id in err, err
    assert stored(s3, bucket, HTTP_KEY) == before
    assert lock_object(s3, bucket, HTTP_KEY) == info

    wrong = backend.request("UNLOCK", state_path(bucket, HTTP_KEY), json.dumps({"ID": str(uuid.uuid4())}).encode())
    assert wrong.status == 409, wrong
    assert lock_object(s3, bucket, HTTP_KEY) == info

    out = terraform.text("force-unlock", "-force", "-no-color", lock_id)
    assert "successfully unlocked" in out, out
    assert lock_object(s3, bucket, HTTP_KEY) is None
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
    assert json.loads(stored(s3, bucket, HTTP_KEY))["outputs"]["n"]["value"] == "two"
    assert keys(s3, bucket) == [HTTP_KEY]


def test_unlock_with_the_holders_id(lockstep, bucket, s3, backend):
    lock_id, info = foreign_lock(s3, bucket, HTTP_KEY)
    resp = backend.request("UNLOCK", state_path(bucket, HTTP_KEY), json.dumps({"ID": lock_id}).encode())
    assert resp.status == 200, resp
    assert lock_object(s3, bucket, HTTP_KEY) is None


def lockstep_cli(server, *args) -> subprocess.CompletedProcess:
    """`lockstep <args>` against `server`, with the server options `lockstep logs flush` takes."""
    return subprocess.run([str(server.binary), *args, "--port", str(server.port), "--access-key", server.access_key,
                           "--secret-key", server.secret_key], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_lockstep_tfstate_unlock_command(lockstep, bucket, s3):
    if not hasattr(lockstep, "binary"):
        pytest.skip("needs a spawned lockstep")
    lock_id, info = foreign_lock(s3, bucket, HTTP_KEY)
    wrong = str(uuid.uuid4())
    proc = lockstep_cli(lockstep, "tfstate", "unlock", bucket, HTTP_KEY, wrong)
    assert proc.returncode != 0, proc
    assert (proc.stdout + proc.stderr).strip(), "a refusal says why"
    assert lock_object(s3, bucket, HTTP_KEY) == info, "a wrong ID must delete nothing"

    proc = lockstep_cli(lockstep, "tfstate", "unlock", bucket, HTTP_KEY, lock_id)
    assert proc.returncode == 0, proc
    assert lock_object(s3, bucket, HTTP_KEY) is None

    # a workspace-style key with characters that need encoding
    key = "env:/dev/with space/terraform.tfstate"
    lock_id, info = foreign_lock(s3, bucket, key)
    proc = lockstep_cli(lockstep, "tfstate", "unlock", bucket, key, lock_id)
    assert proc.returncode == 0, proc
    assert lock_object(s3, bucket, key) is None


LOCKFILE_TERRAFORMS = [b for b in TERRAFORMS if b.lockfile]


@pytest.mark.parametrize("binary", LOCKFILE_TERRAFORMS, ids=[b.id for b in LOCKFILE_TERRAFORMS])
def test_http_lock_blocks_s3_backend_apply(binary, lockstep, bucket, s3, backend, tmp_path):
    """The other way round: while an http-backend client holds the lock, Terraform's s3 backend with
    use_lockfile = true is refused and shows the holder; once unlocked, the s3 backend's state is
    what the http backend serves."""
    tf = make_terraform(binary, tmp_path / "s3-backend")
    (tf.workdir / "main.tf").write_text(
        backend_block(tf, lockstep.endpoint, bucket, lockstep.access_key, lockstep.secret_key))
    tf("init", "-no-color")
    tf("apply", "-auto-approve", "-no-color", "-var", "n=one")

    info = lock_info_json("", operation="OperationTypeApply", version="1.11.4", who="http-client@elsewhere")
    lock_id = json.loads(info)["ID"]
    resp = backend.request("LOCK", state_path(bucket, STATE_KEY), info)
    assert resp.status == 200, resp
    err = tf.failing("apply", "-auto-approve", "-no-color", "-lock-timeout=0s", "-var", "n=two")
    assert "Error acquiring the state lock" in err, err
    assert lock_id in err and "http-client@elsewhere" in err, err
    assert json.loads(stored(s3, bucket))["outputs"]["n"]["value"] == "one"

    resp = backend.request("UNLOCK", state_path(bucket, STATE_KEY), info)
    assert resp.status == 200, resp
    tf("apply", "-auto-approve", "-no-color", "-var", "n=two")
    got = backend.request("GET", state_path(bucket, STATE_KEY))
    assert got.status == 200 and got.body == stored(s3, bucket), got
    assert json.loads(got.body)["outputs"]["n"]["value"] == "two"


@pytest.mark.parametrize("binary", LOCKFILE_TERRAFORMS, ids=[b.id for b in LOCKFILE_TERRAFORMS])
def test_s3_backend_apply_blocks_http_backend(binary, lockstep, bucket, s3, tmp_path):
    """An s3-backend apply waiting at its prompt holds `<key>.tflock`; an http-backend plan on the
    same state is refused with that run's ID, and reads the state that apply wrote afterwards."""
    s3_tf = make_terraform(binary, tmp_path / "s3-backend")
    (s3_tf.workdir / "main.tf").write_text(
        backend_block(s3_tf, lockstep.endpoint, bucket, lockstep.access_key, lockstep.secret_key))
    s3_tf("init", "-no-color")
    s3_tf("apply", "-auto-approve", "-no-color", "-var", "n=one")
    http_tf = make_terraform(binary, tmp_path / "http-backend")
    (http_tf.workdir / "main.tf").write_text(
        http_backend_block(state_url(lockstep, bucket, STATE_KEY), lockstep.access_key, lockstep.secret_key))
    http_tf("init", "-no-color")
    assert http_tf.text("output", "-raw", "n") == "one"

    run = s3_tf.interactive("apply", "-no-color", "-var", "n=two")
    try:
        run.wait_for(PROMPT)
        held = json.loads(stored(s3, bucket, STATE_KEY + LOCK_SUFFIX))
        err = http_tf.failing("plan", "-no-color", "-lock-timeout=0s")
        assert "Error acquiring the state lock" in err and held["ID"] in err, err
        run.answer("yes")
    finally:
        run.close()
    out = http_tf.text("plan", "-no-color", "-var", "n=two")
    assert "No changes" in out, out
    assert http_tf.text("output", "-raw", "n") == "two"


# ---------------------------------------------------------------------------
# the protocol, request by request


def test_state_get_post_delete(lockstep, bucket, s3, backend):
    path = state_path(bucket, HTTP_KEY)
    missing = backend.request("GET", path)
    assert missing.status == 404, missing

    state = state_json(1, str(uuid.uuid4()), {"n": "one"})
    put = backend.request("POST", path, state)
    assert put.status in (200, 201, 204), put
    assert stored(s3, bucket, HTTP_KEY) == state
    got = backend.request("GET", path)
    assert got.status == 200 and got.body == state, got
    if got.header("content-md5"):
        assert base64.b64decode(got.header("content-md5")) == hashlib.md5(state).digest(), got

    newer = state_json(2, json.loads(state)["lineage"], {"n": "two"})
    assert backend.request("POST", path, newer).status in (200, 201, 204)
    assert backend.request("GET", path).body == newer

    deleted = backend.request("DELETE", path)
    assert deleted.status == 200, deleted
    assert backend.request("GET", path).status == 404
    assert keys(s3, bucket) == []


def test_lock_conflicts_and_ids(lockstep, bucket, s3, backend):
    path = state_path(bucket, HTTP_KEY)
    state = state_json(1, str(uuid.uuid4()), {"n": "one"})
    assert backend.request("POST", path, state).status in (200, 201, 204)

    a = lock_info_json(f"{bucket}/{HTTP_KEY}", who="a@host")
    b = lock_info_json(f"{bucket}/{HTTP_KEY}", who="b@host")
    a_id, b_id = json.loads(a)["ID"], json.loads(b)["ID"]

    locked = backend.request("LOCK", path, a)
    assert locked.status == 200, locked
    assert lock_object(s3, bucket, HTTP_KEY) == a, "the lock is the .tflock object, body as sent"
    refused = backend.request("LOCK", path, b)
    assert refused.status == 423, refused
    assert refused.json() == json.loads(a)
    # the state stays readable
    assert backend.request("GET", path).body == state

    # writes need the holder's ID
    newer = state_json(2, json.loads(state)["lineage"], {"n": "two"})
    no_id = backend.request("POST", path, newer)
    assert no_id.status == 423, no_id
    wrong_id = backend.request("POST", path + "?ID=" + b_id, newer)
    assert wrong_id.status == 409, wrong_id
    assert stored(s3, bucket, HTTP_KEY) == state
    right_id = backend.request("POST", path + "?ID=" + urllib.parse.quote(a_id), newer)
    assert right_id.status in (200, 201, 204), right_id
    assert stored(s3, bucket, HTTP_KEY) == newer
    assert lock_object(s3, bucket, HTTP_KEY) == a, "writing the state keeps the lock"

    # unlock: another ID is refused, the exact lock JSON releases
    refused = backend.request("UNLOCK", path, json.dumps({"ID": b_id}).encode())
    assert refused.status == 409, refused
    assert lock_object(s3, bucket, HTTP_KEY) == a
    released = backend.request("UNLOCK", path, a)
    assert released.status == 200, released
    assert lock_object(s3, bucket, HTTP_KEY) is None

    # {"ID": ...} alone releases too
    assert backend.request("LOCK", path, b).status == 200
    assert backend.request("UNLOCK", path, json.dumps({"ID": b_id}).encode()).status == 200
    assert lock_object(s3, bucket, HTTP_KEY) is None

    # an empty body forces it (terraform force-unlock)
    assert backend.request("LOCK", path, a).status == 200
    forced = backend.request("UNLOCK", path, b"")
    assert forced.status == 200, forced
    assert lock_object(s3, bucket, HTTP_KEY) is None
    assert backend.request("POST", path, state).status in (200, 201, 204), "unlocked: writes need no ID"


def test_lock_alternatives_post_and_delete_with_lock_query(lockstep, bucket, s3, backend):
    path = state_path(bucket, HTTP_KEY)
    a = lock_info_json(f"{bucket}/{HTTP_KEY}", who="a@host")
    b = lock_info_json(f"{bucket}/{HTTP_KEY}", who="b@host")
    locked = backend.request("POST", path + "?lock", a)
    assert locked.status == 200, locked
    assert lock_object(s3, bucket, HTTP_KEY) == a
    refused = backend.request("POST", path + "?lock", b)
    assert refused.status == 423, refused
    assert refused.json() == json.loads(a)
    refused = backend.request("LOCK", path, b)
    assert refused.status == 423 and refused.json() == json.loads(a), refused
    mismatch = backend.request("DELETE", path + "?lock", json.dumps({"ID": json.loads(b)["ID"]}).encode())
    assert mismatch.status == 409, mismatch
    assert lock_object(s3, bucket, HTTP_KEY) == a
    released = backend.request("DELETE", path + "?lock", a)
    assert released.status == 200, released
    assert lock_object(s3, bucket, HTTP_KEY) is None
    assert keys(s3, bucket) == [], "DELETE ?lock removes the lock, not the state"


def test_s3_lock_is_the_http_lock(lockstep, bucket, s3, backend):
    path = state_path(bucket, HTTP_KEY)
    lock_id, info = foreign_lock(s3, bucket, HTTP_KEY)
    other = lock_info_json(f"{bucket}/{HTTP_KEY}")
    refused = backend.request("LOCK", path, other)
    assert refused.status == 423, refused
    assert refused.body == info or refused.json() == json.loads(info), refused
    state = state_json(1, str(uuid.uuid4()), {"n": "x"})
    assert backend.request("POST", path, state).status == 423
    assert backend.request("POST", path + "?ID=" + lock_id, state).status in (200, 201, 204)
    assert stored(s3, bucket, HTTP_KEY) == state


def test_authentication(lockstep, bucket, backend):
    path = state_path(bucket, HTTP_KEY)
    body = lock_info_json(f"{bucket}/{HTTP_KEY}")
    for method, data in (("GET", None), ("POST", b"{}"), ("LOCK", body), ("UNLOCK", body), ("DELETE", None)):
        none = backend.request(method, path, data, auth=False)
        assert none.status == 401, (method, none)
        wrong = HTTPBackend(lockstep, password="not-the-secret-key").request(method, path, data)
        assert wrong.status == 403, (method, wrong)
        unknown = HTTPBackend(lockstep, username="LSNOSUCHKEY000000000").request(method, path, data)
        assert unknown.status == 403, (method, unknown)
    not_basic = backend.request("GET", path, auth=False, headers={"Authorization": "Bearer abc"})
    assert not_basic.status in (401, 403), not_basic
    assert backend.request("GET", path).status == 404, "with the right credentials: no state yet"


def test_401_asks_for_basic_auth(lockstep, bucket, backend):
    """RFC 7235: a 401 carries WWW-Authenticate; curl and browsers then send Basic credentials."""
    none = backend.request("GET", state_path(bucket, HTTP_KEY), auth=False)
    assert none.status == 401, none
    assert (none.header("www-authenticate") or "").lower().startswith("basic"), none


def test_missing_bucket(lockstep, backend, s3):
    path = state_path("no-such-bucket-" + uuid.uuid4().hex[:12], HTTP_KEY)
    lock = lock_info_json("x")
    for method, data in (("GET", None), ("POST", b"{}"), ("LOCK", lock), ("UNLOCK", lock), ("DELETE", None)):
        resp = backend.request(method, path, data)
        assert resp.status == 404, (method, resp)


@pytest.mark.parametrize("key", [
    "../escape.tfstate", "a/../b.tfstate", "a/..", "..", "a//b.tfstate", "/lead.tfstate", "trail/", "",
    "a/%2e%2e/b.tfstate", "%2E%2E",
])
def test_bad_keys(lockstep, bucket, backend, s3, key):
    path = f"{PREFIX}/{bucket}/{key}"
    for method, data in (("GET", None), ("POST", b"{}"), ("LOCK", lock_info_json("x"))):
        resp = backend.request(method, path, data)
        assert resp.status == 400, (method, path, resp)
    assert keys(s3, bucket) == []


def test_keys_are_percent_decoded(lockstep, bucket, s3, backend):
    key = "env:/dev/with space/ünïcödé+plus.tfstate"
    path = state_path(bucket, key)
    assert "%20" in path and "%C3%BC" in path and "%2B" in path
    state = state_json(1, str(uuid.uuid4()), {"n": "decoded"})
    assert backend.request("POST", path, state).status in (200, 201, 204)
    assert stored(s3, bucket, key) == state
    assert backend.request("LOCK", path, lock_info_json(f"{bucket}/{key}")).status == 200
    assert sorted(keys(s3, bucket)) == sorted([key, key + LOCK_SUFFIX])
    assert backend.request("UNLOCK", path, b"").status == 200
    assert backend.request("GET", path).body == state


# ---------------------------------------------------------------------------
# fixtures/terraform/http-backend


def localize(main_tf: str, endpoint: str, bucket: str, access_key: str, secret_key: str) -> str:
    default = f'"{DEFAULT_ENDPOINT}{PREFIX}/tfstate/'
    assert main_tf.count(default) == 3, "address, lock_address and unlock_address"
    out = main_tf.replace(default, f'"{endpoint}{PREFIX}/{bucket}/')
    for option, value, new in (("username", "lockstep", access_key), ("password", "lockstep-secret-key", secret_key)):
        out, n = re.subn(rf'(\n\s*{option}\s*=\s*)"{re.escape(value)}"', lambda m: m.group(1) + f'"{new}"', out)
        assert n == 1, option
    return out


def fixture_key(main_tf: str) -> str:
    m = re.search(r'\n\s*address\s*=\s*"' + re.escape(DEFAULT_ENDPOINT + PREFIX) + r'/tfstate/([^"]+)"', main_tf)
    assert m
    return m.group(1)


def test_fixture_is_complete_and_formatted(tmp_path):
    main_tf = fixture_text(FIXTURE)
    assert main_tf.startswith("#"), "the file explains itself in a comment on top"
    urls = re.findall(r'\n\s*(address|lock_address|unlock_address)\s*=\s*"([^"]+)"', main_tf)
    assert sorted(name for name, _ in urls) == ["address", "lock_address", "unlock_address"]
    assert len({url for _, url in urls}) == 1, "one URL for state, lock and unlock"
    assert urls[0][1].startswith(f"{DEFAULT_ENDPOINT}{PREFIX}/tfstate/")
    assert re.search(r'\n\s*username\s*=\s*"lockstep"', main_tf)
    assert re.search(r'\n\s*password\s*=\s*"lockstep-secret-key"', main_tf)
    found = [b for b in TERRAFORMS if b.path]
    if not found:
        pytest.skip("no Terraform binary found")
    assert binaries_for(FIXTURE) == list(TERRAFORMS), "every Terraform found accepts the http backend fixture"
    tf = make_terraform(found[-1], tmp_path / "fmt")
    proc = tf("fmt", "-check", "-diff", str(FIXTURES / FIXTURE), check=False)
    assert proc.returncode == 0, output(proc)


FIXTURE_RUNS = binaries_for(FIXTURE)


@pytest.mark.parametrize("binary", FIXTURE_RUNS, ids=[b.id for b in FIXTURE_RUNS])
def test_fixture_with_terraform(binary, lockstep, versioned_bucket, s3, tmp_path):
    tf = make_terraform(binary, tmp_path / "tf")
    main_tf = fixture_text(FIXTURE)
    key = fixture_key(main_tf)
    (tf.workdir / "main.tf").write_text(
        localize(main_tf, lockstep.endpoint, versioned_bucket, lockstep.access_key, lockstep.secret_key))
    tf("init", "-no-color")
    for message in ("one", "two"):
        tf("apply", "-auto-approve", "-no-color", "-var", f"message=http-{message}")
        assert json.loads(stored(s3, versioned_bucket, key))["outputs"]["message"]["value"] == f"http-{message}"
    assert keys(s3, versioned_bucket) == [key]
    assert lock_operations(s3, versioned_bucket, key) == ["OperationTypeApply"] * 2
