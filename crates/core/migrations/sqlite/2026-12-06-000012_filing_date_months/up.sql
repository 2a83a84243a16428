-- A month is the month EDGAR filed a filing in (its filing date, US
-- Eastern), as SEC's data sets, sec-api and the live service partition;
-- no longer the month of its period of report. A filing whose filing date
-- is unknown (a bare XML document) is in no month until a dated copy of it
-- arrives.
ALTER TABLE filings ADD COLUMN filing_month TEXT;
UPDATE filings SET filing_month = substr(filing_date, 1, 7) WHERE filing_date IS NOT NULL;
DROP INDEX filings_by_month;
ALTER TABLE filings DROP COLUMN period_month;
CREATE INDEX filings_by_month ON filings (form_type, filing_month, accession_number);

-- Amendment links are recomputed per (issuer, period, form) group whenever
-- one of its filings is stored, so that they do not depend on load order;
-- `superseded_by_accession_number` names a filing's latest amendment filed
-- by the end of the filing's own month.
ALTER TABLE filings ADD COLUMN superseded_by_accession_number TEXT;
UPDATE filings SET amends_accession_number = NULL WHERE amends_accession_number IS NOT NULL;
DROP INDEX filings_unlinked_amendments;
CREATE INDEX filings_amendments ON filings (issuer_cik, period_of_report) WHERE document_type LIKE '%/A';

-- Changes to a month after its last day: corrections of its own filings.
ALTER TABLE month_stats ADD COLUMN changed_after_close BIGINT NOT NULL DEFAULT 0;
-- Every month's statistics are recounted under the new rule (links and
-- fingerprints need SHA-256, so the recount is Rust's: see
-- `db::data_migrations`, which runs right after these statements).
DELETE FROM month_stats;

-- The bundles were built under the old rule: their objects are superseded
-- (kept while a signed URL may still point at them) and the months show as
-- pending until the nightly run or a backfill rebuilds them. Finished jobs
-- no longer describe a month; open ones will build under the new rule.
INSERT OR IGNORE INTO superseded_objects (object_key, superseded_at)
SELECT object_key, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM bundles;
DELETE FROM bundles;
DELETE FROM month_latest_jobs
WHERE job_id NOT IN (SELECT id FROM jobs WHERE state IN ('queued', 'running'));

-- Data migrations still to run after the schema's: each row is done, and
-- deleted, in one transaction by the first process that starts.
CREATE TABLE pending_data_migrations (
    name TEXT PRIMARY KEY
);
INSERT INTO pending_data_migrations (name) VALUES ('filing_date_months');
