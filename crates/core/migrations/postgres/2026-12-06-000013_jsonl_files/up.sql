-- Each month is published as two files: the tar.gz of SEC's tables and the
-- `.jsonl.gz` of its filings in the live per-filing record shape. Bundles
-- built before have no `.jsonl.gz`: their objects are superseded (kept
-- while a signed URL may still point at them) and the months show as
-- pending until the nightly run, a backfill or a first download rebuilds
-- them.
INSERT INTO superseded_objects (object_key, superseded_at)
SELECT object_key, (now() AT TIME ZONE 'UTC') FROM bundles
ON CONFLICT DO NOTHING;
DELETE FROM bundles;
ALTER TABLE bundles ADD COLUMN jsonl_object_key TEXT NOT NULL;
ALTER TABLE bundles ADD COLUMN jsonl_sha256 TEXT NOT NULL;
ALTER TABLE bundles ADD COLUMN jsonl_size_bytes BIGINT NOT NULL;
