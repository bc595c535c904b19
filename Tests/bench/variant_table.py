"""The table of a two-variant benchmark (off/on): for 1 KiB PUT and GET, the median throughput and server CPU per
request of each variant over its rounds, and their ratio.

    python3 Tests/bench/variant_table.py THROUGHPUT.jsonl FIELD OFF_LABEL ON_LABEL

FIELD names the key each JSON line carries its variant in ("off" or "on"), e.g. `logging` or `policy`.
"""

import json
import statistics
import sys

path, field, off_label, on_label = sys.argv[1:5]
runs = {}
for line in open(path):
    if line.startswith("{"):
        d = json.loads(line)
        runs.setdefault((d["scenario"], d[field]), []).append(d)
print(f"| scenario | metric | {off_label} (median) | {on_label} (median) | on / off | runs |")
print("|---|---|---|---|---|---|")
for scenario, name in [("put-small", "PUT"), ("get-small", "GET")]:
    off, on = runs.get((scenario, "off"), []), runs.get((scenario, "on"), [])
    for label, get in [(f"1 KiB {name} ops/s (c=8)", lambda d: d["ops_per_s"]),
                       (f"server CPU per {name} (µs)", lambda d: d["cpu_s"]["server"] / d["ops"] * 1e6)]:
        a, b = statistics.median(map(get, off)), statistics.median(map(get, on))
        print(f"| {scenario} | {label} | {a:,.1f} | {b:,.1f} | {b / a:.3f} | {len(off)} + {len(on)} |")
