"""scripts/bench-scale: the whole history in PostgreSQL and the per-month
costs at 0, 25, 50 and 100 % of it. See the wrapper for usage.

The volume curve (`planned`) follows the shape the issue states, checked
against SEC's own 2024 Q3 data set in shared/fixtures/edgar (Form 4
9,555-11,905 a month, Form 3 904-1,007, Form 5 11-39 outside February):

- Form 4: 13,000 a month in 2003-2007 (the Sarbanes-Oxley two-day rule
  brought everything onto Form 4), 12,000 in 2008-2012, then rising
  linearly to 17,000 by the current year; earnings-window months higher
  (Feb x1.35, Mar x1.2, May x1.15, Aug x1.1, Nov x1.1) and Jan x0.9,
  Dec x0.85.
- Form 3: 1,700 a month, Feb and Mar x1.2 (new officers with the proxy).
- Form 5: due 45 days after the fiscal year end: Feb 4,500, Jan 1,200,
  Mar 800, other months 150.
- Amendments: synth's shares, measured from the same data set (Form 3
  2.9 %, Form 4 1.6 %, Form 5 14 %), lower than the issue's "about 5 %".

At --scale 1 that is about 4.9 M filings and 44 M table rows. The probe
month (Form 4 2024-06) holds 11,000 filings at every scale, and four
Form 4 months at the end (2026-08 to 2026-11) are kept out of the history:
each checkpoint synthesizes one of them (12,000 filings) to time ingest at
that size. Real data's ingest rate at each size is SEC's 2024 Q3 tables
through `sec-dataset` into a file copy of the database (`real_import`).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ["BENCH_BIN"]
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# BENCH_QUICK=1 (CI, a few minutes on debug binaries): the last three
# months of history only, 300-filing probe and rate months, checkpoints
# at 0 and 100 %, one round against the empty twin, SEC's tables cut to
# their first 300 filings, wrk -d2s, a fresh database dropped at the end.
QUICK = os.environ.get("BENCH_QUICK") == "1"
PROBE = (4, "2024-06", 300 if QUICK else 11_000)
RATE_MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11"]
RATE_FILINGS = 300 if QUICK else 12_000
CHECKPOINTS = [0, 100] if QUICK else [0, 25, 50, 100]
FORMS = (3, 4, 5)
JOBS = 2_000 if QUICK else 184_690  # a year of jobs
WRK_SECONDS = 2 if QUICK else 10


def first_month():
    """2003-01; in quick mode, two months before the current one."""
    if not QUICK:
        return "2003-01"
    today = datetime.date.today()
    y, m = today.year, today.month - 2
    if m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def months():
    today = datetime.date.today()
    y, m = int(first_month()[:4]), int(first_month()[5:])
    while (y, m) <= (today.year, today.month):
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def planned(form, month):
    year, mon = int(month[:4]), int(month[5:])
    if form == 4:
        if year <= 2007:
            base = 13_000
        elif year <= 2012:
            base = 12_000
        else:
            base = 13_000 + 4_000 * (year - 2013) / max(1, datetime.date.today().year - 2013)
        season = {1: 0.9, 2: 1.35, 3: 1.2, 5: 1.15, 8: 1.1, 11: 1.1, 12: 0.85}.get(mon, 1.0)
        return base * season
    if form == 3:
        return 1_700 * (1.2 if mon in (2, 3) else 1.0)
    return {1: 1_200, 2: 4_500, 3: 800}.get(mon, 150)


def plan(scale):
    """(form, month, filings) in load order: month by month, as history grows."""
    out = []
    for month in months():
        for form in FORMS:
            if (form, month) == PROBE[:2] or (form == 4 and month in RATE_MONTHS):
                continue
            out.append((form, month, max(1, round(planned(form, month) * scale))))
    return out


def sh(*args, env=None, check=True, capture=True):
    full_env = dict(os.environ, **(env or {}))
    r = subprocess.run(args, env=full_env, text=True, capture_output=capture)
    if check and r.returncode != 0:
        sys.exit(f"bench-scale: {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def psql(db, sql):
    return sh("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", f"{PG}/{db}", "-c", sql).stdout.strip()


def timed(*args, env=None):
    started = time.monotonic()
    sh(*args, env=env)
    return time.monotonic() - started


class Bench:
    def __init__(self, args, twin=None):
        """`twin`: a second database beside this scale's (`empty`: the set-up
        alone, no history), with its own state."""
        self.scale = args.scale
        tag = "quick" if QUICK else re.sub(r"[^0-9]", "_", f"{args.scale:g}")
        self.db = f"insider_bulk_scale_{tag}" + (f"_{twin}" if twin else "")
        self.dir = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "bench-scale",
                                "quick" if QUICK else f"scale-{args.scale:g}")
        if twin:
            self.dir = os.path.join(self.dir, twin)
        os.makedirs(self.dir, exist_ok=True)
        self.state_path = os.path.join(self.dir, "state.json")
        if args.fresh or twin:
            sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", self.db)
            if os.path.exists(self.state_path):
                os.remove(self.state_path)
        self.state = {"loaded": {}, "checkpoints": {}, "setup": False}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                self.state = json.load(f)
        exists = psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{self.db}'") == "1"
        if not exists:
            if self.state["loaded"]:
                sys.exit(f"bench-scale: {self.db} is gone but {self.state_path} says months were loaded; use --fresh")
            sh("createdb", "-h", "127.0.0.1", "-U", "postgres", self.db)
        self.env = {
            "DATABASE_URL": f"{PG}/{self.db}",
            "INSIDER_BULK_DATA_DIR": os.path.join(self.dir, "data"),
            "BUNDLE_STORE_URL": os.path.join(self.dir, "bundles"),
            "QUEUE_URL": "amqp://guest:guest@127.0.0.1:5672/%2f",
            "QUEUE_NAME": f"insider-bulk-scale-{os.getpid()}",
            "RUST_LOG": "warn",
        }

    def save(self):
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(tmp, self.state_path)

    def ingest(self, *args):
        return timed(f"{BIN}/insider-bulk-ingest", *args, env=self.env)

    def synth(self, form, month, filings, seed):
        return self.ingest("synth", "--form", str(form), "--month", month, "--filings", str(filings), "--seed", str(seed))

    def filings(self):
        return int(psql(self.db, "SELECT coalesce(sum(filing_count), 0) FROM month_stats"))

    # -- set-up: the probe month, a year of jobs, twenty years of EDGAR days
    def setup(self):
        if self.state["setup"]:
            return
        form, month, n = PROBE
        self.synth(form, month, n, 1)
        # A year of jobs: 6 nightly a night and 500 paid a day, all finished,
        # over every month of coverage, as the product writes them (the
        # month's latest job kept in month_latest_jobs).
        psql(self.db, """
            INSERT INTO jobs (id, form_type, period_month, reason, state, attempts, queued_at, started_at,
                              finished_at, rows_done, rows_total, tokens_charged, account_id)
            SELECT 'scale-' || n,
                   (ARRAY[3, 4, 5])[1 + n % 3],
                   to_char(DATE '2003-01-01' + make_interval(months => (n * 7919) % 287), 'YYYY-MM'),
                   CASE WHEN n % 84 < 1 THEN 'nightly' ELSE 'on_demand' END,
                   'succeeded', 1,
                   TIMESTAMP '2025-11-01' + n * INTERVAL '172 milliseconds',
                   TIMESTAMP '2025-11-01' + n * INTERVAL '172 milliseconds' + INTERVAL '1 second',
                   TIMESTAMP '2025-11-01' + n * INTERVAL '172 milliseconds' + INTERVAL '3 seconds',
                   1000, 1000, CASE WHEN n % 84 < 1 THEN 0 ELSE 10 END, NULL
            FROM generate_series(1, JOBS) AS n;
            INSERT INTO month_latest_jobs (form_type, period_month, job_id)
            SELECT form_type, period_month, id FROM (
                SELECT form_type, period_month, id,
                       ROW_NUMBER() OVER (PARTITION BY form_type, period_month ORDER BY queued_at DESC, id DESC) AS nth
                FROM jobs) ranked WHERE nth = 1
            ON CONFLICT (form_type, period_month) DO UPDATE SET job_id = excluded.job_id;
            INSERT INTO edgar_days (day, filings_found, loaded, unchanged, failed, completed_at, failed_downloads)
            SELECT d, 900, 900, 0, 0, d + INTERVAL '1 day', 0
            FROM generate_series(DATE '2003-01-02', CURRENT_DATE - 1, INTERVAL '1 day') AS d
            WHERE extract(isodow FROM d) < 6
            ON CONFLICT (day) DO NOTHING;
        """.replace("JOBS", str(JOBS)))
        # edgar_days written by SQL rather than by the crawl: set the mark
        # as edgar_days::record_day would.
        psql(self.db, """
            UPDATE edgar_mark SET ingested_through = (
                SELECT MIN(d.day) FROM edgar_days d WHERE d.failed_downloads = 0
                  AND NOT EXISTS (SELECT 1 FROM edgar_days n WHERE n.day = d.day + 1 AND n.failed_downloads = 0))
        """)
        self.state["setup"] = True
        self.save()

    # -- loading the history, resumably
    def load_until(self, percent, work):
        total = sum(n for _, _, n in work)
        target = total * percent / 100
        done = sum(n for f, m, n in work if f"{f}:{m}" in self.state["loaded"])
        for i, (form, month, n) in enumerate(work):
            key = f"{form}:{month}"
            if key in self.state["loaded"]:
                continue
            if done >= target:
                break
            secs = self.synth(form, month, n, 1000 + i)
            self.state["loaded"][key] = {"filings": n, "seconds": secs}
            done += n
            self.save()
            if len(self.state["loaded"]) % 30 == 0:
                print(f"  loaded {done:,} of {total:,} planned filings ({100 * done / total:.0f} %)", flush=True)

    # -- one checkpoint's figures
    def measure(self, percent):
        key = str(percent)
        if key in self.state["checkpoints"]:
            return
        print(f"checkpoint {percent} %: measuring", flush=True)
        sh("psql", "-X", "-q", f"{PG}/{self.db}", "-c", "VACUUM ANALYZE")
        figures = {"filings": self.filings()}
        figures["db_bytes"] = int(psql(self.db, "SELECT pg_database_size(current_database())"))
        figures["table_rows"] = int(psql(self.db, "SELECT sum(row_count) FROM month_stats"))
        rate_month = RATE_MONTHS[CHECKPOINTS.index(percent)]
        secs = self.synth(4, rate_month, RATE_FILINGS, 77 + percent)
        figures["synth_filings_per_s"] = RATE_FILINGS / secs
        # Settled before the per-month costs: on a small database those
        # 12,000 filings start autovacuum, which would race the pack.
        sh("psql", "-X", "-q", f"{PG}/{self.db}", "-c", "VACUUM ANALYZE")
        form, month, _ = PROBE
        out = os.path.join(self.dir, "probe.tar.gz")
        figures["pack_seconds"] = min(
            timed(f"{BIN}/insider-bulk-packer", "pack", "--form", str(form), "--month", month, "--out", out, env=self.env)
            for _ in range(2))
        figures.update(self.with_services(percent))
        figures["plans"] = self.plans()
        figures.update(self.real_import())
        self.state["checkpoints"][key] = figures
        self.save()
        print(f"checkpoint {percent} %: {json.dumps({k: v for k, v in figures.items() if k != 'plans'})}", flush=True)

    def with_services(self, percent):
        """Figures that need a gateway and packers on the scale database."""
        figures = {}
        work = tempfile.mkdtemp(prefix="bench-scale-")
        procs = []

        def start(name, args, extra):
            procs.append(start_process(os.path.join(work, f"{name}.log"), args, dict(self.env, **extra)))

        try:
            key = create_account(self.env, f"scale-{percent}")
            limits = {"RATE_LIMIT_ENTERPRISE_REQUESTS": "1000000000/60",
                      "RATE_LIMIT_ENTERPRISE_GENERATE": "1000000000/60"}
            start("gateway", [f"{BIN}/insider-bulk-gateway", "serve"], {"GATEWAY_ADDR": "127.0.0.1:18190", **limits})
            # A second gateway that builds the index on every request: its
            # latency is the build time.
            start("gateway-nocache", [f"{BIN}/insider-bulk-gateway", "serve"],
                  {"GATEWAY_ADDR": "127.0.0.1:18191", "INDEX_CACHE_MILLIS": "0", **limits})
            for n in (1, 2):
                start(f"packer-{n}", [f"{BIN}/insider-bulk-packer", "run"], {"PACKER_METRICS_ADDR": f"127.0.0.1:1919{n}"})
            for port in (18190, 18191):
                wait_http(f"http://127.0.0.1:{port}/readyz")
            index = "/api/insiders/bulk/form-4/index.json?api_Token=" + key
            figures["index_build_ms"] = index_build_ms(f"http://127.0.0.1:18191{index}", 20)
            figures["index_wrk"] = wrk(f"http://127.0.0.1:18190{index}")
            figures["ingested_through_ms"] = query_ms(self.db, "SELECT ingested_through FROM edgar_mark WHERE id = 1")
            # generate -> index.json: change the probe month (one filing more),
            # then time POST generate to its new generated_at in the index.
            form, month, _ = PROBE
            self.synth(form, month, 1, 500 + percent)
            line = sh(sys.executable, "scripts/lib/bench/poll_generated.py", "http://127.0.0.1:18190", key, str(form),
                      month[:4], str(int(month[5:]))).stdout.strip()
            figures["generate_to_index_seconds"] = float(line.split()[0])
            figures["generate_to_index"] = line
            # The nightly run for one changed month: whatever else of the
            # last 12 months is unpacked is packed first, untimed; then one
            # filing more in the rate month, and nightly timed to its job
            # done.
            sh(f"{BIN}/insider-bulk-packer", "nightly", env=self.env)
            wait_no_open_jobs(self.db)
            self.synth(4, RATE_MONTHS[CHECKPOINTS.index(percent)], 1, 600 + percent)
            started = time.monotonic()
            out = sh(f"{BIN}/insider-bulk-packer", "nightly", env=self.env).stdout.strip()
            wait_no_open_jobs(self.db)
            figures["nightly_seconds"] = time.monotonic() - started
            figures["nightly"] = out
            figures["nightly_months"] = max(1, sum(line.startswith("enqueued form") for line in out.splitlines()))
            if percent == 100:
                figures.update(self.full_rebuild())
        finally:
            stop_processes(procs)
        return figures

    def real_import(self):
        """The ingest rate of real data at this size: SEC's 2024 Q3 tables
        (36,075 filings) through `sec-dataset`. A real load first removes
        every synthetic filing (sample and real data never mix), so it runs
        on a file copy of the database whose filings are relabelled as
        data-set rows; the copy is dropped after."""
        fixtures = os.path.join("..", "shared", "fixtures", "edgar")
        if not os.path.isdir(fixtures):
            sys.exit(f"bench-scale: {fixtures} is missing: the real-data import rate reads SEC's 2024 Q3 tables there")
        if QUICK:
            fixtures = quick_tables(fixtures, os.path.join(self.dir, "sec-tables"))
        clone = f"{self.db}_real"
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", clone)
        psql("postgres", f"CREATE DATABASE {clone} TEMPLATE {self.db} STRATEGY FILE_COPY")
        try:
            psql(clone, "UPDATE filings SET source = 'sec_dataset' WHERE source = 'synthetic'")
            psql(clone, "VACUUM ANALYZE filings")
            started = time.monotonic()
            out = sh(f"{BIN}/insider-bulk-ingest", "sec-dataset", fixtures,
                     env=dict(self.env, DATABASE_URL=f"{PG}/{clone}")).stdout
            took = time.monotonic() - started  # the whole command: reading the tables included
            loaded = int(re.search(r"filings loaded (\d+)", out).group(1))
        finally:
            sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", clone)
        return {"sec_dataset_filings_per_s": loaded / took, "sec_dataset": out.strip().splitlines()[-1]}

    def against_empty(self, args, rounds=1 if QUICK else 5):
        """The per-month costs on this database and on an empty twin (the
        set-up alone: the probe month, a year of jobs, the EDGAR days),
        measured in turns in one run. The checkpoints span hours of a
        shared host whose speed drifts by more than the 10 % asked of
        them, so the flatness figures are these: pack the probe month,
        build index.json, import SEC's real tables."""
        if "against_empty" in self.state:
            return
        print(f"against an empty database: {rounds} rounds in turns", flush=True)
        empty = Bench(args, twin="empty")
        empty.env["QUEUE_NAME"] += "-empty"
        empty.setup()
        # The month nightly packs on both: the last rate month, as the full
        # database holds it.
        nightly_month = RATE_MONTHS[-1]
        empty.synth(4, nightly_month, RATE_FILINGS, 77 + CHECKPOINTS[-1])
        pair = (("full", self), ("empty", empty))
        for _, b in pair:
            sh("psql", "-X", "-q", f"{PG}/{b.db}", "-c", "VACUUM ANALYZE")
        kinds = ("pack_seconds", "index_build_ms", "synth_filings_per_s", "nightly_seconds", "sec_dataset_filings_per_s")
        figures = {k: {"full": [], "empty": []} for k in kinds}
        # New filings on every run: a second run on the same database with
        # the first run's seeds would find its filings already there and
        # time "unchanged" (as the rerun of 2026-12-04 did).
        runs = self.state["turn_runs"] = self.state.get("turn_runs", 0) + 1
        self.save()
        fresh = 1_000_000 * runs
        procs = []
        try:
            index_urls = {}
            for n, (name, b) in enumerate(pair):
                key = create_account(b.env, f"against-empty-{name}")
                port = 18192 + n
                procs.append(start_process(os.path.join(b.dir, f"gateway-{name}.log"),
                                           [f"{BIN}/insider-bulk-gateway", "serve"],
                                           dict(b.env, GATEWAY_ADDR=f"127.0.0.1:{port}", INDEX_CACHE_MILLIS="0")))
                procs.append(start_process(os.path.join(b.dir, f"packer-{name}.log"),
                                           [f"{BIN}/insider-bulk-packer", "run"],
                                           dict(b.env, PACKER_METRICS_ADDR=f"127.0.0.1:{19194 + n}")))
                index_urls[name] = f"http://127.0.0.1:{port}/api/insiders/bulk/form-4/index.json?api_Token={key}"
            for url in index_urls.values():
                wait_http(url.split("/api/")[0] + "/readyz")
            # Whatever nightly finds waiting is packed first, untimed.
            for _, b in pair:
                sh(f"{BIN}/insider-bulk-packer", "nightly", env=b.env)
                wait_no_open_jobs(b.db)
            # The index lists every month either way; what it reads per
            # month is a month_stats, a bundles and a latest-job row, so the
            # twin gets the full database's: both indexes then read the
            # same months and serve the same bytes, and only the filings
            # (and the jobs table's other rows) differ.
            copy_index_rows(self.db, empty.db)
            form, month, _ = PROBE
            for r in range(rounds):
                for name, b in pair:
                    out = os.path.join(b.dir, "probe.tar.gz")
                    figures["pack_seconds"][name].append(timed(
                        f"{BIN}/insider-bulk-packer", "pack", "--form", str(form), "--month", month, "--out", out,
                        env=b.env))
                    figures["index_build_ms"][name].append(index_build_ms(index_urls[name], 10))
                    # 12,000 new filings into a month of 2003 (the same
                    # month and seed on both).
                    secs = b.synth(4, f"2003-{r + 2:02d}", RATE_FILINGS, fresh + 9000 + r)
                    figures["synth_filings_per_s"][name].append(RATE_FILINGS / secs)
                    # One filing more in the nightly month, then nightly
                    # until its one job is done.
                    b.synth(4, nightly_month, 1, fresh + 700 + r)
                    started = time.monotonic()
                    sh(f"{BIN}/insider-bulk-packer", "nightly", env=b.env)
                    wait_no_open_jobs(b.db)
                    figures["nightly_seconds"][name].append(time.monotonic() - started)
        finally:
            stop_processes(procs)
        for _ in range(1 if QUICK else 2):
            for name, b in pair:
                figures["sec_dataset_filings_per_s"][name].append(b.real_import()["sec_dataset_filings_per_s"])
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", empty.db)
        self.state["against_empty"] = figures
        self.save()

    def full_rebuild(self):
        """Every month of every form packed again by the two packers."""
        print("checkpoint 100 %: full rebuild with 2 packers", flush=True)
        # A rebuild packs every month even when unchanged: bundles are
        # reused when the fingerprint matches, so forget them first.
        psql(self.db, "UPDATE bundles SET source_fingerprint = 'rebuild'")
        last = max(months())
        started = time.monotonic()
        for form in FORMS:
            sh(f"{BIN}/insider-bulk-packer", "enqueue", "--form", str(form), "--from", first_month(), "--to", last,
               env=self.env)
        wait_no_open_jobs(self.db, timeout=3 * 3600)
        secs = time.monotonic() - started
        months_packed = int(psql(self.db, "SELECT count(*) FROM bundles"))
        return {"rebuild_seconds": secs, "rebuild_months": months_packed}

    def plans(self):
        """EXPLAIN ANALYZE of the queries a request or a job runs."""
        queries = {
            "latest_per_month (before: every job of the form)":
                "SELECT id FROM jobs WHERE form_type = 4 ORDER BY period_month, queued_at",
            "latest_per_month (after: month_latest_jobs)":
                "SELECT j.id FROM month_latest_jobs l JOIN jobs j ON j.id = l.job_id WHERE l.form_type = 4 "
                "ORDER BY l.period_month",
            "ingested_through (before: every complete day)":
                "SELECT day FROM edgar_days WHERE failed_downloads = 0 ORDER BY day",
            "ingested_through (after: edgar_mark)": "SELECT ingested_through FROM edgar_mark WHERE id = 1",
            "month_stats::list": "SELECT * FROM month_stats WHERE form_type = 4",
            "bundles::list": "SELECT * FROM bundles WHERE form_type = 4",
            "month_accessions (pack)":
                f"SELECT accession_number FROM filings WHERE form_type = {PROBE[0]} AND filing_month = '{PROBE[1]}' "
                "ORDER BY accession_number",
            "holds_real_filings (every load and synth)":
                "SELECT EXISTS (SELECT 1 FROM filings WHERE source <> 'synthetic')",
            "open jobs (sweeper, metrics)": "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')",
        }
        return {name: psql(self.db, f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}") for name, sql in queries.items()}


def quick_tables(fixtures, into):
    """SEC's tables cut to the first 300 submissions and their rows."""
    os.makedirs(into, exist_ok=True)
    names = [n for n in os.listdir(fixtures) if n.endswith(".tsv")]
    submission = next(n for n in names if n.endswith("SUBMISSION.tsv"))
    with open(os.path.join(fixtures, submission), encoding="utf-8") as f:
        lines = [next(f) for _ in range(301)]
    keep = {line.split("\t", 1)[0] for line in lines[1:]}
    with open(os.path.join(into, submission), "w", encoding="utf-8") as f:
        f.writelines(lines)
    for name in names:
        if name == submission:
            continue
        with open(os.path.join(fixtures, name), encoding="utf-8") as f, \
                open(os.path.join(into, name), "w", encoding="utf-8") as out:
            out.write(next(f))
            out.writelines(line for line in f if line.split("\t", 1)[0] in keep)
    return into


def copy_index_rows(source, target):
    """The rows an index build reads, from `source` into `target`: every
    month's month_stats and bundles row (the target's own kept), and the
    latest job of each month with its jobs row, so that both indexes list
    the same months with the same bytes and only the filings differ."""
    copies = (
        ("month_stats", "SELECT * FROM month_stats", "ON CONFLICT DO NOTHING"),
        ("bundles", "SELECT * FROM bundles", "ON CONFLICT DO NOTHING"),
        ("jobs", "SELECT j.* FROM jobs j JOIN month_latest_jobs l ON l.job_id = j.id", "ON CONFLICT DO NOTHING"),
        ("month_latest_jobs", "SELECT * FROM month_latest_jobs",
         "ON CONFLICT (form_type, period_month) DO UPDATE SET job_id = excluded.job_id"),
    )
    for table, select, conflict in copies:
        rows = subprocess.run(["psql", "-X", "-q", f"{PG}/{source}", "-c", f"\\copy ({select}) TO STDOUT"],
                              check=True, capture_output=True).stdout
        script = (f"CREATE TEMP TABLE incoming (LIKE {table});\nCOPY incoming FROM STDIN;\n").encode() + rows + \
            f"\\.\nINSERT INTO {table} SELECT * FROM incoming {conflict};\n".encode()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{PG}/{target}"], input=script, check=True,
                       capture_output=True)
    for db in (source, target):
        psql(db, "VACUUM ANALYZE month_stats, bundles, jobs, month_latest_jobs")


def create_account(env, name):
    """An enterprise account with tokens enough for any run; its API key."""
    out = sh(f"{BIN}/insider-bulk-gateway", "admin", "create-account", "--name", name,
             "--tier", "enterprise", "--tokens", "100000000", env=env).stdout
    return next(line.split()[-1] for line in out.splitlines() if "api key" in line)


def start_process(log_path, args, env):
    log = open(log_path, "w")
    return subprocess.Popen(args, env=dict(os.environ, **env), stdout=log, stderr=log)


def stop_processes(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def index_build_ms(url, requests):
    """Median latency of index.json from a gateway that caches nothing:
    the build time."""
    took = []
    for _ in range(requests):
        started = time.monotonic()
        with urllib.request.urlopen(url) as r:
            r.read()
        took.append(time.monotonic() - started)
    took.sort()
    return 1000 * took[len(took) // 2]


def wait_http(url):
    for _ in range(600):
        try:
            urllib.request.urlopen(url).read()
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"bench-scale: no answer from {url}")


def wait_no_open_jobs(db, timeout=600):
    started = time.monotonic()
    while psql(db, "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") != "0":
        if time.monotonic() - started > timeout:
            sys.exit("bench-scale: jobs still open after the timeout")
        time.sleep(0.2)


def wrk(url):
    out = sh("wrk", "-t1", "-c64", f"-d{WRK_SECONDS}s", "--latency", "-H", "Accept-Encoding: gzip", url).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return {"requests_per_s": rps, "p99": p99}


def query_ms(db, sql):
    out = psql(db, f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {sql}")
    return float(re.search(r"Execution Time: ([\d.]+) ms", out).group(1))


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def nightly(c):
    """Seconds of the nightly run per month it packed."""
    return c["nightly_seconds"] / c["nightly_months"]


def load_curve(bench):
    """(tenth, filings loaded before it, filings/s over it) from the load's
    own records, in load order."""
    work = plan(bench.scale)
    total = sum(n for *_, n in work)
    bins = [[0, 0.0] for _ in range(10)]
    done = PROBE[2]
    starts = [None] * 10
    for form, month, n in work:
        rec = bench.state["loaded"].get(f"{form}:{month}")
        if rec is None:
            continue
        tenth = min(9, int(10 * (done - PROBE[2]) / total))
        if starts[tenth] is None:
            starts[tenth] = done
        bins[tenth][0] += rec["filings"]
        bins[tenth][1] += rec["seconds"]
        done += n
    return [(t, starts[t], n / secs) for t, (n, secs) in enumerate(bins) if secs > 0]


def report(bench):
    cps = [bench.state["checkpoints"][str(p)] for p in CHECKPOINTS if str(p) in bench.state["checkpoints"]]
    if not cps:
        return
    base = cps[0]
    print(f"\n## At full history (scale {bench.scale:g})\n")
    print("| history | filings | DB size | bytes per M filings | synth filings/s | pack 11k month s | "
          "sec-dataset filings/s | generate to index.json s | nightly s a month | index.json build ms | "
          "index.json req/s, p99 (wrk -c64) | ingested_through ms |")
    print("|" + " --- |" * 12)
    for p, c in zip(CHECKPOINTS, cps):
        per_m = c["db_bytes"] / max(1, c["filings"]) * 1e6
        print(f"| {p} % | {c['filings']:,} | {c['db_bytes'] / 2**30:.2f} GiB | {per_m / 2**30:.2f} GiB | "
              f"{c['synth_filings_per_s']:,.0f} | {c['pack_seconds']:.2f} | {c['sec_dataset_filings_per_s']:,.0f} | "
              f"{c['generate_to_index_seconds']:.2f} | {nightly(c):.2f} | {c['index_build_ms']:.1f} | "
              f"{c['index_wrk']['requests_per_s']:,.0f}, {c['index_wrk']['p99']} | {c['ingested_through_ms']:.3f} |")
    last = cps[-1]
    print("\nAgainst the first checkpoint: " + ", ".join(
        f"{name} {last[k] / base[k]:.2f}x" for name, k in
        [("pack", "pack_seconds"), ("generate", "generate_to_index_seconds"), ("index build", "index_build_ms")]) +
        f", nightly a month {nightly(last) / nightly(base):.2f}x"
        f", synth rate {last['synth_filings_per_s'] / base['synth_filings_per_s']:.2f}x"
        f", sec-dataset rate {last['sec_dataset_filings_per_s'] / base['sec_dataset_filings_per_s']:.2f}x")
    if "against_empty" in bench.state:
        print(f"\nThe same costs on the full database and on an empty one, in turns in one run "
              f"(median of each; the flatness figures):\n")
        print("| cost | full history | empty database | full / empty |")
        print("| --- | --- | --- | --- |")
        for k, label in [("pack_seconds", "pack the 11,000-filing month, s"),
                         ("index_build_ms", "index.json build, ms"),
                         ("nightly_seconds", "nightly, one changed 12,000-filing month, s"),
                         ("synth_filings_per_s", "synth 12,000 filings, filings/s"),
                         ("sec_dataset_filings_per_s", "SEC's 2024 Q3 tables through sec-dataset, filings/s")]:
            full, empty = (median(bench.state["against_empty"][k][n]) for n in ("full", "empty"))
            print(f"| {label} | {full:,.2f} | {empty:,.2f} | {full / empty:.2f} |")
    print("\nsynth's rate while the history loaded, by tenth of the planned filings (filings before the tenth, "
          "filings/s over the tenth, each form-month one synth run):\n")
    print("| tenth | history filings before it | filings/s |")
    print("| --- | --- | --- |")
    for tenth, before, rate in load_curve(bench):
        print(f"| {tenth + 1} | {before:,} | {rate:,.0f} |")
    if "rebuild_seconds" in last:
        print(f"\nFull rebuild, 2 packers: {last['rebuild_months']} months in {last['rebuild_seconds']:.0f} s "
              f"({last['rebuild_seconds'] / max(1, last['rebuild_months']):.2f} s a month)")
    with open(os.path.join(bench.dir, "plans.txt"), "w") as f:
        for p, c in zip(CHECKPOINTS, cps):
            for name, plan_text in c["plans"].items():
                f.write(f"### {name}, at {p} % ({c['filings']:,} filings)\n\n```\n{plan_text}\n```\n\n")
    print(f"\nquery plans: {os.path.join(bench.dir, 'plans.txt')}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    sizes = [c["db_bytes"] / 2**30 for c in cps]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(sizes, [c["synth_filings_per_s"] for c in cps], "o-", label="synth filings/s")
    axes[0].plot(sizes, [c["sec_dataset_filings_per_s"] for c in cps], "^-", label="sec-dataset filings/s")
    axes[0].plot(sizes, [c["index_wrk"]["requests_per_s"] for c in cps], "s-", label="index.json requests/s")
    axes[0].set_xlabel("database size, GiB")
    axes[0].set_ylabel("per second")
    axes[0].legend()
    for k, label in [("pack_seconds", "pack 11k month"), ("generate_to_index_seconds", "generate to index.json")]:
        axes[1].plot(sizes, [c[k] for c in cps], "o-", label=label)
    axes[1].set_xlabel("database size, GiB")
    axes[1].set_ylabel("seconds")
    axes[1].set_ylim(bottom=0)
    axes[1].legend()
    fig.suptitle(f"Costs against database size (scripts/bench-scale --scale {bench.scale:g})")
    fig.tight_layout()
    os.makedirs("docs/bench", exist_ok=True)
    name = "docs/bench/scale.png" if bench.scale == 1 else f"{bench.dir}/scale.png"
    fig.savefig(name, dpi=90)
    print(f"plot: {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the real volumes (default 1)")
    parser.add_argument("--fresh", action="store_true", help="drop this scale's database and state first")
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        sys.exit("bench-scale: --scale must be in (0, 1]")
    if QUICK:
        args.fresh = True
    bench = Bench(args)
    work = plan(args.scale)
    print(f"bench-scale: {len(work)} form-months, {sum(n for *_, n in work):,} planned filings "
          f"into {bench.db}; state in {bench.state_path}", flush=True)
    try:
        bench.setup()
        for percent in CHECKPOINTS:
            bench.load_until(percent, work)
            bench.measure(percent)
        bench.against_empty(args)
    finally:
        delete_queues(bench.env["QUEUE_NAME"])
    report(bench)
    if QUICK:  # nothing to resume: the quick database goes
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", bench.db)


def delete_queues(name):
    """This run's queues (their names carry its pid) and their twins' and
    dead-letter queues: the database and state file stay for a resumed
    run, the broker's queues would only pile up."""
    for queue in (name, f"{name}.dead", f"{name}-empty", f"{name}-empty.dead"):
        subprocess.run(["rabbitmqctl", "-q", "delete_queue", queue], capture_output=True, check=False)


if __name__ == "__main__":
    main()
