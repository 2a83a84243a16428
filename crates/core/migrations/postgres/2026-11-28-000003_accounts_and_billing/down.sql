DROP TABLE idempotency_keys;
DROP TABLE outbox;
DROP TABLE ledger;
DROP FUNCTION ledger_is_append_only();
DROP TABLE api_keys;
DROP TABLE accounts;
