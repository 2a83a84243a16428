"""POST generate for one month and time it until the index shows the new
generated_at for that job: what a client polling index.json sees."""
import json, sys, time, urllib.request

base, key, form, year, month = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def entry():
    with urllib.request.urlopen(f"{base}/api/insiders/bulk/form-{form}/index.json?api_Token={key}") as r:
        index = json.load(r)
    return next(e for e in index["months"] if e["year"] == year and e["month"] == month)

before = entry()["generated_at"]
started = time.monotonic()
request = urllib.request.Request(f"{base}/api/insiders/bulk/form-{form}/generate/{year}/{month}?api_Token={key}", method="POST")
with urllib.request.urlopen(request) as r:
    job = json.load(r)
while True:
    e = entry()
    if e["generated_at"] != before and e["job"] and e["job"]["id"] == job["job_id"]:
        break
    if time.monotonic() - started > 300:
        sys.exit(f"not regenerated within 300 s: {e}")
    time.sleep(0.02)
elapsed = time.monotonic() - started
print(f"{elapsed:.3f} s  (estimated_seconds {job['estimated_seconds']}, filings {e['filing_count']}, rows {e['row_count']}, {e['size']} bytes)")
