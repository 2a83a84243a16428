"""The first download of a month, as a client of the live docs makes it:
the download call (which builds a pending month and waits for it, or
answers 202 with Retry-After), then the signed URL's bytes, checked
against the sha256, size and row_count the call named. Prints one JSON
line: the seconds of each step, the statuses seen and the line count.

    first_download.py BASE KEY FORM YEAR MONTH
"""
import gzip
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request

base, key, form, year, month = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
name = f"form-{form}-{year:04}-{month:02}.jsonl.gz"
call = urllib.request.Request(f"{base}/api/insiders/bulk/form-{form}/{year}/{name}", headers={"X-API-Key": key})
started = time.monotonic()
statuses = []
while True:
    try:
        with urllib.request.urlopen(call, timeout=120) as response:
            statuses.append(response.status)
            if response.status == 202:
                time.sleep(int(response.headers.get("Retry-After", "1")))
                continue
            answer = json.load(response)
            break
    except urllib.error.HTTPError as error:
        sys.exit(f"{name}: {error.code} {error.read()[:300]!r}")
    if time.monotonic() - started > 600:
        sys.exit(f"{name}: not ready after 600 s ({statuses})")
answered = time.monotonic()
with urllib.request.urlopen(answer["download_url"], timeout=120) as response:
    body = response.read()
fetched = time.monotonic()
if hashlib.sha256(body).hexdigest() != answer["sha256"] or len(body) != answer["size_bytes"]:
    sys.exit(f"{name}: the bytes do not match the answer's sha256 and size")
lines = gzip.decompress(body).count(b"\n")
if lines != answer["row_count"]:
    sys.exit(f"{name}: {lines} lines, the answer says {answer['row_count']}")
print(json.dumps({"call_s": round(answered - started, 3), "fetch_s": round(fetched - answered, 3),
                  "total_s": round(fetched - started, 3), "statuses": statuses, "lines": lines,
                  "bytes": len(body)}))
