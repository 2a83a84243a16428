-- Filings of a day that could not be downloaded, apart from those that
-- failed to parse or store (`failed`). A day with failed downloads stays
-- recorded, so its counts can be seen, but does not count as ingested:
-- ingested_through stops before it until a run fetches them. A filing
-- that fails to parse fails the same way on every run, so it does not
-- hold the mark.
ALTER TABLE edgar_days ADD COLUMN failed_downloads INTEGER NOT NULL DEFAULT 0;

-- Rows written before this column counted both kinds in `failed`. The
-- failures still listed for the day tell them apart: the EDGAR client's
-- download errors read "gave up on …", "not found (HTTP 404): …" or
-- "HTTP <status> from …"; parse errors never do.
UPDATE edgar_days SET failed_downloads = (
    SELECT COUNT(*) FROM ingest_failures f
    WHERE f.edgar_day = edgar_days.day
      AND (f.reason LIKE 'gave up on %' OR f.reason LIKE 'not found (HTTP 404): %' OR f.reason LIKE 'HTTP % from %')
);
UPDATE edgar_days SET failed = GREATEST(failed - failed_downloads, 0);
