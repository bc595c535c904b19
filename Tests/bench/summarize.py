#!/usr/bin/env python3
"""Prints a Markdown comparison of two run-suite.sh outputs (Lockstep first, the peer second)."""
import json
import sys


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                d = json.loads(line)
                runs[d["scenario"]] = d
    return runs


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


ROWS = [
    ("startup", "ready, median (ms)", ("ready_ms", "median"), "lower"),
    ("startup", "RSS after ready (MiB)", ("rss_after_ready_mib", "median"), "lower"),
    ("startup", "SIGTERM → exit, median (ms)", ("shutdown_ms_median",), "lower"),
    ("put-small", "1 KiB PUT ops/s (c=8)", ("ops_per_s",), "higher"),
    ("put-small", "1 KiB PUT p50 / p99 (ms)", (("latency_ms", "p50"), ("latency_ms", "p99")), None),
    ("get-small", "1 KiB GET ops/s (c=8)", ("ops_per_s",), "higher"),
    ("get-small", "1 KiB GET p50 / p99 (ms)", (("latency_ms", "p50"), ("latency_ms", "p99")), None),
    ("lock-cycle", "lock cycles/s", ("cycles_per_s",), "higher"),
    ("lock-cycle", "cycle p50 / p99 (ms)", (("cycle_ms", "p50"), ("cycle_ms", "p99")), None),
    ("lock-cycle", "stale reads", ("stale_reads",), None),
    ("lock-contention", "acquisitions/s", ("acquisitions_per_s",), "higher"),
    ("lock-contention", "mutual-exclusion violations", ("violations",), None),
    ("put-large", "PUT MB/s", ("mb_per_s",), "higher"),
    ("put-large", "server RSS peak (MiB)", ("server_rss_peak_mib",), "lower"),
    ("get-large", "GET MB/s", ("mb_per_s",), "higher"),
    ("get-large", "server RSS peak (MiB)", ("server_rss_peak_mib",), "lower"),
    ("list", "ListObjectsV2 1000-key page p50 (ms)", ("all", "page_ms", "p50"), "lower"),
    ("list", "all 10 pages (ms)", ("all", "total_ms_median"), "lower"),
    ("list", "prefix+delimiter page (ms)", ("prefix_delimiter", "total_ms_median"), "lower"),
    ("versions", "ListObjectVersions 100-version page p50 (ms)", ("list_versions", "page_ms", "p50"), "lower"),
    ("versions", "GET old version p50 (ms)", ("get_old_version_ms", "p50"), "lower"),
]


def value(run, spec):
    if run is None:
        return None
    if isinstance(spec[0], tuple):
        parts = [get(run, *s) for s in spec]
        return None if None in parts else " / ".join(f"{p:g}" for p in parts)
    return get(run, *spec)


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.1f}" if v >= 10 else f"{v:.2f}"
    return str(v)


def main():
    ours, peer = load(sys.argv[1]), load(sys.argv[2])
    print("| scenario | metric | Lockstep | moto | Lockstep's advantage |")
    print("|---|---|---|---|---|")
    for scenario, label, spec, better in ROWS:
        a, b = value(ours.get(scenario), spec), value(peer.get(scenario), spec)
        ratio = "–"
        if better and isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b:
            r = a / b if better == "higher" else b / a
            ratio = f"{r:,.1f}×"
        print(f"| {scenario} | {label} | {fmt(a)} | {fmt(b)} | {ratio} |")
    for name, runs in (("Lockstep", ours), ("moto", peer)):
        errors = {k: v.get("errors") for k, v in runs.items() if v.get("errors")}
        other = {k: get(v, "cpu_s", "other") for k, v in runs.items()}
        print(f"\n{name}: errors {errors or 'none'}; other CPU-s per scenario {other}")


if __name__ == "__main__":
    main()
