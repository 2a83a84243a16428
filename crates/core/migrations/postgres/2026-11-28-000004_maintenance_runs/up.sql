-- When each scheduled duty (the nightly run) last completed, so that a run
-- that found nothing to do still shows it ran.
CREATE TABLE maintenance_runs (
    name TEXT PRIMARY KEY,
    last_run_at TIMESTAMP NOT NULL
);
