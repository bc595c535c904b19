"""Terraform's and OpenTofu's `s3` backend against Lockstep, request by request.

Each test replays, on the wire, what a Terraform command sends (see terraform_support.TfWire and
docs/terraform.md): Terraform >= 1.11.2 and OpenTofu >= 1.10 with `use_lockfile = true`, and
Terraform 1.0-1.5. Every sequence runs in an unversioned and in a versioned bucket.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
import xml.etree.ElementTree as ET

import pytest

from s3helpers import checksum_b64, md5_hex
from terraform_support import (
    LOCKFILE_FLAVORS,
    PART_SIZE,
    RESPONSE_CHECKSUM_HEADERS,
    S3_NS,
    TF_1_0,
    TF_1_11,
    TF_1_11_SKIP_CHECKSUM,
    TOFU_1_10,
    Flavor,
    LockError,
    LockIdMismatch,
    TfWire,
    UnlockError,
    lock_info_json,
    object_versions,
    state_json,
)

MiB = 1024 * 1024
STATE_KEY = "project/terraform.tfstate"


class TfBucket:
    def __init__(self, name: str, versioned: bool):
        self.name = name
        self.versioned = versioned

    def __repr__(self) -> str:
        return f"TfBucket({self.name}, versioned={self.versioned})"


def _tf_bucket(s3, bucket_factory, versioned: bool) -> TfBucket:
    name = bucket_factory("tf")
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"
    return TfBucket(name, versioned)


@pytest.fixture(params=["unversioned", "versioned"])
def tf_bucket(request, s3, bucket_factory) -> TfBucket:
    return _tf_bucket(s3, bucket_factory, request.param == "versioned")


@pytest.fixture
def versioned_tf_bucket(s3, bucket_factory) -> TfBucket:
    return _tf_bucket(s3, bucket_factory, True)


@pytest.fixture(params=LOCKFILE_FLAVORS, ids=str)
def flavor(request) -> Flavor:
    return request.param


@pytest.fixture
def make_tf(lockstep):
    """make_tf(bucket, flavor, **kwargs): one backend client with its own connection pool."""
    made: list[TfWire] = []

    def make(bucket: str, flavor: Flavor, **kwargs) -> TfWire:
        tf = TfWire(lockstep, bucket, flavor, key=kwargs.pop("key", STATE_KEY), **kwargs)
        made.append(tf)
        return tf

    yield make
    for tf in made:
        tf.wire.close()


# ---------------------------------------------------------------------------
# Terraform commands as backend call sequences


class StateHistory:
    """The state PUTs a test made, to compare with ListObjectVersions."""

    def __init__(self):
        self.bodies: dict[str, list[bytes]] = {}
        self.version_ids: dict[str, list[str | None]] = {}

    def record(self, key: str, body: bytes, exchanges) -> None:
        final = exchanges[-1]
        self.bodies.setdefault(key, []).append(body)
        self.version_ids.setdefault(key, []).append(final.header("x-amz-version-id"))


def next_state(previous: bytes | None, outputs: dict, version: str, padding: int = 0) -> bytes:
    if previous:
        doc = json.loads(previous)
        return state_json(doc["serial"] + 1, doc["lineage"], outputs, version, padding)
    return state_json(1, str(uuid.uuid4()), outputs, version, padding)


def cmd_init(tf: TfWire) -> tuple[list[str], bytes | None]:
    return tf.list_workspaces(), tf.read_state()


def cmd_apply(tf: TfWire, history: StateHistory, outputs: dict, workspace: str = "default",
              padding: int = 0, operation: str = "OperationTypeApply") -> bytes:
    """list -> lock -> read -> write -> unlock (write only, without a lock, for Terraform 1.0)."""
    tf.list_workspaces()
    lock_id = None
    if tf.flavor.lockfile:
        info = lock_info_json(tf.lock_path(workspace), operation, tf.flavor.version)
        lock_id = json.loads(info)["ID"]
        tf.lock(info, workspace)
    try:
        new = next_state(tf.read_state(workspace), outputs, tf.flavor.version, padding)
        history.record(tf.state_key(workspace), new, tf.write_state(new, workspace))
    finally:
        if lock_id:
            tf.unlock(lock_id, workspace)
    return new


def cmd_plan(tf: TfWire, workspace: str = "default") -> bytes | None:
    tf.list_workspaces()
    info = lock_info_json(tf.lock_path(workspace), "OperationTypePlan", tf.flavor.version)
    tf.lock(info, workspace)
    try:
        return tf.read_state(workspace)
    finally:
        tf.unlock(json.loads(info)["ID"], workspace)


def cmd_workspace_new(tf: TfWire, history: StateHistory, name: str) -> bytes:
    tf.list_workspaces()
    tf.list_workspaces()
    lock_id = None
    if tf.flavor.lockfile:
        info = lock_info_json(tf.lock_path(name), "init", tf.flavor.version)
        lock_id = json.loads(info)["ID"]
        tf.lock(info, name)
    try:
        assert tf.read_state(name) is None, f"workspace {name} already has a state"
        empty = state_json(1, str(uuid.uuid4()), {}, tf.flavor.version)
        history.record(tf.state_key(name), empty, tf.write_state(empty, name))
    finally:
        if lock_id:
            tf.unlock(lock_id, name)
    return empty


def cmd_workspace_delete(tf: TfWire, name: str) -> None:
    assert name in tf.list_workspaces()
    lock_id = None
    if tf.flavor.lockfile:
        info = lock_info_json(tf.lock_path(name), "OperationTypeInvalid", tf.flavor.version)
        lock_id = json.loads(info)["ID"]
        tf.lock(info, name)
    try:
        state = tf.read_state(name)
        assert state is None or json.loads(state)["resources"] == []  # "empty" for workspace delete
    finally:
        if lock_id:
            tf.unlock(lock_id, name)
    tf.delete_state(name)


def check_versions(s3, tf_bucket: TfBucket, history: StateHistory) -> None:
    """Each state PUT left exactly one version (versioned bucket) / only the last one is there
    (unversioned bucket, `null` version)."""
    for key, bodies in history.bodies.items():
        versions, _ = object_versions(s3, tf_bucket.name, key)
        ids = history.version_ids[key]
        if tf_bucket.versioned:
            assert all(ids), f"a state PUT to {key} returned no x-amz-version-id: {ids}"
            assert [v["VersionId"] for v in versions] == list(reversed(ids)), (versions, ids)
            assert [v["Size"] for v in versions] == [len(b) for b in reversed(bodies)]
            for v, body in zip(versions, reversed(bodies)):
                got = s3.get_object(Bucket=tf_bucket.name, Key=key, VersionId=v["VersionId"])["Body"].read()
                assert got == body, f"version {v['VersionId']} of {key} does not hold the state written"
        else:
            assert all(i is None for i in ids), f"unversioned bucket returned x-amz-version-id: {ids}"
            assert [(v["VersionId"], v["Size"]) for v in versions] == [("null", len(bodies[-1]))], versions


def sent(tf: TfWire, start: int = 0) -> list[tuple[str, str, int]]:
    return [(ex.method, ex.target, ex.status) for ex in tf.log[start:]]


def path_of(target: str) -> str:
    return target.split("?", 1)[0]


def assert_absent(tf: TfWire, key: str) -> None:
    head = tf.send("HEAD", key)
    assert head.status == 404 and head.body == b"", head.describe()
    get = tf.send("GET", key, x_id="GetObject")
    assert get.status == 404 and get.error_code() == "NoSuchKey", get.describe()


# ---------------------------------------------------------------------------
# init / plan / apply / state


def test_init_touches_nothing(make_tf, flavor, tf_bucket, s3):
    tf = make_tf(tf_bucket.name, flavor)
    workspaces, state = cmd_init(tf)
    assert workspaces == ["default"]
    assert state is None
    b = tf_bucket.name
    assert sent(tf) == [
        ("GET", f"/{b}?list-type=2&max-keys=1000&prefix=env%3A%2F", 200),
        ("HEAD", f"/{b}/project/terraform.tfstate", 404),
    ]
    root = ET.fromstring(tf.log[0].body)
    assert root.tag == f"{S3_NS}ListBucketResult"
    assert root.findtext(f"{S3_NS}Prefix") == "env:/"
    assert root.findtext(f"{S3_NS}MaxKeys") == "1000"
    assert root.findtext(f"{S3_NS}KeyCount") == "0"
    assert root.findtext(f"{S3_NS}IsTruncated") == "false"
    listed = s3.list_object_versions(Bucket=b)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers"), "init must not write anything"


def test_plan_apply_state_cycle(make_tf, flavor, tf_bucket, s3):
    tf = make_tf(tf_bucket.name, flavor)
    b, history = tf_bucket.name, StateHistory()
    lock_target = f"/{b}/project/terraform.tfstate.tflock?x-id=PutObject"
    state_path = f"/{b}/project/terraform.tfstate"

    # first apply: no state yet
    tf.list_workspaces()
    info = lock_info_json(tf.lock_path(), "OperationTypeApply", flavor.version)
    lock_id = json.loads(info)["ID"]
    put = tf.lock(info)
    assert (put.method, put.target, put.status) == ("PUT", lock_target, 200)
    assert put.request_headers["if-none-match"] == "*"
    assert put.request_headers["content-type"] == "application/json"
    # the lock object, read back as the lock-info GET does: the JSON byte for byte
    held = tf.get_lock_info()
    assert held.status == 200 and held.body == info, held.describe()
    assert held.header("content-type") == "application/json"
    assert tf.read_state() is None
    state1 = next_state(None, {"n": "one"}, flavor.version)
    history.record(tf.key, state1, tf.write_state(state1))
    mark = len(tf.log)
    tf.unlock(lock_id)
    assert [(m, path_of(t), s) for m, t, s in sent(tf, mark)] == [
        ("GET", f"/{b}/project/terraform.tfstate.tflock", 200),
        ("DELETE", f"/{b}/project/terraform.tfstate.tflock", 204),
    ]
    assert_absent(tf, tf.lock_key())

    # second apply reads the first one's state, byte for byte
    mark = len(tf.log)
    state2 = cmd_apply(tf, history, {"n": "two"})
    methods = [(m, path_of(t)) for m, t, _ in sent(tf, mark)]
    expected_reads = [("HEAD", state_path)] + [("GET", state_path)]
    assert methods[0] == ("GET", f"/{b}")
    assert methods[1] == ("PUT", f"/{b}/project/terraform.tfstate.tflock")
    assert methods[2:4] == expected_reads
    assert methods[4] == ("PUT", state_path)
    assert methods[5:] == [("GET", f"/{b}/project/terraform.tfstate.tflock"),
                           ("DELETE", f"/{b}/project/terraform.tfstate.tflock")]
    reads = [ex for ex in tf.log[mark:] if path_of(ex.target) == state_path and ex.method in ("HEAD", "GET")]
    assert all(ex.request_headers.get("x-amz-checksum-mode") == "ENABLED" for ex in reads)
    get = reads[1]
    assert get.body == state1
    if flavor.ranged_download:
        assert get.request_headers["range"] == "bytes=0-5242879"
        assert get.status == 206, get.describe()
        assert get.header("content-range") == f"bytes 0-{len(state1) - 1}/{len(state1)}"
        for name in RESPONSE_CHECKSUM_HEADERS:
            assert get.header(f"x-amz-checksum-{name}") is None, f"checksum header on a 206: {get.describe()}"
    else:
        assert "range" not in get.request_headers
        assert get.status == 200
        # whole object + x-amz-checksum-mode: ENABLED -> the checksum stored at upload comes back
        alg = flavor.put_checksum.lower()
        assert get.header(f"x-amz-checksum-{alg}") == checksum_b64(alg, state1), get.describe()
    head = reads[0]
    assert int(head.header("content-length")) == len(state1)
    assert head.header("content-type") == "application/json"
    alg = flavor.put_checksum.lower()
    assert head.header(f"x-amz-checksum-{alg}") == checksum_b64(alg, state1), head.describe()

    # plan: lock, read, unlock, no write
    assert cmd_plan(tf) == state2
    # state list / state pull: list + read, no lock
    mark = len(tf.log)
    tf.list_workspaces()
    assert tf.read_state() == state2
    assert not any(ex.target.startswith(f"/{b}/project/terraform.tfstate.tflock") for ex in tf.log[mark:])

    check_versions(s3, tf_bucket, history)
    # the lock object is gone after every unlock; only the state is listed
    listed = s3.list_objects_v2(Bucket=b)
    assert [o["Key"] for o in listed.get("Contents", [])] == [STATE_KEY]
    if tf_bucket.versioned:
        versions, markers = object_versions(s3, b, tf.lock_key())
        assert len(versions) == 3 and len(markers) == 3, (versions, markers)
        assert any(m["IsLatest"] for m in markers)
    # ...and a delete marker is not an object: the lock can be taken again
    again = lock_info_json(tf.lock_path(), "OperationTypeApply", flavor.version)
    assert tf.lock_put(again).status == 200
    tf.unlock(json.loads(again)["ID"])


def test_state_push_and_pull_round_trip(make_tf, flavor, tf_bucket, s3):
    """`state push`: list, lock, HEAD/GET, PUT, unlock; `state pull` gets back exactly what was pushed."""
    tf = make_tf(tf_bucket.name, flavor)
    history = StateHistory()
    cmd_apply(tf, history, {"n": "one"})
    pushed = next_state(tf.read_state(), {"n": "pushed", "note": "caf\u00e9 \u2713"}, flavor.version)
    pushed_doc = json.loads(pushed)
    tf.list_workspaces()
    info = lock_info_json(tf.lock_path(), "state-push", flavor.version)
    tf.lock(info)
    current = json.loads(tf.read_state())
    assert current["serial"] + 1 == pushed_doc["serial"] and current["lineage"] == pushed_doc["lineage"]
    history.record(tf.key, pushed, tf.write_state(pushed))
    tf.unlock(json.loads(info)["ID"])
    assert tf.read_state() == pushed
    stored = s3.get_object(Bucket=tf_bucket.name, Key=STATE_KEY)
    assert stored["Body"].read() == pushed
    assert stored["ContentType"] == "application/json"
    check_versions(s3, tf_bucket, history)


# ---------------------------------------------------------------------------
# locking


def test_lock_contention_shows_the_holder(make_tf, flavor, tf_bucket, s3):
    first = make_tf(tf_bucket.name, flavor)
    second = make_tf(tf_bucket.name, flavor)
    history = StateHistory()
    first.list_workspaces()
    info_a = lock_info_json(first.lock_path(), "OperationTypeApply", flavor.version, who="alice@laptop")
    first.lock(info_a)

    # a second apply while the first one holds the lock
    second.list_workspaces()
    info_b = lock_info_json(second.lock_path(), "OperationTypeApply", flavor.version, who="bob@desktop")
    with pytest.raises(LockError) as ei:
        second.lock(info_b)
    err = ei.value
    assert err.put.status == 412, err.put.describe()
    assert err.put.error_code() == "PreconditionFailed", err.put.describe()
    # the lock-info GET right after: the holder's JSON, byte for byte
    assert err.get is not None and err.get.status == 200, err.get.describe()
    assert "range" not in err.get.request_headers
    assert err.get.body == info_a
    assert err.get.header("content-type") == "application/json"
    assert err.info["ID"] == json.loads(info_a)["ID"] and err.info["Who"] == "alice@laptop"
    # -lock-timeout: Terraform retries while the ID is non-empty; still held
    with pytest.raises(LockError) as ei:
        second.lock(info_b)
    assert ei.value.put.status == 412 and ei.value.get.body == info_a

    # the first apply finishes
    state = next_state(first.read_state(), {"n": "a"}, flavor.version)
    history.record(first.key, state, first.write_state(state))
    first.unlock(json.loads(info_a)["ID"])

    # now the second one gets the lock and sees the first one's state
    assert second.lock(info_b).status == 200
    assert second.get_lock_info().body == info_b
    assert second.read_state() == state
    second.unlock(json.loads(info_b)["ID"])
    check_versions(s3, tf_bucket, history)
    if tf_bucket.versioned:
        versions, _ = object_versions(s3, tf_bucket.name, first.lock_key())
        assert len(versions) == 2, "a refused conditional PUT must not create a version"


def test_force_unlock(make_tf, flavor, tf_bucket, s3):
    crashed = make_tf(tf_bucket.name, flavor)
    admin = make_tf(tf_bucket.name, flavor)
    crashed.list_workspaces()
    info = lock_info_json(crashed.lock_path(), "OperationTypeApply", flavor.version)
    lock_id = json.loads(info)["ID"]
    crashed.lock(info)  # ...and the process is killed: the lock stays

    # terraform force-unlock -force WRONG-ID: GET, compare, nothing deleted
    admin.list_workspaces()
    mark = len(admin.log)
    with pytest.raises(LockIdMismatch):
        admin.unlock(str(uuid.uuid4()))
    assert [m for m, _, _ in sent(admin, mark)] == ["GET"]
    assert admin.get_lock_info().body == info

    # terraform force-unlock -force RIGHT-ID: GET, compare, DELETE
    admin.list_workspaces()
    mark = len(admin.log)
    delete = admin.unlock(lock_id)
    assert [m for m, _, _ in sent(admin, mark)] == ["GET", "DELETE"]
    if tf_bucket.versioned:
        assert delete.header("x-amz-delete-marker") == "true", delete.describe()
        assert delete.header("x-amz-version-id"), delete.describe()
    assert_absent(admin, admin.lock_key())

    # unlocking a lock that is not there fails (NoSuchKey on the GET)
    with pytest.raises(UnlockError):
        admin.unlock(lock_id)
    # and the state can be locked again
    fresh = lock_info_json(admin.lock_path(), "OperationTypeApply", flavor.version)
    assert admin.lock(fresh).status == 200
    admin.unlock(json.loads(fresh)["ID"])


def test_retried_lock_put_gets_412_from_its_own_lock(make_tf, tf_bucket):
    """The SDK retries a PUT whose response it did not get. If the first attempt was committed,
    the retry is refused with 412 by the lock it just took (as on AWS), and Terraform then shows
    its own lock as held by someone else. force-unlock with that ID recovers."""
    tf = make_tf(tf_bucket.name, TF_1_11)
    info = lock_info_json(tf.lock_path(), "OperationTypeApply", TF_1_11.version)
    signed, unsigned = tf._base_headers(attempt=1)
    first = tf.lock_put(info, base=(signed, unsigned))
    assert first.status == 200, first.describe()
    # the response is lost; attempt 2 of the same invocation
    retry = dict(signed, **{"amz-sdk-request": "attempt=2; max=5"})
    second = tf.lock_put(info, base=(retry, unsigned))
    assert second.status == 412 and second.error_code() == "PreconditionFailed", second.describe()
    held = tf.get_lock_info()
    assert held.body == info, "the lock-info GET returns the process's own lock"
    tf.unlock(json.loads(info)["ID"])
    assert_absent(tf, tf.lock_key())


def test_sixteen_concurrent_lock_attempts(make_tf, tf_bucket, s3):
    rounds = 3
    contenders = [make_tf(tf_bucket.name, TF_1_11) for _ in range(16)]
    for rnd in range(rounds):
        infos = [lock_info_json(c.lock_path(), "OperationTypeApply", TF_1_11.version, who=f"runner{i}@ci")
                 for i, c in enumerate(contenders)]
        barrier = threading.Barrier(len(contenders))
        results: list = [None] * len(contenders)

        def attempt(i: int) -> None:
            barrier.wait(timeout=30)
            results[i] = contenders[i].lock_put(infos[i])

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(contenders))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = sorted(r.status for r in results)
        winners = [i for i, r in enumerate(results) if r.status == 200]
        assert len(winners) == 1, f"round {rnd}: {statuses}"
        losers = [r for r in results if r.status != 200]
        assert all(r.status == 412 and r.error_code() == "PreconditionFailed" for r in losers), \
            [r.describe() for r in losers if r.status != 412][:3]
        winner = winners[0]
        for i, c in enumerate(contenders):
            if i != winner:
                held = c.get_lock_info()
                assert held.body == infos[winner], f"round {rnd}: contender {i} sees another lock"
        contenders[winner].unlock(json.loads(infos[winner])["ID"])
    if tf_bucket.versioned:
        versions, markers = object_versions(s3, tf_bucket.name, contenders[0].lock_key())
        assert (len(versions), len(markers)) == (rounds, rounds), (versions, markers)


# ---------------------------------------------------------------------------
# workspaces


def test_workspaces(make_tf, flavor, tf_bucket, s3):
    tf = make_tf(tf_bucket.name, flavor)
    b, history = tf_bucket.name, StateHistory()
    # keys under env:/ that are not workspace states of this key
    s3.put_object(Bucket=b, Key="env:/other/another.tfstate", Body=b"{}")
    s3.put_object(Bucket=b, Key="env:/loose", Body=b"{}")
    assert tf.list_workspaces() == ["default"]

    mark = len(tf.log)
    cmd_workspace_new(tf, history, "dev")
    targets = [t for _, t, _ in sent(tf, mark)]
    assert f"/{b}/env%3A/dev/project/terraform.tfstate.tflock?x-id=PutObject" in targets
    assert f"/{b}/env%3A/dev/project/terraform.tfstate?x-id=PutObject" in targets
    assert f"/{b}/env%3A/dev/project/terraform.tfstate" in targets  # HEAD
    assert tf.list_workspaces() == ["default", "dev"]

    # while a lock of a new workspace is held its .tflock is listed; it is not a workspace
    info = lock_info_json(tf.lock_path("staging"), "init", flavor.version)
    tf.lock(info, "staging")
    raw = tf.send("GET", None, {"list-type": "2", "max-keys": "1000", "prefix": "env:/"})
    keys = [c.findtext(f"{S3_NS}Key") for c in ET.fromstring(raw.body).findall(f"{S3_NS}Contents")]
    assert keys == sorted(keys)
    assert "env:/staging/project/terraform.tfstate.tflock" in keys
    assert tf.list_workspaces() == ["default", "dev"]
    tf.unlock(json.loads(info)["ID"], "staging")
    cmd_workspace_new(tf, history, "staging")
    assert tf.list_workspaces() == ["default", "dev", "staging"]

    # workspace select dev + apply in dev
    tf.list_workspaces()
    cmd_apply(tf, history, {"n": "dev"}, workspace="dev")
    assert json.loads(tf.read_state("dev"))["outputs"]["n"]["value"] == "dev"
    assert tf.read_state() is None, "the default workspace has no state"

    # workspace select default; workspace delete dev
    cmd_workspace_delete(tf, "dev")
    assert tf.list_workspaces() == ["default", "staging"]
    assert_absent(tf, tf.state_key("dev"))
    dev_versions, dev_markers = object_versions(s3, b, tf.state_key("dev"))
    if tf_bucket.versioned:
        assert len(dev_versions) == 2 and len(dev_markers) == 1 and dev_markers[0]["IsLatest"]
    else:
        assert dev_versions == [] and dev_markers == []

    # the workspace can be created again (a delete marker does not count as a state)
    cmd_workspace_new(tf, history, "dev")
    assert tf.list_workspaces() == ["default", "dev", "staging"]
    staging = history.bodies[tf.state_key("staging")]
    assert tf.read_state("staging") == staging[-1]
    check_versions(s3, tf_bucket, history)


# ---------------------------------------------------------------------------
# large states


@pytest.mark.slow
@pytest.mark.parametrize("tf_flavor", [TF_1_11, TF_1_11_SKIP_CHECKSUM], ids=str)
def test_large_state_multipart_and_ranged_read(make_tf, tf_flavor, tf_bucket, s3):
    """> 5 MiB: the s3 manager uploads in 5 MiB parts with per-part checksums and reads back with
    concurrent 5 MiB ranged GETs sized from HEAD."""
    tf = make_tf(tf_bucket.name, tf_flavor)
    history = StateHistory()
    alg = tf_flavor.put_checksum
    mark = len(tf.log)
    big = cmd_apply(tf, history, {"n": "big"}, padding=12 * MiB + 12345)
    assert len(big) > 2 * PART_SIZE
    exchanges = tf.log[mark:]
    create = next(ex for ex in exchanges if ex.method == "POST" and "uploads=" in ex.target)
    assert create.request_headers["x-amz-checksum-algorithm"] == alg
    assert create.status == 200
    parts = [ex for ex in exchanges if "x-id=UploadPart" in ex.target]
    assert len(parts) == 3
    for n, ex in enumerate(sorted(parts, key=lambda e: e.target), 1):
        assert ex.status == 200, ex.describe()
        assert ex.request_headers["expect"] == "100-continue"
        assert ex.continued in ("100", "timeout"), f"part {n}: final status before the body"
        data = ex.request_body
        assert ex.header(f"x-amz-checksum-{alg.lower()}") == checksum_b64(alg, data), \
            f"UploadPart must echo the part checksum: {ex.describe()}"
    complete = next(ex for ex in exchanges if ex.method == "POST" and "uploadId=" in ex.target)
    assert b"<Part><Checksum" in complete.request_body, "the Complete lists the part checksums"
    etag = ET.fromstring(complete.body).findtext(f"{S3_NS}ETag")
    assert etag and etag.strip('"').endswith("-3"), complete.describe()

    # read back: HEAD, then 5 MiB ranges, concurrently, no checksum on any 206
    mark = len(tf.log)
    assert tf.read_state() == big
    head = tf.log[mark]
    assert head.method == "HEAD" and int(head.header("content-length")) == len(big)
    # a multipart upload with CRC32/SHA256 parts has a COMPOSITE checksum, "-N" suffixed
    composite = head.header(f"x-amz-checksum-{alg.lower()}")
    assert composite and composite.endswith("-3"), head.describe()
    assert head.header("x-amz-checksum-type") == "COMPOSITE", head.describe()
    gets = [ex for ex in tf.log[mark:] if ex.method == "GET"]
    assert len(gets) == 3
    assert sorted(ex.request_headers["range"] for ex in gets) == sorted(
        f"bytes={s}-{s + PART_SIZE - 1}" for s in range(0, 3 * PART_SIZE, PART_SIZE))
    for ex in gets:
        assert ex.status == 206
        assert ex.header("content-range").endswith(f"/{len(big)}")
        for name in RESPONSE_CHECKSUM_HEADERS:
            assert ex.header(f"x-amz-checksum-{name}") is None, f"checksum header on a 206: {ex.describe()}"

    # a smaller state overwrites it with a single PUT
    small = cmd_apply(tf, history, {"n": "small"})
    assert len(small) < PART_SIZE
    assert tf.read_state() == small
    check_versions(s3, tf_bucket, history)


@pytest.mark.slow
def test_large_state_opentofu_single_put(make_tf, tf_bucket, s3):
    """OpenTofu never uses multipart: a 7 MiB state is one PutObject (Expect: 100-continue, SHA256)
    and comes back with one plain GET."""
    tf = make_tf(tf_bucket.name, TOFU_1_10)
    history = StateHistory()
    mark = len(tf.log)
    big = cmd_apply(tf, history, {"n": "big"}, padding=7 * MiB)
    put = next(ex for ex in tf.log[mark:] if ex.method == "PUT" and ".tflock" not in ex.target)
    assert put.request_headers["expect"] == "100-continue"
    assert put.continued in ("100", "timeout")
    assert put.status == 200
    mark = len(tf.log)
    assert tf.read_state() == big
    get = next(ex for ex in tf.log[mark:] if ex.method == "GET")
    assert get.status == 200 and "range" not in get.request_headers
    assert get.header("x-amz-checksum-sha256") == checksum_b64("SHA256", big)
    check_versions(s3, tf_bucket, history)


def test_empty_state_object_reads_as_no_state(make_tf, tf_bucket, s3):
    """A zero-byte state object: HEAD says 0, the first ranged GET is 416 (InvalidRange, as on
    AWS), which the downloader treats as an empty object; Terraform then sees no state."""
    s3.put_object(Bucket=tf_bucket.name, Key=STATE_KEY, Body=b"")
    tf = make_tf(tf_bucket.name, TF_1_11)
    mark = len(tf.log)
    assert tf.read_state() is None
    head, get = tf.log[mark:]
    assert head.status == 200 and head.header("content-length") == "0"
    assert get.status == 416 and get.error_code() == "InvalidRange", get.describe()


# ---------------------------------------------------------------------------
# Terraform 1.0-1.5


def test_terraform_1_0_to_1_5_sequence(make_tf, tf_bucket, s3):
    tf = make_tf(tf_bucket.name, TF_1_0)
    b, history = tf_bucket.name, StateHistory()
    # init: ListObjects (v1) + one plain GET
    workspaces, state = cmd_init(tf)
    assert workspaces == ["default"] and state is None
    assert sent(tf) == [
        ("GET", f"/{b}?max-keys=1000&prefix=env%3A%2F", 200),
        ("GET", f"/{b}/project/terraform.tfstate", 404),
    ]
    assert tf.log[1].error_code() == "NoSuchKey"
    listing = ET.fromstring(tf.log[0].body)
    assert listing.findtext(f"{S3_NS}Prefix") == "env:/"
    assert listing.findtext(f"{S3_NS}IsTruncated") == "false"
    assert listing.find(f"{S3_NS}KeyCount") is None, "KeyCount is a ListObjectsV2 element"

    mark = len(tf.log)
    state1 = cmd_apply(tf, history, {"n": "one"})
    assert [(m, path_of(t)) for m, t, _ in sent(tf, mark)] == [
        ("GET", f"/{b}"), ("GET", f"/{b}/project/terraform.tfstate"), ("PUT", f"/{b}/project/terraform.tfstate")]
    put = tf.log[-1]
    assert put.request_headers["content-md5"] and "x-amz-checksum-crc32" not in put.request_headers
    assert put.header("etag") == f'"{md5_hex(state1)}"'

    state2 = cmd_apply(tf, history, {"n": "two"})
    tf.list_workspaces()
    assert tf.read_state() == state2  # state pull

    # a Content-MD5 that does not match the body: BadDigest, nothing stored
    bad = next_state(state2, {"n": "bad"}, TF_1_0.version)
    signed, unsigned = tf._base_headers()
    ex = tf.send("PUT", tf.key, headers={"content-type": "application/json", "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="},
                 body=bad, base=(signed, unsigned))
    assert ex.status == 400 and ex.error_code() == "BadDigest", ex.describe()
    assert tf.read_state() == state2

    # workspaces: new, list, delete
    cmd_workspace_new(tf, history, "dev")
    assert tf.list_workspaces() == ["default", "dev"]
    assert f"/{b}/env%3A/dev/project/terraform.tfstate" in [t for _, t, _ in sent(tf)]
    history.bodies.pop(tf.state_key("dev"))
    history.version_ids.pop(tf.state_key("dev"))
    cmd_workspace_delete(tf, "dev")
    assert tf.list_workspaces() == ["default"]
    check_versions(s3, tf_bucket, history)


# ---------------------------------------------------------------------------
# options


def test_encrypt_true_sends_aes256_on_state_and_lock(make_tf, tf_bucket, s3):
    """`encrypt = true`: `x-amz-server-side-encryption: AES256` on the state PUT and the lock PUT."""
    tf = make_tf(tf_bucket.name, TF_1_11, encrypt=True)
    history = StateHistory()
    mark = len(tf.log)
    state = cmd_apply(tf, history, {"n": "encrypted"})
    puts = [ex for ex in tf.log[mark:] if ex.method == "PUT"]
    assert len(puts) == 2
    for ex in puts:
        assert ex.request_headers["x-amz-server-side-encryption"] == "AES256"
        assert ex.status == 200, ex.describe()
    assert tf.read_state() == state
    assert cmd_plan(tf) == state
    check_versions(s3, tf_bucket, history)


def test_virtual_host_addressing(make_tf, localhost_subdomains, tf_bucket, s3):
    """use_path_style = false with endpoint http://localhost:PORT: Host is BUCKET.localhost:PORT."""
    tf = make_tf(tf_bucket.name, TF_1_11, virtual_host=True)
    history = StateHistory()
    state = cmd_apply(tf, history, {"n": "vhost"})
    assert all(ex.request_headers["host"].startswith(f"{tf_bucket.name}.localhost:") for ex in tf.log)
    assert tf.log[0].target == "/?list-type=2&max-keys=1000&prefix=env%3A%2F"
    assert tf.read_state() == state
    cmd_workspace_new(tf, history, "dev")
    assert tf.list_workspaces() == ["default", "dev"]
    assert "/env%3A/dev/project/terraform.tfstate?x-id=PutObject" in [ex.target for ex in tf.log]
    assert s3.get_object(Bucket=tf_bucket.name, Key=STATE_KEY)["Body"].read() == state
    check_versions(s3, tf_bucket, history)


def test_missing_bucket(make_tf):
    """Terraform never creates the bucket; it reports NoSuchBucket from the listing."""
    tf = make_tf("tf-no-such-bucket-" + uuid.uuid4().hex[:12], TF_1_11)
    ex = tf.send("GET", None, {"list-type": "2", "max-keys": "1000", "prefix": "env:/"})
    assert ex.status == 404 and ex.error_code() == "NoSuchBucket", ex.describe()
    head = tf.send("HEAD", tf.key, headers={"x-amz-checksum-mode": "ENABLED"})
    assert head.status == 404 and head.body == b""


# ---------------------------------------------------------------------------
# rolling back to an earlier state version (docs/terraform.md)


def test_roll_back_state_with_aws_cli(make_tf, versioned_tf_bucket, aws, s3):
    tf_bucket = versioned_tf_bucket
    tf = make_tf(tf_bucket.name, TF_1_11)
    history = StateHistory()
    states = [cmd_apply(tf, history, {"n": str(i)}) for i in range(3)]
    b = tf_bucket.name
    out = aws("s3api", "list-object-versions", "--bucket", b, "--prefix", STATE_KEY, "--output", "json").stdout
    versions = [v for v in json.loads(out)["Versions"] if v["Key"] == STATE_KEY]
    assert len(versions) == 3 and versions[0]["IsLatest"]
    oldest = versions[-1]["VersionId"]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", oldest)
    aws("s3api", "copy-object", "--bucket", b, "--key", STATE_KEY,
        "--copy-source", f"{b}/{STATE_KEY}?versionId={oldest}", "--output", "json")
    assert tf.read_state() == states[0]
    head = s3.head_object(Bucket=b, Key=STATE_KEY)
    assert head["ContentType"] == "application/json"
    versions, _ = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 4 and versions[-1]["VersionId"] == oldest
    # Terraform carries on from the restored state
    restored = json.loads(states[0])
    after = cmd_apply(tf, StateHistory(), {"n": "after-rollback"})
    assert json.loads(after)["serial"] == restored["serial"] + 1
    assert json.loads(after)["lineage"] == restored["lineage"]


def test_deleted_workspace_comes_back_when_its_delete_marker_is_removed(make_tf, versioned_tf_bucket, s3):
    """`workspace delete` in a versioned bucket leaves a delete marker; deleting that marker by its
    version ID (aws s3api delete-object --version-id) brings the workspace and its state back."""
    tf_bucket = versioned_tf_bucket
    tf = make_tf(tf_bucket.name, TF_1_11)
    history = StateHistory()
    cmd_workspace_new(tf, history, "dev")
    state = cmd_apply(tf, history, {"n": "dev"}, workspace="dev")
    cmd_workspace_delete(tf, "dev")
    assert tf.list_workspaces() == ["default"]
    _, markers = object_versions(s3, tf_bucket.name, tf.state_key("dev"))
    assert len(markers) == 1 and markers[0]["IsLatest"]
    s3.delete_object(Bucket=tf_bucket.name, Key=tf.state_key("dev"), VersionId=markers[0]["VersionId"])
    assert tf.list_workspaces() == ["default", "dev"]
    assert tf.read_state("dev") == state
