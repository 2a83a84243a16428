DROP INDEX filings_synthetic;
ALTER TABLE bundles DROP COLUMN synthetic;
