UPDATE edgar_days SET failed = failed + failed_downloads;
ALTER TABLE edgar_days DROP COLUMN failed_downloads;
