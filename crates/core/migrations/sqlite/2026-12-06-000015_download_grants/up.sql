-- A charged download call grants its caller the file's object until the
-- signed URL it answered with expires: a repeat call inside that time is
-- answered again, with the same expiry, and not charged a second time.
CREATE TABLE download_grants (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    object_key TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (account_id, object_key)
);
CREATE INDEX download_grants_by_expiry ON download_grants (expires_at);
