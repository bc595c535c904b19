"""lockstep-bench, the repository's own load generator: every scenario, briefly, against a real `lockstep serve`.

Which binary: LOCKSTEP_BENCH_BIN when set, else .build/debug/lockstep-bench. Tests/run-all.sh's
`swift build --build-tests` builds every target of the package, lockstep-bench included, so it is there after that step;
when it is missing (a narrower build), `swift build --product lockstep-bench` is run once here.

The runs are short (about a second each, tiny objects) and only check what the JSON lines say and that the tool notices
what it is there to notice (a failed signature, corrupt downloads, a lock that two workers hold at once); how fast
anything goes is never asserted.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shlex
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from s3helpers import MiB, REPO_ROOT, lockstep_binary, make_client, random_access_key, random_secret_key, unique_bucket_name

LATENCY_FIELDS = {"n", "p50", "p90", "p99", "max", "mean"}
CPU_FIELDS = {"wall", "client", "server", "other", "steal"}


@pytest.fixture(scope="module")
def bench():
    """Path of the lockstep-bench binary (see the module docstring)."""
    override = os.environ.get("LOCKSTEP_BENCH_BIN")
    path = Path(override) if override else REPO_ROOT / ".build" / "debug" / "lockstep-bench"
    if not path.exists() and not override:
        proc = subprocess.run(["swift", "build", "--product", "lockstep-bench"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=3600, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            pytest.fail(f"swift build --product lockstep-bench failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}",
                        pytrace=False)
    if not path.exists():
        pytest.fail(f"lockstep-bench not found at {path}", pytrace=False)
    return path


def bench_env() -> dict:
    # Defaults the tool would read from the environment must not leak in from the machine.
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "S3BENCH_", "LOCKSTEP_"))}


def run_bench(bench, *args, expect_rc: int = 0, timeout: float = 180) -> dict | None:
    """Runs one scenario; returns its one JSON line (None when stdout is empty)."""
    proc = subprocess.run([str(bench), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=bench_env())
    assert proc.returncode == expect_rc, (
        f"lockstep-bench {' '.join(map(str, args))} exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        return None
    assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}"
    return json.loads(lines[0])


def target(server) -> list[str]:
    return ["-endpoint", server.endpoint, "-access-key", server.access_key, "-secret-key", server.secret_key]


@pytest.fixture
def server(spawn_lockstep):
    return spawn_lockstep()


def assert_common(result: dict, scenario: str, server=None):
    assert result["scenario"] == scenario
    assert result["errors"] == 0, result.get("first_error")
    assert "error_kinds" not in result and "first_error" not in result
    assert "cleanup_error" not in result, result.get("cleanup_error")
    assert CPU_FIELDS <= set(result["cpu_s"]), result["cpu_s"]
    if server is not None:
        assert result["server_pid"] == server.pid
        assert result["server_rss_peak_mib"] > 0
        assert result["server_rss_peak_mib"] >= result["server_rss_start_mib"]


def assert_bucket_gone(server, name: str):
    names = [b["Name"] for b in make_client(server).list_buckets()["Buckets"]]
    assert name not in names


def test_put_small(bench, server):
    bucket = unique_bucket_name("bench")
    r = run_bench(bench, "put-small", *target(server), "-server-pid", server.pid, "-bucket", bucket,
                  "-c", 2, "-size", "1KiB", "-duration", "1s")
    assert_common(r, "put-small", server)
    assert r["concurrency"] == 2 and r["size"] == 1024 and r["payload"] == "sha256"
    assert r["ops"] > 0 and r["ops_per_s"] > 0 and r["mib_per_s"] > 0
    assert set(r["latency_ms"]) == LATENCY_FIELDS and r["latency_ms"]["n"] == r["ops"]
    assert r["latency_ms"]["p50"] <= r["latency_ms"]["p99"] <= r["latency_ms"]["max"]
    assert r["cpu_s"]["server"] > 0
    assert_bucket_gone(server, bucket)  # -cleanup defaults to true


def test_get_small_unsigned_payload_and_double_dash_flags(bench, server):
    r = run_bench(bench, "get-small", "--endpoint", server.endpoint, "--access-key", server.access_key,
                  "--secret-key", server.secret_key, "--server-pid", server.pid, "--payload", "unsigned",
                  "--concurrency", 2, "--size", "2k", "--duration", "1s", "--objects", 20)
    assert_common(r, "get-small", server)
    assert r["payload"] == "unsigned" and r["size"] == 2048 and r["objects"] == 20
    assert r["populate_ops_per_s"] > 0
    assert r["ops"] > 0 and r["latency_ms"]["n"] == r["ops"]


def test_lock_cycle(bench, server):
    r = run_bench(bench, "lock-cycle", *target(server), "-server-pid", server.pid, "-duration", "1s")
    assert_common(r, "lock-cycle", server)
    assert r["requests_per_cycle"] == 4 and r["concurrency"] == 1
    assert 19 * 1024 <= r["state_size"] <= 21 * 1024
    assert r["cycles"] > 0 and r["cycles_per_s"] > 0
    assert r["cycle_ms"]["n"] == r["cycles"] and set(r["cycle_ms"]) == LATENCY_FIELDS
    assert set(r["step_ms"]) == {"lock_put", "state_get", "state_put", "lock_delete"}
    assert r["stale_reads"] == 0


def test_lock_contention_keeps_mutual_exclusion(bench, server):
    r = run_bench(bench, "lock-contention", *target(server), "-server-pid", server.pid,
                  "-c", 2, "-hold", "5ms", "-duration", "1s")
    assert_common(r, "lock-contention", server)
    assert r["if_none_match_supported"] is True
    assert r["if_none_match_probe_status"] == [200, 412]
    assert r["acquisitions"] > 0 and r["attempts"] >= r["acquisitions"]
    assert r["violations"] == 0 and r["violations_overlap"] == 0 and r["violations_foreign_body"] == 0
    assert "first_violation" not in r
    assert r["acquisitions_per_worker"]["max"] >= r["acquisitions_per_worker"]["min"]
    assert r["lock_put_ms"]["n"] == r["attempts"]


class _CarelessStore(BaseHTTPRequestHandler):
    """An S3 look-alike that ignores If-None-Match (and signatures): every conditional PUT wins."""

    protocol_version = "HTTP/1.1"
    objects: dict[str, bytes] = {}

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: bytes = b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self):
        self.objects[self.path] = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(200)

    def do_GET(self):
        if self.path == "/":
            self._answer(200, b"<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>")
        elif self.path in self.objects:
            self._answer(200, self.objects[self.path])
        else:
            self._answer(404)

    def do_DELETE(self):
        self.objects.pop(self.path, None)
        self._answer(204)


def test_lock_contention_reports_two_holders_at_once(bench):
    """Against a server without conditional writes, the check must see overlapping holders."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _CarelessStore)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        r = run_bench(bench, "lock-contention", "-endpoint", f"http://127.0.0.1:{httpd.server_address[1]}",
                      "-c", 4, "-hold", "20ms", "-duration", "1s", "-cleanup=false")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r["if_none_match_supported"] is False
    assert r["acquisitions"] > 1
    assert r["violations_overlap"] > 0
    assert r["violations"] >= r["violations_overlap"]
    assert "first_violation" in r


def test_put_large_stores_the_whole_object(bench, server):
    bucket = unique_bucket_name("bench")
    size = 3 * MiB + 123
    r = run_bench(bench, "put-large", *target(server), "-server-pid", server.pid, "-bucket", bucket,
                  "-size", size, "-streams", 2, "-cleanup=false")
    s3 = make_client(server)
    try:
        assert_common(r, "put-large", server)
        assert r["size"] == size and r["streams"] == 2 and r["ok_streams"] == 2 and r["rounds"] == 1
        assert r["mb_per_s"] > 0 and r["mib_per_s"] > 0 and len(r["per_stream_mib_per_s"]) == 2
        assert "client_sha256_s" in r
        bodies = [s3.get_object(Bucket=bucket, Key=f"large-{i}")["Body"].read() for i in range(2)]
        assert [len(b) for b in bodies] == [size, size]
        # The generated content differs from one MiB to the next.
        assert bodies[0][:MiB] != bodies[0][MiB:2 * MiB]
        assert hashlib.sha256(bodies[0]).digest() == hashlib.sha256(bodies[1]).digest()
    finally:
        for i in range(2):
            s3.delete_object(Bucket=bucket, Key=f"large-{i}")
        s3.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize("verify", ["bytes", "sha256"])
def test_get_large_verifies_the_bytes(bench, server, verify):
    size = 3 * MiB + 5
    r = run_bench(bench, "get-large", *target(server), "-server-pid", server.pid, "-size", size,
                  "-repeat", 2, "-verify", verify)
    assert_common(r, "get-large", server)
    assert r["verified"] is True and r["verify"] == verify
    assert r["verified_bytes"] == 2 * size
    assert r["rounds"] == 2 and r["ok_streams"] == 1 and r["mb_per_s"] > 0
    assert len(r["rounds_mib_per_s_sorted"]) == 2


@pytest.mark.parametrize("verify", ["bytes", "sha256"])
def test_get_large_detects_a_different_object(bench, server, verify):
    """An object of the right size but other content (not what the generator makes) must be reported."""
    size = 2 * MiB
    s3 = make_client(server)
    bucket = unique_bucket_name("bench")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="large", Body=random.Random(7).randbytes(size))
    try:
        r = run_bench(bench, "get-large", *target(server), "-bucket", bucket, "-size", size, "-repeat", 1,
                      "-verify", verify, "-cleanup=false")
    finally:
        s3.delete_object(Bucket=bucket, Key="large")
        s3.delete_bucket(Bucket=bucket)
    assert r["verified"] is False
    assert r["errors"] == 1 and r["error_kinds"] == {"GetObject: corrupt": 1}
    assert "populate_mib_per_s" not in r  # the object was there already, so it was downloaded as it was


def test_list(bench, server):
    r = run_bench(bench, "list", *target(server), "-server-pid", server.pid, "-objects", 30, "-prefixes", 3,
                  "-page", 10, "-repeat", 2, "-c", 2)
    assert_common(r, "list", server)
    assert r["objects"] == 30 and r["prefixes"] == 3 and r["page"] == 10
    assert r["all"]["keys"] == 30 and r["all"]["pages"] == 3
    assert r["all"]["page_ms"]["n"] == 6 and r["all"]["pages_per_s"] > 0
    assert r["prefix_delimiter"]["keys"] == 10 and r["prefix_delimiter"]["prefix"] == "p00/"
    assert r["delimiter_root"]["keys"] == 0 and r["delimiter_root"]["common_prefixes"] == 3


def test_versions(bench, server):
    r = run_bench(bench, "versions", *target(server), "-server-pid", server.pid, "-versions", 12, "-page", 5,
                  "-gets", 5, "-repeat", 1)
    assert_common(r, "versions", server)
    assert r["versioning_supported"] is True
    assert r["list_versions"]["versions_listed"] == 12 and r["list_versions"]["pages"] == 3
    assert r["get_old_version_ms"]["n"] == 5 and r["get_latest_ms"]["n"] == 50


def test_wrong_secret_key_is_a_failed_run(bench, server):
    """Requests are really signed: with another secret the bucket cannot even be created."""
    r = run_bench(bench, "put-small", "-endpoint", server.endpoint, "-access-key", server.access_key,
                  "-secret-key", server.secret_key + "x", "-duration", "1s", "-c", 1, expect_rc=1)
    assert r["scenario"] == "put-small"
    assert "CreateBucket failed: HTTP 403" in r["fatal"] and "SignatureDoesNotMatch" in r["fatal"]


def test_usage_errors_exit_2(bench):
    for args in (["put-small", "-endpoint", "https://127.0.0.1:1"], ["put-small", "-size", "lots"],
                 ["put-small", "-no-such-flag"], ["no-such-scenario"]):
        proc = subprocess.run([str(bench), *args], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, env=bench_env())
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stdout == ""


def port_below_ephemeral_range() -> int:
    low = 32768
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(100):
        port = random.randrange(max(1024, low - 10000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port below the ephemeral range")


def test_startup(bench):
    binary = lockstep_binary()
    if not binary.exists():
        pytest.fail(f"lockstep binary not found at {binary}", pytrace=False)
    access, secret = random_access_key(), random_secret_key()
    command = (f"{shlex.quote(str(binary))} serve --address 127.0.0.1 --port {{port}} --ephemeral "
               f"--access-key {access} --secret-key {shlex.quote(secret)}")
    port = port_below_ephemeral_range()
    r = run_bench(bench, "startup", "-cmd", command, "-port", port, "-n", 2, "-access-key", access,
                  "-secret-key", secret)
    assert r["scenario"] == "startup" and r["errors"] == 0, r.get("first_error")
    assert r["runs"] == 2 and r["ok"] == 2
    assert r["cmd"] == command.replace("{port}", str(port))
    assert len(r["ready_samples_ms"]) == 2
    assert r["ready_ms"]["min"] <= r["ready_ms"]["median"] <= r["ready_ms"]["max"]
    assert r["rss_after_ready_mib"]["min"] > 0 and r["polls_median"] >= 1
    assert "shutdown_ms_median" in r
    assert r["cpu_s"]["server"] > 0  # the reaped servers' own CPU time
    # Every server was stopped: nothing listens on the port any more.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
