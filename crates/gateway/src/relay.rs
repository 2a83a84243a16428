//! Background duties of a gateway: the outbox relay, which moves committed
//! job messages to the queue with confirms, and the monitor, which samples
//! the queue and the backlog for estimates, readiness and metrics.

use std::sync::Arc;
use std::time::Duration;

use insider_bulk_core::db::{billing, edgar_days, jobs, maintenance, month_stats, now_utc, outbox, Database};
use insider_bulk_core::domain::JobState;
use insider_bulk_core::job_message::GenerateJob;
use insider_bulk_core::queue::{AnyQueue, JobQueue};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::state::QueueStats;

/// How long a relay owns leased messages before another may take them.
const LEASE: Duration = Duration::from_secs(30);
const BATCH: i64 = 256;
/// The poll that finds messages other replicas committed (or left behind).
const POLL: Duration = Duration::from_millis(250);

pub struct Relay {
    pub db: Database,
    pub queue: AnyQueue,
    pub metrics: Arc<Metrics>,
    pub wake: Arc<Notify>,
}

impl Relay {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
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
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Publishes one leased batch; returns how many the broker confirmed.
    pub async fn relay_once(&self) -> Result<usize, insider_bulk_core::db::DbError> {
        // Every message of a batch is stamped with one dispatch time, taken
        // before any is published: the batch goes out concurrently, so the
        // order of its confirms says nothing about the order in the queue,
        // and the sweeper's first-in first-out rule must not compare them.
        let dispatched_at = now_utc();
        let batch = self.db.run(|conn| outbox::lease(conn, BATCH, LEASE)).await?;
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

/// Samples the queue and the database every `every` into gauges and
/// [`QueueStats`], and forgets day-old idempotency keys.
pub async fn monitor(
    db: Database,
    queue: AnyQueue,
    metrics: Arc<Metrics>,
    stats: Arc<QueueStats>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last_purge = std::time::Instant::now();
    // Every EDGAR day recorded is read to find the unbroken run: once a
    // minute is often enough for a mark that moves once a day.
    let mut last_ingest_sample: Option<std::time::Instant> = None;
    loop {
        let sample_ingest = last_ingest_sample.is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        match (queue.depth().await, queue.dead_letter_depth().await, queue.consumers().await) {
            (Ok(depth), Ok(dead), Ok(consumers)) => {
                metrics.queue_depth.set(depth as i64);
                metrics.dead_letter_depth.set(dead as i64);
                metrics.live_packers.set(consumers as i64);
                stats.record(consumers, depth);
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => tracing::warn!(error = %e, "cannot sample the queue"),
        }
        let sampled = db
            .run(move |conn| {
                let (backlog, oldest) = outbox::backlog(conn)?;
                let nightly = maintenance::last_run(conn, maintenance::NIGHTLY)?;
                let ingested = if sample_ingest {
                    Some((edgar_days::ingested_through(conn)?, month_stats::changed_after_close(conn)?))
                } else {
                    None
                };
                Ok((backlog, oldest, jobs::oldest_open_queued_at(conn)?, nightly, ingested))
            })
            .await;
        if let Ok((backlog, oldest, oldest_job, nightly, ingested)) = sampled {
            metrics.nightly_last_run.set(nightly.map_or(0, |t| t.assume_utc().unix_timestamp()));
            // The day is complete at its end, midnight UTC after it.
            let day_end = |d: time::Date| d.next_day().map_or(0, |n| n.midnight().assume_utc().unix_timestamp());
            if let Some((ingested, closed_changes)) = ingested {
                metrics.ingested_through.set(ingested.map_or(0, day_end));
                for (form, changes) in closed_changes {
                    metrics.closed_month_changes.with_label_values(&[&form.to_string()]).set(changes);
                }
                last_ingest_sample = Some(std::time::Instant::now());
            }
            let age = |at: Option<time::PrimitiveDateTime>| at.map_or(0, |t| (now_utc() - t).whole_seconds().max(0));
            metrics.outbox_backlog.set(backlog);
            metrics.outbox_oldest_age_seconds.set(age(oldest));
            metrics.oldest_open_job_age_seconds.set(age(oldest_job));
        }
        if last_purge.elapsed() > Duration::from_secs(3600) {
            last_purge = std::time::Instant::now();
            let day = Duration::from_secs(86_400);
            if let Err(e) = db.run(move |conn| billing::purge_idempotency_keys(conn, day)).await {
                tracing::warn!(error = %e, "cannot purge old idempotency keys");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
