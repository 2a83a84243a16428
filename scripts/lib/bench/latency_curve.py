"""Latency percentiles under rising load: wrk at 1, 4, 16, 64 and 256
connections against each URL, one after the other, same run.

    python3 latency_curve.py OUT.json SECONDS LABEL=URL [LABEL=URL ...]
"""
import json
import re
import subprocess
import sys

CONNECTIONS = (1, 4, 16, 64, 256)
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def millis(text):
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url, connections, seconds):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
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
    point.setdefault("non_2xx", 0)
    return point


def main():
    out, seconds, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    curves = {}
    for target in targets:
        label, url = target.split("=", 1)
        curves[label] = [wrk(url, c, seconds) for c in CONNECTIONS]
        for p in curves[label]:
            print(f"{label}: {p['connections']} connections: {p['rps']:.0f} req/s, "
                  f"p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms, non-2xx {p['non_2xx']}")
    with open(out, "w") as f:
        json.dump(curves, f, indent=1)


if __name__ == "__main__":
    main()
