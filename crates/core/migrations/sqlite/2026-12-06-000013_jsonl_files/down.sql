INSERT OR IGNORE INTO superseded_objects (object_key, superseded_at)
SELECT jsonl_object_key, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM bundles;
ALTER TABLE bundles DROP COLUMN jsonl_size_bytes;
ALTER TABLE bundles DROP COLUMN jsonl_sha256;
ALTER TABLE bundles DROP COLUMN jsonl_object_key;
