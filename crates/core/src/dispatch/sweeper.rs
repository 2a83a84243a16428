//! The sweeper: each pass queues again, through the outbox, the open jobs
//! that nothing would move on its own: a running job whose lease ran out,
//! and a queued job whose message the queue lost (the rule is in
//! `db::jobs::recovery`). A pass is one statement on PostgreSQL, so hosts
//! sweeping at once recover each job once.

use tokio::sync::watch;

use super::{stopped_during, DispatchMetrics, Dispatcher};
use crate::db::jobs::recovery::{self, Recovered, StuckRules};
use crate::db::DbError;
use crate::queue::JobQueue;

/// At most this many jobs per pass; a larger pile takes several passes.
const BATCH: i64 = 500;

impl Dispatcher {
    pub(super) async fn sweep_loop(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.sweep_once().await {
                tracing::warn!(error = %e, "sweeper: cannot sweep the jobs");
            }
            if stopped_during(self.config.sweep_every, &mut shutdown).await {
                return;
            }
        }
    }

    /// One pass; returns the jobs it queued again.
    pub async fn sweep_once(&self) -> Result<Vec<Recovered>, DbError> {
        // Unknown (the broker is unreachable) counts as not idle: only the
        // first-in first-out evidence can then call a message lost.
        let queue_idle = self.queue.depth().await.is_ok_and(|depth| depth == 0);
        let rules = StuckRules::now(self.config.redispatch_after, queue_idle);
        let mut recovered = Vec::new();
        loop {
            let batch = self.db.run(move |conn| recovery::sweep(conn, &rules, BATCH)).await?;
            let full = batch.len() as i64 == BATCH;
            recovered.extend(batch);
            if !full {
                break;
            }
        }
        record_recovered(&self.metrics, &recovered);
        if !recovered.is_empty() {
            self.wake.notify_one();
        }
        Ok(recovered)
    }
}

/// Counts and logs recoveries, wherever they were made (a sweep, a
/// generate call that found its month's job stuck, a restart).
pub fn record_recovered(metrics: &DispatchMetrics, recovered: &[Recovered]) {
    for job in recovered {
        tracing::warn!(job = %job.job_id, reason = %job.reason, "recovered a stuck job: queued again");
        metrics.jobs_recovered.with_label_values(&[job.reason.as_str()]).inc();
    }
}
