-- Paying accounts. The balance is a cache of the ledger's sum, kept in the
-- same transaction as every ledger entry; the CHECK makes an over-draft
-- impossible even under concurrent debits.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
    balance BIGINT NOT NULL CHECK (balance >= 0),
    created_at TIMESTAMP NOT NULL
);

-- API keys: only the SHA-256 of the secret part is kept.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    secret_sha256 TEXT NOT NULL,
    label TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_by_account ON api_keys (account_id);

-- Append-only: grants (+), charges (-) and refunds (+).
CREATE TABLE ledger (
    id BIGSERIAL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    entry_kind TEXT NOT NULL CHECK (entry_kind IN ('grant', 'charge', 'refund')),
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    job_id TEXT,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_by_account ON ledger (account_id, id);
-- A job is charged at most once and refunded at most once.
CREATE UNIQUE INDEX ledger_once_per_job ON ledger (job_id, entry_kind) WHERE job_id IS NOT NULL;

CREATE FUNCTION ledger_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

-- Job messages written in the same transaction as the charge and the job
-- row; the relay publishes them with confirms and then deletes them.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL,
    payload BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- A relay leases a row until this time; a relay that dies mid-publish
    -- leaves it to the next one once the lease runs out.
    available_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_by_availability ON outbox (available_at, id);

-- The first response to a POST sent with an Idempotency-Key, replayed for
-- retries of the same request.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    job_id TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
