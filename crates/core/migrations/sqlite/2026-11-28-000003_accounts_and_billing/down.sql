DROP TABLE idempotency_keys;
DROP TABLE outbox;
DROP TABLE ledger;
DROP TABLE api_keys;
DROP TABLE accounts;
