DROP INDEX filings_by_accepted;
ALTER TABLE edgar_days DROP COLUMN missed_by_watch;
DROP TABLE watch_months;
DROP TABLE watch_filings;
ALTER TABLE filings DROP COLUMN first_seen_at;
