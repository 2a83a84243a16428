-- Reads on the request path that grew with the history (issue 14):
--
-- * index.json showed each month's latest job by reading every job of the
--   form, a year of nightly and paid jobs being hundreds of thousands of
--   rows. `jobs::insert` now keeps the latest job of each month here, in
--   the job's own transaction, so the index reads one row per month.
-- * ingested_through read every edgar_days row, once a minute and per
--   index build. `edgar_days::record_day` now keeps it in `edgar_mark`, in
--   the day's own transaction.
CREATE TABLE month_latest_jobs (
    form_type INTEGER NOT NULL,
    period_month TEXT NOT NULL,
    job_id TEXT NOT NULL,
    PRIMARY KEY (form_type, period_month)
);
INSERT INTO month_latest_jobs (form_type, period_month, job_id)
SELECT form_type, period_month, id FROM (
    SELECT form_type, period_month, id,
           ROW_NUMBER() OVER (PARTITION BY form_type, period_month ORDER BY queued_at DESC, id DESC) AS nth
    FROM jobs
) ranked WHERE nth = 1;

-- One row: the last day of the unbroken run of complete days from the first.
CREATE TABLE edgar_mark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ingested_through DATE
);
INSERT INTO edgar_mark (id, ingested_through)
SELECT 1, (
    SELECT MIN(d.day) FROM edgar_days d
    WHERE d.failed_downloads = 0
      AND NOT EXISTS (SELECT 1 FROM edgar_days n WHERE n.day = date(d.day, '+1 day') AND n.failed_downloads = 0)
);

-- `synth` asks whether any filing is real before it writes: with no index
-- that read every row of a large synthetic database. Only real rows are
-- indexed, under three keys that deduplicate, so it stays small.
CREATE INDEX filings_real ON filings (form_type) WHERE source <> 'synthetic';
