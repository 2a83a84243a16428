//! The outbox relay: moves committed job messages to the queue, with
//! publisher confirms, and deletes each once the broker has it.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Dispatcher;
use crate::db::{now_utc, outbox, DbError};
use crate::domain::JobState;
use crate::job_message::GenerateJob;
use crate::queue::JobQueue;

/// Messages leased per pass.
const BATCH: i64 = 256;

impl Dispatcher {
    pub(super) async fn relay_loop(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let published = match self.relay_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox relay: cannot read the outbox");
                    0
                }
            };
            if published > 0 {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.relay_poll) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Publishes one leased batch; returns how many the broker confirmed.
    pub async fn relay_once(&self) -> Result<usize, DbError> {
        // Every message of a batch is stamped with one dispatch time, taken
        // before any is published: the batch goes out concurrently, so the
        // order of its confirms says nothing about the order in the queue,
        // and the sweeper's first-in first-out rule must not compare them.
        let dispatched_at = now_utc();
        let lease = self.config.relay_lease;
        let batch = self.db.run(move |conn| outbox::lease(conn, BATCH, lease)).await?;
        if batch.is_empty() {
            return Ok(0);
        }
        let mut publishes = JoinSet::new();
        for (message, row) in batch {
            // Only a queued job needs its message: a running or finished one
            // (a packer got an earlier copy) would only be acked.
            let payload =
                row.filter(|job| job.state == JobState::Queued).map(|job| GenerateJob::from_row(&job).encode());
            let Some(payload) = payload else {
                let id = message.id;
                self.db.run(move |conn| outbox::delete(conn, id)).await?;
                continue;
            };
            let queue = self.queue.clone();
            publishes.spawn(async move {
                let result = queue.publish(payload).await;
                (message, result)
            });
        }
        let mut confirmed = 0;
        while let Some(done) = publishes.join_next().await {
            let Ok((message, result)) = done else { continue };
            let id = message.id;
            match result {
                Ok(()) => {
                    confirmed += 1;
                    self.metrics.outbox_published.inc();
                    let age = (now_utc() - message.created_at).as_seconds_f64().max(0.0);
                    self.metrics.relay_latency.observe(age);
                    let job_id = message.job_id.clone();
                    self.db.run(move |conn| outbox::confirmed(conn, id, &job_id, dispatched_at)).await?;
                }
                Err(e) => {
                    self.metrics.outbox_publish_failures.inc();
                    let retry_in = Duration::from_millis(500 * 2u64.pow(message.attempts.clamp(0, 6) as u32));
                    tracing::warn!(job = %message.job_id, error = %e, ?retry_in, "outbox relay: publish failed");
                    let error = e.to_string();
                    self.db.run(move |conn| outbox::record_failure(conn, id, &error, retry_in)).await?;
                }
            }
        }
        Ok(confirmed)
    }
}
