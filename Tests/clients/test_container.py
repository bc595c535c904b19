"""The container image, compose file and health check, checked without Docker.

- The runtime stage installs a package for every shared library the binary loads (ldd, dpkg -S, apt's dependencies).
- The Dockerfile and docker-compose.yml agree on port, data volume, health check and credentials.
- The Dockerfile is the multi-stage build docs/operations.md describes.
- `GET /_lockstep/health` is open and answers {"status":"ok"}; `lockstep health` (the HEALTHCHECK) says so by exit code.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from s3helpers import ExternalServer, free_port, lockstep_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE = REPO_ROOT / "docker-compose.yml"
HEALTH_PATH = "/_lockstep/health"
STACK_TRACE = re.compile(r"Traceback|Stack dump|Fatal error|Current stack trace|#\d+ 0x[0-9a-f]+", re.I)


# ---------------------------------------------------------------------------
# Dockerfile parsing


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.all("ENV"):
            words = shlex.split(args)
            if words and "=" not in words[0]:  # legacy `ENV NAME value`
                values[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                name, _, value = word.partition("=")
                values[name] = value
        return values


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions per stage, continuation lines joined and comments dropped (as Docker does, also inside a RUN)."""
    logical, current = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


def exec_form(args: str) -> list[str]:
    """`["a", "b"]` or shell form `a b`."""
    return json.loads(args) if args.startswith("[") else shlex.split(args)


def apt_installed(stage: Stage) -> set[str]:
    """Every package named after `apt-get install` in the stage's RUN commands."""
    packages: set[str] = set()
    for run in stage.all("RUN"):
        lexer = shlex.shlex(run, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        for i, word in enumerate(words):
            if word in ("apt-get", "apt") and "install" in words[i + 1:i + 4]:
                for arg in words[words.index("install", i) + 1:]:
                    if arg in ("&&", "||", ";", "|", "&"):
                        break
                    if not arg.startswith("-"):
                        packages.add(arg.split("=")[0])
    return packages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    parsed = parse_dockerfile(DOCKERFILE.read_text())
    assert len(parsed) >= 2, "the Dockerfile is multi-stage"
    return parsed


@pytest.fixture(scope="module")
def runtime(stages) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def compose_env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: str(v) for k, v in env.items()}


@pytest.fixture
def binary() -> Path:
    path = lockstep_binary()
    if not path.exists():
        pytest.fail(f"lockstep binary not found at {path}", pytrace=False)
    return path


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTEP_")}
    env.update(extra)
    return env


def run_health(binary: Path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "health", *map(str, args)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=env or child_env())


# ---------------------------------------------------------------------------
# the runtime stage's shared libraries


def toolchain_library_dirs() -> list[Path]:
    """Where the Swift runtime libraries live; --static-swift-stdlib links these into the binary instead."""
    swiftc = shutil.which("swiftc")
    assert swiftc, "swiftc is needed to tell the Swift runtime's libraries from the system's"
    info = subprocess.run([swiftc, "-print-target-info"], capture_output=True, text=True, timeout=120)
    dirs = []
    if info.returncode == 0:
        dirs = [Path(p).resolve() for p in json.loads(info.stdout)["paths"]["runtimeLibraryPaths"]]
    # Older drivers: <toolchain>/usr/bin/swiftc next to <toolchain>/usr/lib/swift/linux.
    dirs.append((Path(swiftc).resolve().parent.parent / "lib" / "swift" / "linux").resolve())
    return dirs


def ldd_libraries(path: Path) -> list[Path]:
    """The shared libraries the binary loads, less the dynamic loader and the vDSO; unresolved ones fail here."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    libraries = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if "=>" not in line:
            continue  # linux-vdso.so.1 and the loader itself (/lib64/ld-linux-x86-64.so.2)
        name, _, rest = line.partition("=>")
        target = rest.strip().split(" (")[0].strip()
        assert target != "not found" and target, f"{name.strip()} is not found: {line}"
        libraries.append(Path(target))
    return libraries


def owning_package(library: Path) -> str:
    """The Debian package whose files include the library. On merged-/usr systems dpkg knows a file by one of
    /lib/… or /usr/lib/…, and by its real name rather than a symlink, so try each."""
    real = library.resolve()
    candidates = []
    for path in (library, real):
        text = str(path)
        candidates += [text, text[len("/usr"):] if text.startswith("/usr/") else "/usr" + text]
    for candidate in dict.fromkeys(candidates):
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, timeout=60)
        if out.returncode == 0:
            for line in out.stdout.splitlines():
                if line.startswith("diversion "):
                    continue
                owners, _, _ = line.partition(": ")
                return owners.split(",")[0].strip().split(":")[0]
    raise AssertionError(f"no Debian package owns {library} (tried {candidates})")


def dependency_closure(packages: set[str]) -> set[str]:
    """The packages apt installs for `packages`: each with its Depends and Pre-Depends, recursively, taking the first
    of alternatives. Read from this machine's dpkg database, which is the runtime stage's release (checked)."""
    closure, todo = set(), list(packages)
    while todo:
        package = todo.pop()
        if package in closure:
            continue
        closure.add(package)
        out = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", package],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            continue  # not installed here; its own dependencies are then not counted
        for group in out.stdout.split(","):
            first = group.split("|")[0].strip()
            if first:
                todo.append(first.split()[0].split(":")[0])
    return closure


def unprovided(needed: dict[str, list[Path]], install_list: set[str]) -> dict[str, list[Path]]:
    """{package: libraries} for the needed packages that installing `install_list` would not bring in."""
    provided = dependency_closure(install_list)
    return {package: libs for package, libs in needed.items() if package not in provided}


@pytest.fixture(scope="module")
def needed_packages() -> dict[str, list[Path]]:
    """{Debian package: libraries from it} for what the binary loads outside the Swift toolchain."""
    if not shutil.which("dpkg"):
        pytest.skip("needs dpkg to map libraries to Debian packages")
    release = dict(line.partition("=")[::2] for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    if release.get("VERSION_CODENAME", "").strip('"') != "bookworm":
        pytest.skip("package names are checked against Debian bookworm, the runtime stage's release")
    binary = lockstep_binary()
    if not binary.exists():
        pytest.fail(f"lockstep binary not found at {binary}", pytrace=False)
    toolchain = toolchain_library_dirs()
    needed: dict[str, list[Path]] = {}
    for library in ldd_libraries(binary):
        if any(library.resolve().is_relative_to(d) for d in toolchain):
            continue
        needed.setdefault(owning_package(library), []).append(library)
    return needed


def test_the_check_sees_the_system_libraries(needed_packages):
    # Guards against a filter that drops everything and so passes any Dockerfile.
    assert {"libxml2", "libssl3", "libsqlite3-0", "libc6"} <= set(needed_packages), needed_packages
    assert not any("swift" in str(lib) for libs in needed_packages.values() for lib in libs), needed_packages


def test_runtime_stage_provides_every_shared_library(needed_packages, runtime):
    install_list = apt_installed(runtime)
    missing = unprovided(needed_packages, install_list)
    assert not missing, (f"the runtime stage does not install {sorted(missing)} (libraries {missing}); "
                         f"it installs {sorted(install_list)}")


def test_a_missing_package_is_reported(needed_packages, runtime):
    install_list = apt_installed(runtime)
    assert "libsqlite3-0" in unprovided(needed_packages, install_list - {"libsqlite3-0"})
    without_xml = unprovided(needed_packages, install_list - {"libxml2"})
    assert "libxml2" in without_xml
    # libxml2 is what brings in ICU, so that goes missing with it.
    assert "libicu72" in without_xml


def test_runtime_stage_installs_only_runtime_packages(runtime):
    install_list = apt_installed(runtime)
    assert {"libxml2", "libssl3", "libsqlite3-0"} <= install_list
    assert not [p for p in install_list if p.endswith("-dev") or p in ("pkg-config", "curl", "ca-certificates")], install_list
    assert any("--no-install-recommends" in run for run in runtime.all("RUN") if "apt-get install" in run)


# ---------------------------------------------------------------------------
# the multi-stage structure


def test_multi_stage_build(stages, runtime):
    build = stages[0]
    assert re.fullmatch(r"swift:[\w.-]*bookworm", build.image), build.image
    assert build.name == "build"
    # The compiling command itself, not the --show-bin-path query that may follow it in the same RUN.
    builds = [step.strip() for run in build.all("RUN") for step in re.split(r"&&|;", run)
              if step.strip().startswith("swift build") and "--show-bin-path" not in step]
    assert len(builds) == 1, builds
    command = builds[0]
    for flag in ("-c release", "--static-swift-stdlib", "--product lockstep"):
        assert flag in command, f"{flag} missing from: {command}"
    assert runtime.image == "debian:bookworm-slim"
    assert any(args.startswith("--from=build ") for args in runtime.all("COPY")), "the runtime stage copies the binary"
    user = runtime.last("USER")
    assert user, "the runtime stage sets a USER"
    assert user.split(":")[0] not in ("root", "0"), user
    assert exec_form(runtime.last("ENTRYPOINT")) == ["lockstep"]
    assert exec_form(runtime.last("CMD")) == ["serve"]


# ---------------------------------------------------------------------------
# Dockerfile and compose agree


def dockerfile_port(runtime: Stage) -> int:
    exposed = [w.split("/")[0] for args in runtime.all("EXPOSE") for w in args.split()]
    assert len(exposed) == 1, exposed
    return int(exposed[0])


def dockerfile_volume(runtime: Stage) -> str:
    volumes = [v for args in runtime.all("VOLUME") for v in exec_form(args)]
    assert len(volumes) == 1, volumes
    return volumes[0]


def test_image_listens_on_every_interface_at_the_exposed_port_with_data_in_the_volume(runtime):
    env = runtime.env()
    assert env.get("LOCKSTEP_ADDRESS") == "0.0.0.0", env
    assert env.get("LOCKSTEP_PORT") == str(dockerfile_port(runtime)), env
    assert env.get("LOCKSTEP_DATA_DIR") == dockerfile_volume(runtime), env


def test_compose_port_matches_the_image(compose, runtime):
    port = dockerfile_port(runtime)
    service = compose["services"]["lockstep"]
    assert compose_env(service).get("LOCKSTEP_PORT", runtime.env()["LOCKSTEP_PORT"]) == str(port)
    published = []
    for entry in service["ports"]:
        if isinstance(entry, dict):
            published.append((entry.get("host_ip"), str(entry.get("published")), str(entry["target"])))
        else:
            parts = str(entry).split(":")
            assert len(parts) == 3, f"publish on an explicit address: {entry}"
            published.append((parts[0], parts[1], parts[2].split("/")[0]))
    assert published == [("127.0.0.1", "9000", str(port))]


def test_compose_keeps_data_in_a_named_volume_at_the_image_volume(compose, runtime):
    volume = dockerfile_volume(runtime)
    service = compose["services"]["lockstep"]
    assert compose_env(service).get("LOCKSTEP_DATA_DIR", runtime.env()["LOCKSTEP_DATA_DIR"]) == volume
    mounts = []
    for entry in service["volumes"]:
        if isinstance(entry, dict):
            mounts.append((entry["source"], entry["target"]))
        else:
            source, _, target = str(entry).partition(":")
            mounts.append((source, target.split(":")[0]))
    assert [target for _, target in mounts] == [volume], mounts
    source = mounts[0][0]
    assert "/" not in source and not source.startswith("."), f"a named volume, not a bind mount: {source}"
    assert source in (compose.get("volumes") or {}), f"{source} is declared under the top-level volumes"


def test_compose_builds_the_image_instead_of_compiling_at_start(compose):
    service = compose["services"]["lockstep"]
    assert "build" in service
    build = service["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (COMPOSE.parent / context / dockerfile).resolve() == DOCKERFILE.resolve()
    started = " ".join(map(str, service.get("command") or [])) if isinstance(service.get("command"), list) \
        else str(service.get("command") or "")
    started += " " + str(service.get("entrypoint") or "")
    assert not re.search(r"\bswift\b|apt-get", started), started
    assert not str(service.get("image", "")).startswith("swift:"), service.get("image")


def test_the_healthcheck_is_lockstep_health_on_the_exposed_port(runtime, compose):
    healthchecks = runtime.all("HEALTHCHECK")
    assert len(healthchecks) == 1, healthchecks
    _, _, command = healthchecks[0].partition("CMD")
    argv = exec_form(command.strip())
    assert argv[:2] == ["lockstep", "health"], argv
    if "--port" in argv:
        assert argv[argv.index("--port") + 1] == str(dockerfile_port(runtime))
    if "--address" in argv:
        assert argv[argv.index("--address") + 1] in ("127.0.0.1", "0.0.0.0", "localhost")
    compose_check = compose["services"]["lockstep"].get("healthcheck") or {}
    assert not compose_check.get("disable") and not compose_check.get("test"), "compose keeps the image's health check"


def test_aws_cli_service_creates_the_state_bucket_once_lockstep_is_healthy(compose, runtime):
    services = compose["services"]
    cli = [s for s in services.values() if str(s.get("image", "")).startswith("amazon/aws-cli")]
    assert len(cli) == 1, "one aws CLI service"
    cli = cli[0]
    assert cli["depends_on"]["lockstep"]["condition"] == "service_healthy"
    command = cli["command"] if isinstance(cli["command"], list) else shlex.split(cli["command"])
    if command and command[0] == "aws":
        command = command[1:]
    assert command[command.index("--endpoint-url") + 1] == f"http://lockstep:{dockerfile_port(runtime)}"
    assert "create-bucket" in command and command[command.index("--bucket") + 1] == "tfstate", command
    server, client = compose_env(services["lockstep"]), compose_env(cli)
    assert client["AWS_ACCESS_KEY_ID"] == server["LOCKSTEP_ACCESS_KEY"]
    assert client["AWS_SECRET_ACCESS_KEY"] == server["LOCKSTEP_SECRET_KEY"]
    # Credentials come from the environment, not written into the file alone.
    assert server["LOCKSTEP_ACCESS_KEY"].startswith("${LOCKSTEP_ACCESS_KEY")
    assert server["LOCKSTEP_SECRET_KEY"].startswith("${LOCKSTEP_SECRET_KEY")


def test_dockerignore_keeps_build_output_data_and_git_out():
    patterns = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    for required in (".build", ".build-*", ".lockstep", ".git"):
        assert required in patterns, f"{required} missing from .dockerignore"


# ---------------------------------------------------------------------------
# the health endpoint and `lockstep health`


def test_health_endpoint_is_open_and_nothing_else_is(lockstep):
    if isinstance(lockstep, ExternalServer):
        pytest.skip("/_lockstep/ is Lockstep's own; LOCKSTEP_ENDPOINT points at another server")
    endpoint = urllib.parse.urlsplit(lockstep.endpoint)
    for path, expected in [(HEALTH_PATH, 200), ("/_lockstep/ready", 200), ("/_lockstep/clock", 403)]:
        connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == expected, f"{path}: {response.status} {body!r}"
        if expected == 200:
            assert response.getheader("Content-Type") == "application/json"
            assert json.loads(body) == {"status": "ok"}


def test_health_command_against_a_running_server(spawn_lockstep, binary):
    server = spawn_lockstep()
    proc = run_health(binary, "--port", server.port)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"
    assert proc.stderr == ""


def test_health_command_against_a_closed_port(binary):
    port = free_port()
    proc = run_health(binary, "--port", port)
    assert proc.returncode == 1, f"exit code {proc.returncode}, stderr: {proc.stderr!r}"
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == f"lockstep: unhealthy: cannot reach a Lockstep server at 127.0.0.1:{port}: " \
                       "cannot connect: connection refused"


@pytest.mark.parametrize("args, env", [
    (["--port", "0"], {}),
    (["--port", "65536"], {}),
    ([], {"LOCKSTEP_PORT": "70000"}),
    ([], {"LOCKSTEP_PORT": "nine"}),
])
def test_health_command_usage_errors_exit_2_not_1(binary, args, env):
    # Exit 1 means unhealthy; a command line that names no port is the usage error every command exits 2 for.
    proc = run_health(binary, *args, env=child_env(**env))
    assert proc.returncode == 2, f"exit code {proc.returncode}, stderr: {proc.stderr!r}"
    assert proc.stdout == ""
    assert proc.stderr.startswith("lockstep: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "unhealthy" not in proc.stderr


class StubServer:
    """Answers every request with one fixed response and records what it was asked."""

    def __init__(self, status: int, body: bytes):
        self.requests: list[tuple[str, str, dict]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                stub.requests.append((self.command, self.path, dict(self.headers)))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_health_command_in_the_image_environment_asks_the_health_path(binary, runtime):
    # The HEALTHCHECK runs with the image's ENV: the wildcard listen address and LOCKSTEP_PORT, no flags.
    with StubServer(200, b'{"status":"ok"}\n') as stub:
        env = child_env(LOCKSTEP_ADDRESS=runtime.env()["LOCKSTEP_ADDRESS"], LOCKSTEP_PORT=str(stub.port))
        proc = run_health(binary, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"
    assert [(method, path) for method, path, _ in stub.requests] == [("GET", HEALTH_PATH)]
    assert "Authorization" not in stub.requests[0][2], "the health check sends no credentials"


@pytest.mark.parametrize("status,body,reason", [
    (503, b'{"status":"ok"}', "answered 503 to GET /_lockstep/health"),
    (200, b'{"status":"starting"}', 'answered 200 to GET /_lockstep/health without {"status":"ok"}'),
    (200, b"ok\n", 'answered 200 to GET /_lockstep/health without {"status":"ok"}'),
], ids=["503", "other-status", "not-json"])
def test_health_command_reports_an_unhealthy_answer_in_one_line(binary, status, body, reason):
    with StubServer(status, body) as stub:
        proc = run_health(binary, "--address", "127.0.0.1", "--port", stub.port)
    assert proc.returncode == 1, f"exit code {proc.returncode}, stdout {proc.stdout!r}"
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and not STACK_TRACE.search(proc.stderr), proc.stderr
    assert lines[0] == f"lockstep: unhealthy: 127.0.0.1:{stub.port} {reason}"
