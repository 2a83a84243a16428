INSERT INTO superseded_objects (object_key, superseded_at)
SELECT jsonl_object_key, (now() AT TIME ZONE 'UTC') FROM bundles
ON CONFLICT DO NOTHING;
ALTER TABLE bundles DROP COLUMN jsonl_size_bytes;
ALTER TABLE bundles DROP COLUMN jsonl_sha256;
ALTER TABLE bundles DROP COLUMN jsonl_object_key;
