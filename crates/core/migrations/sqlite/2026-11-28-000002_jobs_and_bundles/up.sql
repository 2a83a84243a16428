-- Generation jobs: one row per accepted request (on demand, nightly, warm).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    form_type INTEGER NOT NULL CHECK (form_type IN (3, 4, 5)),
    period_month TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('on_demand', 'nightly', 'warm')),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    rows_done INTEGER NOT NULL DEFAULT 0,
    rows_total INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    tokens_charged INTEGER NOT NULL DEFAULT 0,
    account_id TEXT,
    trace_id TEXT,
    result_sha256 TEXT
);
-- At most one open job per month: later callers join it instead.
CREATE UNIQUE INDEX jobs_one_open_per_month ON jobs (form_type, period_month) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_by_state ON jobs (state, queued_at);

-- The index: one row per (form type, month) that has ever had a bundle.
-- status speaks of the file only: a month being regenerated stays
-- 'available' with its old file until the new one replaces it.
CREATE TABLE bundles (
    form_type INTEGER NOT NULL CHECK (form_type IN (3, 4, 5)),
    period_month TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('available', 'pending')),
    storage TEXT NOT NULL CHECK (storage IN ('hot', 'cold')),
    file_name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    filing_count INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    source_fingerprint TEXT NOT NULL,
    last_job_id TEXT,
    PRIMARY KEY (form_type, period_month)
);
