"""Shared helpers for Lockstep's real-client tests.

- LockstepProcess: starts `lockstep serve`, reads its JSON ready line, stops/kills/restarts it.
- Checksums computed locally (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5) to check what the
  server stores and returns, independently of the client that uploaded.
- RawS3: a small hand-rolled SigV4 signer over http.client, for requests that no stock client
  sends over plain HTTP (aws-chunked streaming signatures, trailing checksums, tampering).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import string
import subprocess
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "lockstep"
READY_TIMEOUT = float(os.environ.get("LOCKSTEP_READY_TIMEOUT", "60"))
STOP_TIMEOUT = 20.0
MiB = 1024 * 1024
REGION = "us-east-1"


# ---------------------------------------------------------------------------
# names and credentials


def random_access_key() -> str:
    return "LS" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(18))


def random_secret_key() -> str:
    # Real secret keys contain '/' and '+'; keep them so signing code paths see them.
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    """Writes {relative path: bytes} under root, creating directories."""
    for rel, data in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def unique_bucket_name(prefix: str = "ls") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def lockstep_binary() -> Path:
    return Path(os.environ.get("LOCKSTEP_BIN") or DEFAULT_BINARY)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# checksums

try:  # awscrt is what botocore itself uses for CRC32C / CRC64NVME; fall back to pure Python.
    from awscrt import checksums as _crt
except Exception:  # pragma: no cover - depends on the machine
    _crt = None


def _reflected_table(poly: int, width: int) -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def _crc_reflected(data: bytes, table: list[int], width: int) -> int:
    mask = (1 << width) - 1
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32_int(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def crc32c_int(data: bytes) -> int:
    if _crt is not None:
        return _crt.crc32c(data)
    return _crc_reflected(data, _CRC32C_TABLE, 32)


def crc64nvme_int(data: bytes) -> int:
    if _crt is not None:
        return _crt.crc64nvme(data)
    return _crc_reflected(data, _CRC64NVME_TABLE, 64)


assert crc32_int(b"123456789") == 0xCBF43926
assert _crc_reflected(b"123456789", _CRC32C_TABLE, 32) == 0xE3069283
assert crc32c_int(b"123456789") == 0xE3069283
assert _crc_reflected(b"123456789", _CRC64NVME_TABLE, 64) == 0xAE8B14860A799888
assert crc64nvme_int(b"123456789") == 0xAE8B14860A799888

CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]


def checksum_raw(algorithm: str, data: bytes) -> bytes:
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        return crc32_int(data).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return crc32c_int(data).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return crc64nvme_int(data).to_bytes(8, "big")
    if algorithm == "SHA1":
        return hashlib.sha1(data).digest()
    if algorithm == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(algorithm)


def checksum_b64(algorithm: str, data: bytes) -> str:
    return base64.b64encode(checksum_raw(algorithm, data)).decode()


def composite_checksum(algorithm: str, parts: list[bytes]) -> str:
    """S3's COMPOSITE multipart checksum: checksum of the concatenated raw part checksums, '-N'."""
    joined = b"".join(checksum_raw(algorithm, p) for p in parts)
    return f"{checksum_b64(algorithm, joined)}-{len(parts)}"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def wrong_checksum_b64(algorithm: str, data: bytes) -> str:
    """A well-formed checksum value of the right length that does not match `data`."""
    return checksum_b64(algorithm, data + b"-not-the-same")


# ---------------------------------------------------------------------------
# the server process


class ServerStartError(RuntimeError):
    pass


class LockstepProcess:
    """One `lockstep serve` process on a data dir; can be stopped, killed and restarted."""

    def __init__(
        self,
        data_dir: Path | None,
        log_dir: Path,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = "us-east-1",
        extra_args: list[str] | None = None,
        env: dict | None = None,
        binary: Path | None = None,
        use_default_flags: bool = True,
    ):
        self.binary = Path(binary or lockstep_binary())
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.log_dir = Path(log_dir)
        self.access_key = access_key or random_access_key()
        self.secret_key = secret_key or random_secret_key()
        self.region = region or "us-east-1"
        self.requested_region = region
        self.extra_args = list(extra_args or [])
        self.env = env
        self.use_default_flags = use_default_flags
        self.proc: subprocess.Popen | None = None
        self.ready: dict | None = None
        self.port: int | None = None
        self.endpoint: str | None = None
        self.stdout_lines: list[str] = []
        self._stderr_path: Path | None = None
        self._starts = 0
        self._lock = threading.Lock()

    # -- command line
    def argv(self, port: int = 0) -> list[str]:
        argv = [str(self.binary), "serve"]
        if self.use_default_flags:
            argv += ["--address", "127.0.0.1", "--port", str(port)]
            if self.data_dir is not None:
                argv += ["--data-dir", str(self.data_dir)]
            argv += ["--access-key", self.access_key, "--secret-key", self.secret_key]
            if self.requested_region:
                argv += ["--region", self.requested_region]
        return argv + self.extra_args

    # -- lifecycle
    def start(self, port: int = 0, timeout: float = READY_TIMEOUT) -> "LockstepProcess":
        if not self.binary.exists():
            raise ServerStartError(
                f"lockstep binary not found at {self.binary} "
                "(build it with `swift build`, or set LOCKSTEP_BIN, or LOCKSTEP_ENDPOINT for an external server)"
            )
        self._starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._stderr_path = self.log_dir / f"lockstep-stderr-{os.getpid()}-{id(self)}-{self._starts}.log"
        stderr = open(self._stderr_path, "wb")
        if self.env is None:
            # The harness's own LOCKSTEP_* variables (endpoint, keys, ...) must not reach the server,
            # which may read LOCKSTEP_PORT and friends as configuration.
            env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
        else:
            env = dict(self.env)
        try:
            self.proc = subprocess.Popen(
                self.argv(port),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
        finally:
            stderr.close()
        self.stdout_lines = []
        lines: "queue.Queue[str | None]" = queue.Queue()
        proc = self.proc

        def pump():
            assert proc.stdout is not None
            for raw in proc.stdout:
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self.stdout_lines.append(text)
                lines.put(text)
            lines.put(None)

        threading.Thread(target=pump, name="lockstep-stdout", daemon=True).start()

        deadline = time.monotonic() + timeout
        first = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort()
                raise ServerStartError(
                    f"no ready line from lockstep within {timeout:.0f}s\n{self.describe()}"
                )
            try:
                first = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            break
        if first is None:
            rc = self.proc.wait(timeout=5)
            raise ServerStartError(f"lockstep exited (code {rc}) before printing its ready line\n{self.describe()}")
        try:
            ready = json.loads(first)
        except ValueError:
            self._abort()
            raise ServerStartError(f"first stdout line is not the JSON ready line: {first!r}\n{self.describe()}")
        if not isinstance(ready, dict) or ready.get("event") != "ready":
            self._abort()
            raise ServerStartError(f"first stdout line is not a ready event: {first!r}\n{self.describe()}")
        self.ready = ready
        self.port = int(ready["port"])
        self.endpoint = ready.get("endpoint") or f"http://127.0.0.1:{self.port}"
        return self

    def _abort(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT, sig: int = signal.SIGTERM) -> int | None:
        """Send `sig` (SIGTERM) and wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError(f"lockstep did not exit within {timeout}s of signal {sig}\n{self.describe()}")
        return self.proc.returncode

    def kill9(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self, keep_port: bool = False, timeout: float = READY_TIMEOUT) -> "LockstepProcess":
        """Stop (SIGTERM) if running, then start again on the same data dir and credentials."""
        old_port = self.port
        if self.alive():
            self.stop()
        return self.start(port=(old_port if keep_port and old_port else 0), timeout=timeout)

    def stderr_text(self) -> str:
        if self._stderr_path and self._stderr_path.exists():
            return self._stderr_path.read_text("utf-8", "replace")
        return ""

    def describe(self, tail: int = 4000) -> str:
        err = self.stderr_text()
        with self._lock:
            out = "\n".join(self.stdout_lines[-20:])
        rc = self.proc.poll() if self.proc else None
        return (
            f"command: {' '.join(self.argv())}\nexit code: {rc}\n"
            f"--- stdout (last lines) ---\n{out}\n--- stderr (tail) ---\n{err[-tail:]}"
        )


@dataclass
class ExternalServer:
    """An already-running S3 endpoint given by LOCKSTEP_ENDPOINT (e.g. moto_server for harness checks)."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    data_dir: Path | None = None
    spawned: bool = False

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.endpoint).port or 80

    def restart(self, *a, **k):
        import pytest

        pytest.skip("restart() needs a spawned lockstep; LOCKSTEP_ENDPOINT points at an external server")

    def kill9(self):
        import pytest

        pytest.skip("kill9() needs a spawned lockstep; LOCKSTEP_ENDPOINT points at an external server")


# ---------------------------------------------------------------------------
# boto3


def boto_config(addressing_style: str = "path", **kwargs):
    from botocore.config import Config

    base = dict(
        region_name=REGION,
        signature_version="s3v4",
        s3={"addressing_style": addressing_style},
        retries={"total_max_attempts": 1},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=16,
    )
    base.update(kwargs)
    return Config(**base)


def make_client(server, endpoint: str | None = None, access_key: str | None = None, secret_key: str | None = None,
                addressing_style: str = "path", **config):
    """A boto3 S3 client for `server` (anything with endpoint/access_key/secret_key), boto3's default
    integrity settings, no retries."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=REGION,
        config=boto_config(addressing_style, **config),
    )


def make_kms_client(server, access_key: str | None = None, secret_key: str | None = None):
    """A boto3 KMS client for `server`'s KMS API (same port and credentials as S3), no retries."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "kms",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


# ---------------------------------------------------------------------------
# raw SigV4 requests

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _uri_encode(s: str, safe: str = "") -> str:
    return urllib.parse.quote(s, safe="-_.~" + safe)


def canonical_query(query) -> str:
    if not query:
        return ""
    if isinstance(query, dict):
        query = list(query.items())
    pairs = sorted((_uri_encode(k), _uri_encode("" if v is None else str(v))) for k, v in query)
    return "&".join(f"{k}={v}" for k, v in pairs)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


@dataclass
class RawResponse:
    status: int
    headers: dict
    body: bytes

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def error_code(self) -> str | None:
        try:
            root = self.xml()
        except ET.ParseError:
            return None
        el = root.find("Code")
        return el.text if el is not None else None

    def xml_text(self, tag: str) -> str | None:
        root = self.xml()
        el = root.find(tag)
        return el.text if el is not None else None


@dataclass
class SignedRequest:
    method: str
    target: str  # path + query, as sent on the request line
    headers: dict
    signature: str
    amz_date: str
    scope: str
    key: bytes


class RawS3:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1"):
        parts = urllib.parse.urlsplit(endpoint)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region

    @staticmethod
    def path_for(bucket: str | None = None, key: str | None = None) -> str:
        path = "/"
        if bucket:
            path += bucket
            if key is not None:
                path += "/" + key
        return path

    def sign(
        self,
        method: str,
        path: str,
        query=None,
        headers: dict | None = None,
        payload_hash: str = EMPTY_SHA256,
        host: str | None = None,
        when: _dt.datetime | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> SignedRequest:
        when = when or _dt.datetime.now(_dt.timezone.utc)
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        host_header = host or f"{self.host}:{self.port}"
        hdrs = {k.lower(): str(v) for k, v in (headers or {}).items()}
        hdrs["host"] = host_header
        hdrs["x-amz-date"] = amz_date
        hdrs.setdefault("x-amz-content-sha256", payload_hash)
        signed_names = sorted(n for n in hdrs if n not in ("user-agent", "expect"))
        canonical_headers = "".join(f"{n}:{' '.join(hdrs[n].strip().split())}\n" for n in signed_names)
        encoded_path = _uri_encode(path, safe="/")
        cq = canonical_query(query)
        canonical_request = "\n".join(
            [method, encoded_path, cq, canonical_headers, ";".join(signed_names), hdrs["x-amz-content-sha256"]]
        )
        scope = f"{date}/{self.region}/s3/aws4_request"
        string_to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        key = signing_key(secret_key or self.secret_key, date, self.region)
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        hdrs["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={access_key or self.access_key}/{scope}, "
            f"SignedHeaders={';'.join(signed_names)}, Signature={signature}"
        )
        target = encoded_path + (f"?{cq}" if cq else "")
        return SignedRequest(method, target, hdrs, signature, amz_date, scope, key)

    def send(self, method: str, target: str, headers: dict, body: bytes = b"", timeout: float = 60) -> RawResponse:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            hdrs = dict(headers)
            names = {k.lower() for k in hdrs}
            if "content-length" not in names and "transfer-encoding" not in names and (
                    body or method in ("PUT", "POST")):
                hdrs["Content-Length"] = str(len(body))
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read() if method != "HEAD" else b""
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def request(
        self,
        method: str,
        path: str,
        query=None,
        headers: dict | None = None,
        body: bytes = b"",
        payload_hash: str | None = None,
        signed: bool = True,
        **sign_kwargs,
    ) -> RawResponse:
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        if signed:
            req = self.sign(method, path, query, headers, payload_hash, **sign_kwargs)
            return self.send(method, req.target, req.headers, body)
        cq = canonical_query(query)
        target = _uri_encode(path, safe="/") + (f"?{cq}" if cq else "")
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        hdrs.setdefault("host", f"{self.host}:{self.port}")
        return self.send(method, target, hdrs, body)

    # -- aws-chunked uploads
    def streaming_put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        mode: str = "signed",
        chunk_size: int = 64 * 1024,
        checksum_algorithm: str = "CRC32",
        tamper: str | None = None,
        http_chunked: bool = False,
    ) -> RawResponse:
        """PUT `data` with Content-Encoding aws-chunked.

        mode: 'signed' (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), 'signed-trailer'
        (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER), 'unsigned-trailer'
        (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
        tamper: None, 'chunk-signature' (one chunk's signature altered), 'chunk-data' (a byte of
        data altered after signing), 'trailer-checksum' (a wrong trailing checksum value),
        'trailer-signature' (trailer signature altered).
        http_chunked: send the aws-chunked body with `Transfer-Encoding: chunked` and no
        Content-Length (as streaming SDKs do) instead of a precomputed Content-Length.
        """
        payload_token = {
            "signed": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "signed-trailer": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "unsigned-trailer": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }[mode]
        signed_chunks = mode.startswith("signed")
        has_trailer = mode.endswith("trailer")
        chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
        trailer_name = f"x-amz-checksum-{checksum_algorithm.lower()}"
        trailer_value = checksum_b64(checksum_algorithm, data)
        if tamper == "trailer-checksum":
            trailer_value = wrong_checksum_b64(checksum_algorithm, data)

        def body_for(sigs: list[str] | None, trailer_sig: str | None) -> bytes:
            out = bytearray()
            for i, c in enumerate(chunks + [b""]):
                if signed_chunks:
                    out += f"{len(c):x};chunk-signature={sigs[i]}\r\n".encode()
                else:
                    out += f"{len(c):x}\r\n".encode()
                if c:
                    out += c + b"\r\n"
            if has_trailer:
                out += f"{trailer_name}:{trailer_value}\r\n".encode()
                if signed_chunks:
                    out += f"x-amz-trailer-signature:{trailer_sig}\r\n".encode()
                out += b"\r\n"
            else:
                out += b"\r\n"
            return bytes(out)

        headers = {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
        }
        if has_trailer:
            headers["x-amz-trailer"] = trailer_name
        # The body length depends only on the framing, so compute it with placeholder signatures.
        placeholder = ["0" * 64] * (len(chunks) + 1)
        if not http_chunked:
            headers["content-length"] = str(len(body_for(placeholder, "0" * 64)))
        req = self.sign("PUT", self.path_for(bucket, key), None, headers, payload_token)

        sigs: list[str] = []
        trailer_sig = None
        if signed_chunks:
            prev = req.signature
            for c in chunks + [b""]:
                sts = "\n".join(
                    [
                        "AWS4-HMAC-SHA256-PAYLOAD",
                        req.amz_date,
                        req.scope,
                        prev,
                        EMPTY_SHA256,
                        hashlib.sha256(c).hexdigest(),
                    ]
                )
                prev = hmac.new(req.key, sts.encode(), hashlib.sha256).hexdigest()
                sigs.append(prev)
            if has_trailer:
                canonical_trailer = f"{trailer_name}:{trailer_value}\n".encode()
                sts = "\n".join(
                    [
                        "AWS4-HMAC-SHA256-TRAILER",
                        req.amz_date,
                        req.scope,
                        prev,
                        hashlib.sha256(canonical_trailer).hexdigest(),
                    ]
                )
                trailer_sig = hmac.new(req.key, sts.encode(), hashlib.sha256).hexdigest()
            if tamper == "chunk-signature":
                i = min(1, len(sigs) - 1)
                sigs[i] = ("1" if sigs[i][0] != "1" else "2") + sigs[i][1:]
            if tamper == "trailer-signature" and trailer_sig:
                trailer_sig = ("1" if trailer_sig[0] != "1" else "2") + trailer_sig[1:]
        if tamper == "chunk-data":
            c0 = bytearray(chunks[0])
            c0[0] ^= 0xFF
            chunks[0] = bytes(c0)
        body = body_for(sigs, trailer_sig)
        if not http_chunked:
            assert len(body) == int(headers["content-length"])
            return self.send("PUT", req.target, req.headers, body)
        framed = bytearray()
        for i in range(0, len(body), 50_000):
            piece = body[i : i + 50_000]
            framed += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        framed += b"0\r\n\r\n"
        return self.send("PUT", req.target, dict(req.headers, **{"transfer-encoding": "chunked"}), bytes(framed))


def start_partial_put(server, bucket: str, key: str, total: int, first: bytes) -> socket.socket:
    """Open a signed PUT (UNSIGNED-PAYLOAD) announcing `total` body bytes, send only `first` of
    them, and return the still-open socket."""
    raw = RawS3(server.endpoint, server.access_key, server.secret_key)
    req = raw.sign("PUT", f"/{bucket}/{key}", headers={"content-length": str(total)}, payload_hash=UNSIGNED_PAYLOAD)
    sock = socket.create_connection((raw.host, raw.port), timeout=30)
    head = f"PUT {req.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
    sock.sendall(head.encode())
    try:
        sock.sendall(first)
    except OSError:
        pass  # the server may stop reading (or answer early); callers check the outcome
    return sock


def read_status_line(sock: socket.socket) -> str:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def error_of(exc) -> tuple[str, int]:
    """(error code, HTTP status) of a botocore ClientError."""
    resp = exc.response
    return resp.get("Error", {}).get("Code"), resp.get("ResponseMetadata", {}).get("HTTPStatusCode")


def which(name: str) -> str | None:
    return shutil.which(name)
