-- The newest acceptance time per form, which the index publishes, read
-- from the end of an index rather than by scanning every filing.
CREATE INDEX filings_by_accepted ON filings (form_type, accepted_at);

-- When this store first held a filing: kept when the filing is replaced,
-- so that it measures how fresh the data was, not when it last changed.
-- NULL for filings stored before the column existed (the time is unknown;
-- loaded_at is when they were last replaced, not first seen).
ALTER TABLE filings ADD COLUMN first_seen_at TIMESTAMP;

-- What the current-filings watcher has seen in EDGAR's feed, one row per
-- accession: its dedupe set and its to-do list in one. A row is pending
-- until its document is stored (stored_at) or its retries are used up and
-- it is left to the nightly reconciliation (left_at). Written before the
-- document is fetched, so that a watcher killed mid-way picks it up again.
CREATE TABLE watch_filings (
    accession_number TEXT PRIMARY KEY,
    document_type TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    stored_at TIMESTAMP,
    left_at TIMESTAMP,
    -- Set by the nightly reconciliation when it loaded the filing itself.
    reconciled_at TIMESTAMP
);
CREATE INDEX watch_filings_pending ON watch_filings (next_attempt_at) WHERE stored_at IS NULL AND left_at IS NULL;
CREATE INDEX watch_filings_by_seen ON watch_filings (first_seen_at);

-- Months that the watcher stored a filing into and that still need a
-- regeneration queued after it (dirty_since), and when the last one was
-- queued (the debounce).
CREATE TABLE watch_months (
    form_type INTEGER NOT NULL,
    period_month TEXT NOT NULL,
    dirty_since TIMESTAMP,
    last_queued_at TIMESTAMP,
    PRIMARY KEY (form_type, period_month)
);

-- Filings the nightly reconciliation loaded that the watcher had not:
-- what the feed missed, counted per EDGAR day.
ALTER TABLE edgar_days ADD COLUMN missed_by_watch INTEGER NOT NULL DEFAULT 0;
