//! The sweeper: every gateway replica runs one. Each pass queues again,
//! through the outbox, the open jobs that nothing would move on its own: a
//! running job whose lease ran out, and a queued job whose message the
//! queue lost (the rule is in `insider_bulk_core::db::jobs::recovery`).
//! A pass is one statement on PostgreSQL, so replicas sweeping at once
//! recover each job once.

use std::sync::Arc;
use std::time::Duration;

use insider_bulk_core::db::jobs::recovery::{self, Recovered, StuckRules};
use insider_bulk_core::db::{Database, DbError};
use insider_bulk_core::queue::{AnyQueue, JobQueue};
use tokio::sync::{watch, Notify};

use crate::metrics::Metrics;

/// At most this many jobs per pass; a larger pile takes several passes.
const BATCH: i64 = 500;

pub struct Sweeper {
    pub db: Database,
    pub queue: AnyQueue,
    pub metrics: Arc<Metrics>,
    pub relay_wake: Arc<Notify>,
    pub redispatch_after: Duration,
}

impl Sweeper {
    /// A pass every few seconds: often enough that recovery is bounded by
    /// the lease and `redispatch_after`, not by the sweep.
    pub fn interval(&self) -> Duration {
        (self.redispatch_after / 4).clamp(Duration::from_millis(250), Duration::from_secs(5))
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let every = self.interval();
        loop {
            if let Err(e) = self.sweep_once().await {
                tracing::warn!(error = %e, "sweeper: cannot sweep the jobs");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// One pass; returns the jobs it queued again.
    pub async fn sweep_once(&self) -> Result<Vec<Recovered>, DbError> {
        // Unknown (the broker is unreachable) counts as not idle: only the
        // first-in first-out evidence can then call a message lost.
        let queue_idle = self.queue.depth().await.is_ok_and(|depth| depth == 0);
        let rules = StuckRules::now(self.redispatch_after, queue_idle);
        let mut recovered = Vec::new();
        loop {
            let batch = self.db.run(move |conn| recovery::sweep(conn, &rules, BATCH)).await?;
            let full = batch.len() as i64 == BATCH;
            recovered.extend(batch);
            if !full {
                break;
            }
        }
        record(&self.metrics, &recovered);
        if !recovered.is_empty() {
            self.relay_wake.notify_one();
        }
        Ok(recovered)
    }
}

/// Counts and logs recoveries, wherever they were made.
pub fn record(metrics: &Metrics, recovered: &[Recovered]) {
    for job in recovered {
        tracing::warn!(job = %job.job_id, reason = %job.reason, "recovered a stuck job: queued again");
        metrics.jobs_recovered.with_label_values(&[job.reason.as_str()]).inc();
    }
}
