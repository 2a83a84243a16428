#!/usr/bin/env python3
"""Writes a benchmark corpus of real EDGAR ownership documents: the fixture
filings copied N times, each copy with a fresh accession number (in its file
name and, for full submissions, in its SEC header), so that `load` sees N
distinct real-shaped filings. Usage: make-load-corpus.py FIXTURES OUT COUNT"""
import os
import re
import sys

fixtures, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sources = sorted(
    f for f in os.listdir(fixtures)
    if f.startswith("form") and re.search(r"\d{10}-\d{2}-\d{6}", f)
)
os.makedirs(out, exist_ok=True)
header = re.compile(rb"(ACCESSION NUMBER:\s*|<ACCESSION-NUMBER>)\d{10}-\d{2}-\d{6}")
for i in range(count):
    name = sources[i % len(sources)]
    data = open(os.path.join(fixtures, name), "rb").read()
    accession = f"88{i // 1000000:08d}-26-{i % 1000000:06d}"
    data = header.sub(lambda m: m.group(1) + accession.encode(), data)
    new_name = re.sub(r"\d{10}-\d{2}-\d{6}", accession, name)
    with open(os.path.join(out, new_name), "wb") as f:
        f.write(data)
print(f"wrote {count} filings from {len(sources)} fixtures to {out}")
