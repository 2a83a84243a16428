-- Leases and dispatch times, so that no open job can outlive its message.
-- A packer runs a job only while it holds the lease (owner + expiry) and
-- renews it with each progress write; the sweeper puts a job whose lease
-- ran out back to queued. dispatched_at is when the relay's last publish
-- of the job's message was confirmed: a queued job with no outbox row and
-- an old dispatch is one whose message the queue lost.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
ALTER TABLE jobs ADD COLUMN dispatched_at TEXT;
-- Jobs queued before this migration were published straight to the queue
-- by some paths (nightly, enqueue); treat them as dispatched when queued,
-- so that the sweeper can tell whether their message is still there.
UPDATE jobs SET dispatched_at = queued_at WHERE state = 'queued';
CREATE INDEX jobs_running_by_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_queued_by_dispatch ON jobs (dispatched_at) WHERE state = 'queued';
CREATE INDEX jobs_by_dispatch ON jobs (dispatched_at);

-- The relay builds each message from its job row, so the outbox holds only
-- which job to publish: a recovered job is re-published by inserting a row.
ALTER TABLE outbox DROP COLUMN payload;
CREATE INDEX outbox_by_job ON outbox (job_id);

-- Accounts that joined another account's open job: they may see it.
CREATE TABLE job_followers (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (job_id, account_id)
);
