"""The `lockstep serve` command-line contract: ready line, ports, signals, flags, environment."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from s3helpers import (
    MiB,
    LockstepProcess,
    free_port,
    lockstep_binary,
    make_client,
    random_access_key,
    random_secret_key,
    read_status_line,
    start_partial_put,
)

READY_FIELDS = {"event", "endpoint", "port", "accessKey", "secretKey", "region", "dataDir"}
STACK_TRACE = re.compile(r"Traceback|Stack dump|Fatal error|Current stack trace|\n\s*\d+\s+\S+\s+0x[0-9a-f]+|"
                         r"#\d+ 0x[0-9a-f]+|Illegal instruction|Segmentation fault", re.I)


@pytest.fixture
def binary():
    path = lockstep_binary()
    if not path.exists():
        if os.environ.get("LOCKSTEP_ENDPOINT"):
            pytest.skip(f"needs the lockstep binary ({path}); only an external endpoint is configured")
        pytest.fail(f"lockstep binary not found at {path}", pytrace=False)
    return path


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    env.update(extra)
    return env


def run_cli(binary, args, timeout=30, env=None) -> subprocess.CompletedProcess:
    """Run lockstep expecting it to exit by itself (a server that starts instead is killed at timeout)."""
    try:
        return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env or child_env())
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"lockstep {' '.join(map(str, args))} did not exit within {timeout}s "
                    f"(stdout: {e.stdout!r})", pytrace=False)


def assert_usage_error(proc: subprocess.CompletedProcess):
    assert proc.returncode == 2, f"exit code {proc.returncode}, stderr: {proc.stderr!r}"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line error on stderr, got: {proc.stderr!r}"
    assert not STACK_TRACE.search(proc.stderr), proc.stderr
    assert '"event":"ready"' not in proc.stdout.replace(" ", "")


def test_ready_line(spawn_lockstep, tmp_path):
    ak, sk = random_access_key(), random_secret_key()
    data_dir = tmp_path / "ready-data"
    server = spawn_lockstep(data_dir, access_key=ak, secret_key=sk, region="us-east-1")
    ready = server.ready
    assert READY_FIELDS <= set(ready), ready
    assert ready["event"] == "ready"
    assert isinstance(ready["port"], int) and 0 < ready["port"] < 65536
    assert ready["endpoint"] == f"http://127.0.0.1:{ready['port']}"
    assert (ready["accessKey"], ready["secretKey"], ready["region"]) == (ak, sk, "us-east-1")
    assert os.path.realpath(ready["dataDir"]) == os.path.realpath(data_dir)
    # The first stdout line is the whole JSON object on one line.
    assert json.loads(server.stdout_lines[0]) == ready
    # It is listening when it says so, and the advertised credentials work.
    with socket.create_connection(("127.0.0.1", ready["port"]), timeout=5):
        pass
    make_client(server).list_buckets()
    # A human banner follows the ready line.
    deadline = time.monotonic() + 5
    while len(server.stdout_lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.stdout_lines) >= 2, "no banner after the ready line"


def test_port_zero_gives_distinct_free_ports(spawn_lockstep):
    a, b = spawn_lockstep(), spawn_lockstep()
    assert a.port != b.port
    for s in (a, b):
        make_client(s).list_buckets()


def test_explicit_port(spawn_lockstep):
    port = free_port()
    server = spawn_lockstep(start=False)
    server.start(port=port)
    assert server.port == port and server.ready["endpoint"] == f"http://127.0.0.1:{port}"


def test_default_region(spawn_lockstep):
    server = spawn_lockstep(region=None)
    assert server.ready["region"] == "us-east-1"


def test_sigterm_exits_zero(spawn_lockstep):
    server = spawn_lockstep()
    s3 = make_client(server)
    s3.create_bucket(Bucket="term")
    s3.put_object(Bucket="term", Key="k", Body=b"x")  # leaves an idle keep-alive connection open
    started = time.monotonic()
    assert server.stop(timeout=15) == 0, server.describe()
    assert time.monotonic() - started < 15
    assert not STACK_TRACE.search(server.stderr_text())


def test_sigterm_lets_an_inflight_upload_finish(spawn_lockstep):
    server = spawn_lockstep()
    make_client(server).create_bucket(Bucket="inflight")
    data = os.urandom(8 * MiB)
    sock = start_partial_put(server, "inflight", "slow", len(data), data[:4 * MiB])
    try:
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        sock.sendall(data[4 * MiB:])
        status = read_status_line(sock)
    finally:
        sock.close()
    assert status.split()[1:2] == ["200"], status
    assert server.stop(timeout=15) == 0, server.describe()
    server.start()
    got = make_client(server).get_object(Bucket="inflight", Key="slow")["Body"].read()
    assert got == data


def test_sigint_exits_zero(spawn_lockstep):
    server = spawn_lockstep()
    assert server.stop(timeout=15, sig=signal.SIGINT) == 0, server.describe()


@pytest.mark.parametrize("args", [
    ["serve", "--no-such-flag"],
    ["serve", "--port", "not-a-port"],
    ["serve", "--port", "70000"],
    ["serve", "--data-dir"],
    ["no-such-subcommand"],
], ids=["unknown-flag", "port-not-a-number", "port-out-of-range", "missing-value", "unknown-subcommand"])
def test_bad_flags_exit_2(binary, tmp_path, args):
    base = ["--address", "127.0.0.1", "--data-dir", tmp_path / "d", "--access-key", "AK", "--secret-key", "SK"]
    if args[0] == "serve" and "--data-dir" not in args:
        args = args + base
    assert_usage_error(run_cli(binary, args))


@pytest.mark.parametrize("kind", ["under-a-file", "is-a-file"])
def test_unusable_data_dir_exits_2(binary, tmp_path, kind):
    blocker = tmp_path / "regular-file"
    blocker.write_text("not a directory")
    data_dir = blocker / "data" if kind == "under-a-file" else blocker
    proc = run_cli(binary, ["serve", "--address", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                            "--access-key", "AK", "--secret-key", "SK"])
    assert_usage_error(proc)
    assert blocker.read_text() == "not a directory"


def test_help(binary):
    proc = run_cli(binary, ["serve", "--help"])
    assert proc.returncode == 0
    for flag in ("--port", "--data-dir", "--access-key", "--secret-key", "--address", "--region"):
        assert flag in proc.stdout + proc.stderr


def _serve_with_env(binary, tmp_path, env: dict, args: list) -> LockstepProcess:
    proc = LockstepProcess(None, tmp_path / "logs", env=child_env(**env), binary=binary, use_default_flags=False,
                           extra_args=[str(a) for a in args])
    return proc


@pytest.mark.parametrize("var", ["LOCKSTEP_PORT", "LOCKSTEP_ACCESS_KEY/SECRET_KEY", "LOCKSTEP_DATA_DIR",
                                 "LOCKSTEP_REGION"])
def test_environment_variables(binary, tmp_path, var):
    port = free_port()
    ak, sk = random_access_key(), random_secret_key()
    data_dir = tmp_path / "env-data"
    flags = {"--address": "127.0.0.1", "--port": "0", "--data-dir": str(data_dir), "--access-key": ak,
             "--secret-key": sk, "--region": "us-east-1"}
    env = {}
    if var == "LOCKSTEP_PORT":
        del flags["--port"]
        env["LOCKSTEP_PORT"] = str(port)
    elif var == "LOCKSTEP_ACCESS_KEY/SECRET_KEY":
        del flags["--access-key"], flags["--secret-key"]
        env.update(LOCKSTEP_ACCESS_KEY=ak, LOCKSTEP_SECRET_KEY=sk)
    elif var == "LOCKSTEP_DATA_DIR":
        del flags["--data-dir"]
        env["LOCKSTEP_DATA_DIR"] = str(data_dir)
    elif var == "LOCKSTEP_REGION":
        del flags["--region"]
        env["LOCKSTEP_REGION"] = "eu-west-1"
    args = [x for kv in flags.items() for x in kv]
    server = _serve_with_env(binary, tmp_path, env, args)
    try:
        server.start()
        ready = server.ready
        if var == "LOCKSTEP_PORT":
            assert ready["port"] == port
        if var == "LOCKSTEP_ACCESS_KEY/SECRET_KEY":
            assert (ready["accessKey"], ready["secretKey"]) == (ak, sk)
            server.access_key, server.secret_key = ak, sk
            make_client(server).list_buckets()
        if var == "LOCKSTEP_DATA_DIR":
            assert os.path.realpath(ready["dataDir"]) == os.path.realpath(data_dir)
            assert data_dir.is_dir()
        if var == "LOCKSTEP_REGION":
            assert ready["region"] == "eu-west-1"
    finally:
        server.stop()


def test_allow_any_credentials(spawn_lockstep):
    server = spawn_lockstep(extra_args=["--allow-any-credentials"])
    s3 = make_client(server, access_key="ANYTHINGGOES00000000", secret_key="whatever-secret")
    s3.create_bucket(Bucket="anycreds")
    s3.put_object(Bucket="anycreds", Key="k", Body=b"any")
    assert s3.get_object(Bucket="anycreds", Key="k")["Body"].read() == b"any"


def test_credentials_enforced_by_default(spawn_lockstep):
    server = spawn_lockstep()
    s3 = make_client(server, access_key="ANYTHINGGOES00000000", secret_key="whatever-secret")
    with pytest.raises(ClientError) as ei:
        s3.list_buckets()
    assert ei.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_ephemeral(spawn_lockstep, tmp_path):
    server = spawn_lockstep(use_default_flags=False, data_dir=None, extra_args=[
        "--address", "127.0.0.1", "--port", "0", "--ephemeral",
        "--access-key", "EPHEMERALKEY00000000", "--secret-key", "ephemeral-secret"])
    server.access_key, server.secret_key = "EPHEMERALKEY00000000", "ephemeral-secret"
    s3 = make_client(server)
    s3.create_bucket(Bucket="eph")
    s3.put_object(Bucket="eph", Key="k", Body=b"temporary")
    assert s3.get_object(Bucket="eph", Key="k")["Body"].read() == b"temporary"
    assert server.stop() == 0


def test_server_commands_speak_http_to_a_running_server(spawn_lockstep, binary):
    server = spawn_lockstep()
    args = ["--port", server.port, "--access-key", server.access_key, "--secret-key", server.secret_key]
    clock = run_cli(binary, ["clock", *args])
    assert clock.returncode == 0, clock.stderr
    assert clock.stdout.startswith("now ") and "ahead of real time" in clock.stdout

    refused = run_cli(binary, ["clock", "--port", server.port, "--access-key", server.access_key,
                               "--secret-key", "not-the-secret"])
    assert_usage_error(refused)
    assert "SignatureDoesNotMatch" in refused.stderr and "check --access-key and --secret-key" in refused.stderr


def test_server_commands_without_a_server_say_so_in_one_line(binary):
    port = free_port()
    proc = run_cli(binary, ["clock", "--port", port])
    assert_usage_error(proc)
    assert f"cannot reach a Lockstep server at 127.0.0.1:{port}: cannot connect: connection refused" in proc.stderr


def _banner(server, timeout=10) -> str:
    """The human banner after the ready line, once it has been read whole (it ends with the backend block)."""
    deadline = time.monotonic() + timeout
    while "use_lockfile" not in "\n".join(server.stdout_lines[1:]) and time.monotonic() < deadline and server.alive():
        time.sleep(0.05)
    return "\n".join(server.stdout_lines[1:])


def test_wildcard_address_advertises_a_reachable_endpoint(spawn_lockstep, tmp_path):
    ak, sk = random_access_key(), random_secret_key()
    server = spawn_lockstep(use_default_flags=False, data_dir=None, extra_args=[
        "--address", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path / "wildcard"), "--access-key", ak, "--secret-key", sk])
    server.access_key, server.secret_key = ak, sk
    port = server.ready["port"]
    assert server.ready["endpoint"] == f"http://127.0.0.1:{port}"
    s3 = make_client(server, endpoint=server.ready["endpoint"])
    s3.create_bucket(Bucket="wildcard")
    assert "wildcard" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    banner = _banner(server)
    assert f"listening on all interfaces (0.0.0.0:{port})" in banner, banner
    assert "0.0.0.0" not in banner.replace(f"(0.0.0.0:{port})", ""), "the wildcard is never offered as an endpoint"


def test_busy_port_exits_2_before_creating_the_data_dir(binary, tmp_path):
    data_dir = tmp_path / "new"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        proc = run_cli(binary, ["serve", "--port", port, "--data-dir", data_dir])
    assert_usage_error(proc)
    assert f"port {port} on 127.0.0.1 is in use" in proc.stderr
    assert not data_dir.exists(), "a refused start must not leave a data dir or root key behind"


def test_ephemeral_banner_does_not_ask_to_keep_the_root_key(spawn_lockstep):
    ephemeral = spawn_lockstep(use_default_flags=False, data_dir=None, extra_args=[
        "--address", "127.0.0.1", "--port", "0", "--ephemeral", "--access-key", "EPHEMERALKEY00000000", "--secret-key", "eph"])
    root_line = next(line for line in _banner(ephemeral).splitlines() if "root key:" in line)
    assert "keep it" not in root_line and "removed on exit" in root_line, root_line
    data_dir = ephemeral.ready["dataDir"]
    assert os.path.isdir(data_dir)
    assert ephemeral.stop() == 0
    assert not os.path.exists(data_dir), "the banner said the key goes on exit"

    kept = spawn_lockstep()
    root_line = next(line for line in _banner(kept).splitlines() if "root key:" in line)
    assert "keep it" in root_line, root_line
