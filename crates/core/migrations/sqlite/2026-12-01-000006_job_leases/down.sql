DROP TABLE job_followers;
DROP INDEX outbox_by_job;
ALTER TABLE outbox ADD COLUMN payload BLOB NOT NULL DEFAULT x'';
DROP INDEX jobs_by_dispatch;
DROP INDEX jobs_queued_by_dispatch;
DROP INDEX jobs_running_by_lease;
ALTER TABLE jobs DROP COLUMN dispatched_at;
ALTER TABLE jobs DROP COLUMN lease_expires_at;
ALTER TABLE jobs DROP COLUMN lease_owner;
