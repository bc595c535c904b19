"""Fixtures for Lockstep's real-client tests (boto3, aws CLI, s3cmd, rclone).

By default a session-wide `lockstep serve --port 0` is started from LOCKSTEP_BIN (default
.build/debug/lockstep) on a temporary data dir with random credentials. When LOCKSTEP_ENDPOINT
is set (with LOCKSTEP_ACCESS_KEY / LOCKSTEP_SECRET_KEY), that endpoint is used instead, which
allows checking the harness itself against another S3 implementation.

Client executables (aws, s3cmd, rclone) that are missing make their tests skip, unless
LOCKSTEP_REQUIRE_CLIENTS is set, in which case a missing client is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from s3helpers import (
    REGION,
    ExternalServer,
    LockstepProcess,
    RawS3,
    ServerStartError,
    lockstep_binary,
    make_client,
    unique_bucket_name,
)

# Environment variables that would change how boto3/botocore (or the CLIs) behave if left over
# from the machine's environment. The clients under test must see their own defaults.
_SCRUBBED_ENV_PREFIXES = ("AWS_", "RCLONE_", "S3CMD_", "BOTO_")
_KEPT_ENV = {"AWS_CA_BUNDLE"}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_ENV_PREFIXES) and name not in _KEPT_ENV:
            del os.environ[name]
    isolated = Path(os.environ.get("TMPDIR", "/tmp")) / f"lockstep-client-tests-{os.getpid()}"
    isolated.mkdir(parents=True, exist_ok=True)
    config.add_cleanup(lambda: shutil.rmtree(isolated, ignore_errors=True))
    # Never read the user's ~/.aws; an empty config means botocore's own defaults apply.
    (isolated / "aws-config").write_text("")
    (isolated / "aws-credentials").write_text("")
    os.environ["AWS_CONFIG_FILE"] = str(isolated / "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(isolated / "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # Local traffic must never go through a proxy.
    no_proxy = "127.0.0.1,localhost,.localhost"
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), no_proxy]))


def clients_required() -> bool:
    return bool(os.environ.get("LOCKSTEP_REQUIRE_CLIENTS"))


def require_executable(name: str) -> str:
    """Path of a client executable; skip (or fail under LOCKSTEP_REQUIRE_CLIENTS) when missing."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"client executable '{name}' not found on PATH"
    if clients_required():
        pytest.fail(msg + " (LOCKSTEP_REQUIRE_CLIENTS is set, so a missing client is a failure)", pytrace=False)
    pytest.skip(msg + "; install it (Tests/run-all.sh does) to run these tests")


def external_endpoint() -> str | None:
    return os.environ.get("LOCKSTEP_ENDPOINT") or None


# ---------------------------------------------------------------------------
# servers


@pytest.fixture(scope="session")
def lockstep(tmp_path_factory):
    """The S3 endpoint under test: endpoint, access_key, secret_key, region, data_dir,
    restart(), kill9(). Shared by the whole session."""
    ext = external_endpoint()
    if ext:
        yield ExternalServer(
            endpoint=ext.rstrip("/"),
            access_key=os.environ.get("LOCKSTEP_ACCESS_KEY", "test"),
            secret_key=os.environ.get("LOCKSTEP_SECRET_KEY", "test"),
            region=os.environ.get("LOCKSTEP_REGION", REGION),
        )
        return
    data_dir = tmp_path_factory.mktemp("lockstep-data")
    log_dir = tmp_path_factory.mktemp("lockstep-logs")
    server = LockstepProcess(data_dir, log_dir, region=REGION)
    try:
        server.start()
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    if server.alive():
        rc = server.stop()
        if rc != 0:
            warnings.warn(f"session lockstep exited with code {rc} on SIGTERM\n{server.describe()}")


@pytest.fixture(autouse=True)
def _session_server_health(request):
    """If the shared server has died (crash), report it on the test during which it died, with its
    exit status and stderr, and start it again on the same port and data dir so that one crash does
    not turn every later test into a connection error."""
    if "lockstep" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("lockstep")
    if not isinstance(server, LockstepProcess):
        yield
        return
    if not server.alive():
        _revive(server)
    yield
    if not server.alive():
        report = server.describe()
        _revive(server)
        pytest.fail(f"the lockstep server died during this test\n{report}", pytrace=False)


def _revive(server: LockstepProcess) -> None:
    try:
        server.start(port=server.port or 0)
    except ServerStartError:
        server.start(port=0)


@pytest.fixture
def spawn_lockstep(tmp_path):
    """Factory for dedicated servers (durability and command-line tests). Each gets its own data
    dir unless one is passed; all are stopped at teardown."""
    binary = lockstep_binary()
    if not binary.exists():
        if external_endpoint():
            pytest.skip(f"needs the lockstep binary ({binary}); only an external endpoint is configured")
        pytest.fail(f"lockstep binary not found at {binary} (build it with `swift build` or set LOCKSTEP_BIN)",
                    pytrace=False)
    started: list[LockstepProcess] = []
    counter = [0]

    def spawn(data_dir: Path | None = None, start: bool = True, **kwargs) -> LockstepProcess:
        counter[0] += 1
        if data_dir is None and kwargs.get("use_default_flags", True):
            data_dir = tmp_path / f"data-{counter[0]}"
        proc = LockstepProcess(data_dir, tmp_path / "logs", **kwargs)
        started.append(proc)
        if start:
            try:
                proc.start()
            except ServerStartError as e:
                pytest.fail(str(e), pytrace=False)
        return proc

    yield spawn
    for proc in started:
        if proc.alive():
            try:
                proc.stop()
            except AssertionError:
                pass


# ---------------------------------------------------------------------------
# boto3


@pytest.fixture
def make_s3(lockstep):
    """make_s3(endpoint=..., access_key=..., secret_key=..., addressing_style=..., **Config kwargs)."""

    def factory(server=None, **kwargs):
        return make_client(server or lockstep, **kwargs)

    return factory


@pytest.fixture
def s3(lockstep):
    """boto3 S3 client with boto3's default integrity settings, path-style, us-east-1."""
    return make_client(lockstep)


def empty_and_delete_bucket(client, name: str) -> None:
    """Best-effort cleanup: never raises (a test's own failure is what matters)."""
    try:
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
            for up in page.get("Uploads", []):
                try:
                    client.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
                except Exception:
                    pass
    except Exception:
        pass
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            for i in range(0, len(keys), 1000):
                client.delete_objects(Bucket=name, Delete={"Objects": keys[i:i + 1000], "Quiet": True})
        client.delete_bucket(Bucket=name)
    except Exception:
        pass


@pytest.fixture
def bucket_factory(lockstep):
    """bucket_factory() creates a fresh bucket; all are emptied and deleted afterwards."""
    created: list[str] = []
    client = make_client(lockstep)

    def create(prefix: str = "ls") -> str:
        name = unique_bucket_name(prefix)
        client.create_bucket(Bucket=name)
        created.append(name)
        return name

    yield create
    client = make_client(lockstep)  # fresh: the server may have been restarted on another port
    for name in created:
        empty_and_delete_bucket(client, name)


@pytest.fixture
def bucket(bucket_factory):
    """A unique, empty bucket for this test."""
    return bucket_factory()


@pytest.fixture
def raw(lockstep):
    """Hand-signed SigV4 requests (RawS3) against the endpoint under test."""
    return RawS3(lockstep.endpoint, lockstep.access_key, lockstep.secret_key, REGION)


@pytest.fixture
def localhost_subdomains(monkeypatch):
    """Resolve BUCKET.localhost to 127.0.0.1 in this process (virtual-host addressing), as
    browsers and systemd-resolved do; the system resolver here may not."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# ---------------------------------------------------------------------------
# command-line clients


def _clean_env() -> dict:
    # All AWS_* variables go: the endpoints are plain HTTP, and e.g. AWS_CA_BUNDLE makes rclone fail.
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_ENV_PREFIXES)}
    env.setdefault("LANG", "C.UTF-8")
    env["LC_ALL"] = "C.UTF-8"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def aws_cli_command() -> list[str]:
    """The aws CLI: `python -m awscli` from this interpreter if importable, else `aws` on PATH."""
    import importlib.util

    if importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    return [require_executable("aws")]


@pytest.fixture
def aws_env(lockstep, tmp_path):
    """Environment for the aws CLI: credentials via env, config files in tmp, path-style."""
    cfg_dir = tmp_path / "aws-cli"
    cfg_dir.mkdir()
    # awscli v1 presigns with SigV2 unless told otherwise; Lockstep (like S3 today) speaks SigV4.
    (cfg_dir / "config").write_text(
        f"[default]\nregion = {REGION}\ns3 =\n    addressing_style = path\n    signature_version = s3v4\n")
    (cfg_dir / "credentials").write_text("")
    env = _clean_env()
    env.update(
        AWS_ACCESS_KEY_ID=lockstep.access_key,
        AWS_SECRET_ACCESS_KEY=lockstep.secret_key,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(cfg_dir / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(cfg_dir / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        AWS_MAX_ATTEMPTS="1",
    )
    return env


@pytest.fixture
def aws(lockstep, aws_env):
    """aws(*args, check=True, timeout=..., env={...}) runs the aws CLI against the endpoint under test."""
    base = aws_cli_command() + ["--endpoint-url", lockstep.endpoint]

    def run(*args, check: bool = True, timeout: float = 240, cwd=None, env: dict | None = None,
            input: bytes | None = None) -> subprocess.CompletedProcess:
        """With `input` (bytes) it is fed on stdin and stdout/stderr come back as bytes."""
        kwargs = dict(input=input) if input is not None else dict(stdin=subprocess.DEVNULL, text=True)
        proc = subprocess.run(base + [str(a) for a in args], env=dict(aws_env, **(env or {})), capture_output=True,
                              timeout=timeout, cwd=cwd, **kwargs)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(map(str, args))} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
        return proc

    return run


@pytest.fixture
def s3cmd_config(lockstep, tmp_path) -> Path:
    """An s3cmd config file (path-style, SigV4, plain HTTP) in tmp; ~/.s3cfg is never read."""
    host = lockstep.endpoint.split("://", 1)[1].rstrip("/")
    path = tmp_path / "s3cmd.cfg"
    path.write_text(
        "[default]\n"
        f"access_key = {lockstep.access_key}\n"
        f"secret_key = {lockstep.secret_key}\n"
        f"host_base = {host}\n"
        f"host_bucket = {host}\n"
        "bucket_location = us-east-1\n"
        "use_https = False\n"
        "check_ssl_certificate = False\n"
        "signature_v2 = False\n"
        "guess_mime_type = True\n"
        "progress_meter = False\n"
        "socket_timeout = 60\n"
        "max_retries = 1\n"
    )
    return path


@pytest.fixture
def s3cmd(s3cmd_config):
    exe = require_executable("s3cmd")
    env = _clean_env()
    env["HOME"] = str(s3cmd_config.parent)  # belt and braces: never the user's ~/.s3cfg

    def run(*args, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
        proc = subprocess.run([exe, "-c", str(s3cmd_config), *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"s3cmd {' '.join(map(str, args))} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
        return proc

    return run


@pytest.fixture
def rclone_config(lockstep, tmp_path) -> Path:
    """An rclone config with one remote, `lockstep:`, in tmp."""
    path = tmp_path / "rclone.conf"
    path.write_text(
        "[lockstep]\n"
        "type = s3\n"
        "provider = Other\n"
        "env_auth = false\n"
        f"access_key_id = {lockstep.access_key}\n"
        f"secret_access_key = {lockstep.secret_key}\n"
        f"endpoint = {lockstep.endpoint}\n"
        f"region = {REGION}\n"
        "force_path_style = true\n"
    )
    return path


@pytest.fixture
def rclone(rclone_config, tmp_path):
    exe = require_executable("rclone")
    env = _clean_env()
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    common = ["--config", str(rclone_config), "--retries", "1", "--low-level-retries", "1",
              "--contimeout", "10s", "--timeout", "60s", "--cache-dir", str(tmp_path / "rclone-cache")]

    def run(*args, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
        proc = subprocess.run([exe, *common, *map(str, args)], env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"rclone {' '.join(map(str, args))} exited {proc.returncode}\n"
                                 f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
        return proc

    return run
