DROP TABLE pending_data_migrations;
ALTER TABLE month_stats DROP COLUMN changed_after_close;
DELETE FROM month_stats;
DROP INDEX filings_amendments;
CREATE INDEX filings_unlinked_amendments ON filings (issuer_cik)
    WHERE amends_accession_number IS NULL AND document_type LIKE '%/A';
ALTER TABLE filings DROP COLUMN superseded_by_accession_number;
-- SQLite cannot add a NOT NULL column without a default; the old release
-- wrote every row's value, and reads it the same.
ALTER TABLE filings ADD COLUMN period_month TEXT NOT NULL DEFAULT '';
UPDATE filings SET period_month = substr(period_of_report, 1, 7);
DROP INDEX filings_by_month;
ALTER TABLE filings DROP COLUMN filing_month;
CREATE INDEX filings_by_month ON filings (form_type, period_month, accession_number);
