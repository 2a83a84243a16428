"""Latency percentiles under rising load: wrk at 1, 4, 16, 64 and 256
connections against each URL, in the same run. Each concurrency is run
against every URL in turn, ROUNDS times (default 3), before the next
concurrency, so that a noisy spell of the shared host falls on both
servers rather than on one curve; each point is the median of its rounds,
and every round is printed. wrk gets the same arguments for every URL.

    ROUNDS=3 python3 latency_curve.py OUT.json SECONDS LABEL=URL [LABEL=URL ...]

CURVE_CONNECTIONS (say "16", or "1 4 16") replaces the five points (the
quick mode of scripts/bench-gateway runs one).

Prints one line per round, then (with two or more URLs) a Markdown table
of the first against the second: requests/s and p99 side by side.
"""
import json
import os
import re
import statistics
import subprocess
import sys

CONNECTIONS = (1, 4, 16, 64, 256)
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
WRK_THREADS = 1


def millis(text):
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url, connections, seconds):
    out = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", "Accept-Encoding: gzip", url], check=True, capture_output=True, text=True).stdout
    point = {"connections": connections}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] in ("50%", "90%", "99%"):
            point["p" + fields[0].rstrip("%")] = millis(fields[1])
        elif line.startswith("Requests/sec:"):
            point["rps"] = float(fields[1])
        elif "Non-2xx" in line:
            point["non_2xx"] = int(fields[-1])
        elif line.strip().startswith("Socket errors:"):
            point["socket_errors"] = line.split(":", 1)[1].strip()
    point.setdefault("non_2xx", 0)
    return point


def median_point(rounds):
    """The median of each figure over a point's rounds, and the rounds themselves."""
    point = {"connections": rounds[0]["connections"], "rounds": rounds}
    for key in ("rps", "p50", "p90", "p99"):
        point[key] = statistics.median(r[key] for r in rounds)
    point["non_2xx"] = sum(r["non_2xx"] for r in rounds)
    return point


def main():
    out, seconds, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    rounds = int(os.environ.get("ROUNDS", "3"))
    connections_list = tuple(int(c) for c in os.environ.get("CURVE_CONNECTIONS", "").split()) or CONNECTIONS
    targets = [t.split("=", 1) for t in targets]
    curves = {label: [] for label, _ in targets}
    for connections in connections_list:
        taken = {label: [] for label, _ in targets}
        for n in range(1, rounds + 1):
            for label, url in targets:
                p = wrk(url, connections, seconds)
                taken[label].append(p)
                errors = f", socket errors {p['socket_errors']}" if "socket_errors" in p else ""
                print(f"    {label}: {connections} connections, round {n}: {p['rps']:.0f} req/s, "
                      f"p50 {p['p50']:.2f} ms, p90 {p['p90']:.2f} ms, p99 {p['p99']:.2f} ms, "
                      f"non-2xx {p['non_2xx']}{errors}", flush=True)
        for label, _ in targets:
            curves[label].append(median_point(taken[label]))
    with open(out, "w") as f:
        json.dump(curves, f, indent=1)
    if len(targets) < 2:
        return
    (ours, _), (ref, _) = targets[0], targets[1]
    print()
    print(f"Each figure is the median of {rounds} rounds.")
    print()
    print(f"| connections | {ours} req/s | {ref} req/s | req/s ratio | {ours} p99 ms | {ref} p99 ms "
          f"| p99 ratio | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for a, b in zip(curves[ours], curves[ref]):
        print(f"| {a['connections']} | {a['rps']:.0f} | {b['rps']:.0f} | {a['rps'] / b['rps']:.2f} "
              f"| {a['p99']:.2f} | {b['p99']:.2f} | {a['p99'] / b['p99']:.2f} | {a['non_2xx']} / {b['non_2xx']} |")
    print()
    print(f"target: {ours} req/s >= {ref}'s (ratio >= 1.00) and p99 <= 2x {ref}'s (p99 ratio <= 2.00) at each row")


if __name__ == "__main__":
    main()
