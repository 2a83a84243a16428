-- See the PostgreSQL migration.
ALTER TABLE bundles ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
CREATE INDEX filings_synthetic ON filings (accession_number) WHERE source = 'synthetic';
