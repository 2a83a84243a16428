DROP TABLE pending_data_migrations;
ALTER TABLE month_stats DROP COLUMN changed_after_close;
DELETE FROM month_stats;
DROP INDEX filings_amendments;
CREATE INDEX filings_unlinked_amendments ON filings (issuer_cik)
    WHERE amends_accession_number IS NULL AND document_type LIKE '%/A';
ALTER TABLE filings DROP COLUMN superseded_by_accession_number;
ALTER TABLE filings ADD COLUMN period_month TEXT;
UPDATE filings SET period_month = to_char(period_of_report, 'YYYY-MM');
ALTER TABLE filings ALTER COLUMN period_month SET NOT NULL;
DROP INDEX filings_by_month;
ALTER TABLE filings DROP COLUMN filing_month;
CREATE INDEX filings_by_month ON filings (form_type, period_month, accession_number);
