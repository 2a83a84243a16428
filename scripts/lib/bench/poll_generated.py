"""POST generate for one month and time it until the index shows the new
generated_at for that job: what a client polling index.json sees."""
import json, sys, time, urllib.request

base, key, form, year, month = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def call(path, method="GET"):
    """The key in X-API-Key, never in the URL."""
    request = urllib.request.Request(f"{base}/api/insiders/bulk/{path}", method=method, headers={"X-API-Key": key})
    with urllib.request.urlopen(request) as r:
        return json.load(r)

def entry():
    index = call(f"form-{form}/index.json")
    return next(e for e in index["files"] if e["year"] == year and e["month"] == month)

before = entry()["generated_at"]
started = time.monotonic()
job = call(f"form-{form}/generate/{year}/{month}", method="POST")
while True:
    e = entry()
    if e["generated_at"] != before and e["job"] and e["job"]["id"] == job["job_id"]:
        break
    if time.monotonic() - started > 300:
        sys.exit(f"not regenerated within 300 s: {e}")
    time.sleep(0.02)
elapsed = time.monotonic() - started
view = call(f"jobs/{job['job_id']}")

def at(s):
    return time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) + int(s[20:23]) / 1000

wait = at(view["started_at"]) - at(view["queued_at"])
work = at(view["finished_at"]) - at(view["started_at"])
print(f"{elapsed:.3f} s  (queue {wait:.3f} s, packer {work:.3f} s, index poll the rest; estimated_seconds "
      f"{job['estimated_seconds']}; {e['filing_count']} filings, {e['row_count']} rows, {e['size_bytes']} bytes)")
