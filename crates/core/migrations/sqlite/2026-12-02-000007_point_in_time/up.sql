-- When a filing became public and where it was read from (see the
-- PostgreSQL migration). The yes/no columns are INTEGER here already and
-- hold the flag codes as they are (0 and 1 are the digits).
ALTER TABLE filings RENAME COLUMN source TO loaded_from;
ALTER TABLE filings ADD COLUMN source TEXT NOT NULL DEFAULT 'edgar_submission'
    CHECK (source IN ('edgar_submission', 'edgar_document', 'sec_dataset', 'synthetic'));
UPDATE filings SET source = CASE
    WHEN is_synthetic THEN 'synthetic'
    WHEN lower(loaded_from) LIKE '%.xml' THEN 'edgar_document'
    ELSE 'edgar_submission' END;
ALTER TABLE filings DROP COLUMN is_synthetic;
ALTER TABLE filings ADD COLUMN accepted_at TEXT;
ALTER TABLE reporting_owners ADD COLUMN file_number TEXT;
