-- Each month is published as two files: the tar.gz of SEC's tables and the
-- `.jsonl.gz` of its filings in the live per-filing record shape. Bundles
-- built before have no `.jsonl.gz`: their objects are superseded (kept
-- while a signed URL may still point at them) and the months show as
-- pending until the nightly run, a backfill or a first download rebuilds
-- them. SQLite adds a NOT NULL column only with a default; the table is
-- empty here, and every insert names the columns.
INSERT OR IGNORE INTO superseded_objects (object_key, superseded_at)
SELECT object_key, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM bundles;
DELETE FROM bundles;
ALTER TABLE bundles ADD COLUMN jsonl_object_key TEXT NOT NULL DEFAULT '';
ALTER TABLE bundles ADD COLUMN jsonl_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE bundles ADD COLUMN jsonl_size_bytes INTEGER NOT NULL DEFAULT 0;
