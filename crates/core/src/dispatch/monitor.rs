//! The monitor: samples the queue and the database into gauges and into
//! [`QueueStats`] (what a request reads for estimates and readiness, so it
//! never waits on the broker), and forgets day-old idempotency keys.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{stopped_during, Dispatcher};
use crate::db::{billing, edgar_days, jobs, maintenance, month_stats, now_utc, outbox};
use crate::queue::JobQueue;

/// `ingested_through` reads every EDGAR day recorded: once a minute is
/// often enough for a mark that moves once a day.
const INGEST_SAMPLE_EVERY: Duration = Duration::from_secs(60);
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The queue's shape as last sampled.
#[derive(Debug, Default)]
pub struct QueueStats {
    consumers: AtomicU64,
    /// Messages waiting; starts "unknown" (not idle) until sampled.
    depth: AtomicU64,
    /// Set once the first sample succeeded: readiness waits for it.
    reachable: AtomicU64,
}

impl QueueStats {
    pub fn consumers(&self) -> u64 {
        self.consumers.load(Ordering::Relaxed)
    }

    /// Whether the queue held no waiting message at the last sample.
    pub fn idle(&self) -> bool {
        self.reachable() && self.depth.load(Ordering::Relaxed) == 0
    }

    pub fn record(&self, consumers: u64, depth: u64) {
        self.consumers.store(consumers, Ordering::Relaxed);
        self.depth.store(depth, Ordering::Relaxed);
        self.reachable.store(1, Ordering::Relaxed);
    }

    pub fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed) == 1
    }
}

impl Dispatcher {
    pub(super) async fn monitor_loop(self, mut shutdown: watch::Receiver<bool>) {
        let mut last_ingest_sample: Option<Instant> = None;
        let mut last_purge = Instant::now();
        loop {
            let sample_ingest = last_ingest_sample.is_none_or(|at| at.elapsed() >= INGEST_SAMPLE_EVERY);
            if self.monitor_once(sample_ingest).await && sample_ingest {
                last_ingest_sample = Some(Instant::now());
            }
            if last_purge.elapsed() > PURGE_EVERY {
                last_purge = Instant::now();
                let day = Duration::from_secs(86_400);
                if let Err(e) = self.db.run(move |conn| billing::purge_idempotency_keys(conn, day)).await {
                    tracing::warn!(error = %e, "cannot purge old idempotency keys");
                }
                if let Err(e) = self.db.run(billing::purge_download_grants).await {
                    tracing::warn!(error = %e, "cannot purge expired download grants");
                }
            }
            if stopped_during(self.config.monitor_every, &mut shutdown).await {
                return;
            }
        }
    }

    /// One sample of the queue and the backlog; with `ingest`, also the
    /// EDGAR mark and the changes to closed months. False when the
    /// database could not be read.
    pub async fn monitor_once(&self, ingest: bool) -> bool {
        let m = &self.metrics;
        match (self.queue.depth().await, self.queue.dead_letter_depth().await, self.queue.consumers().await) {
            (Ok(depth), Ok(dead), Ok(consumers)) => {
                m.queue_depth.set(depth as i64);
                m.dead_letter_depth.set(dead as i64);
                m.live_packers.set(consumers as i64);
                self.stats.record(consumers, depth);
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => tracing::warn!(error = %e, "cannot sample the queue"),
        }
        let sampled = self
            .db
            .run(move |conn| {
                let (backlog, oldest) = outbox::backlog(conn)?;
                let nightly = maintenance::last_run(conn, maintenance::NIGHTLY)?;
                let ingested = if ingest {
                    Some((edgar_days::ingested_through(conn)?, month_stats::changed_after_close(conn)?))
                } else {
                    None
                };
                Ok((backlog, oldest, jobs::oldest_open_queued_at(conn)?, nightly, ingested))
            })
            .await;
        let Ok((backlog, oldest, oldest_job, nightly, ingested)) = sampled else { return false };
        m.nightly_last_run.set(nightly.map_or(0, |t| t.assume_utc().unix_timestamp()));
        // The day is complete at its end, midnight UTC after it.
        let day_end = |d: time::Date| d.next_day().map_or(0, |n| n.midnight().assume_utc().unix_timestamp());
        if let Some((ingested, closed_changes)) = ingested {
            m.ingested_through.set(ingested.map_or(0, day_end));
            for (form, changes) in closed_changes {
                m.closed_month_changes.with_label_values(&[&form.to_string()]).set(changes);
            }
        }
        let age = |at: Option<time::PrimitiveDateTime>| at.map_or(0, |t| (now_utc() - t).whole_seconds().max(0));
        m.outbox_backlog.set(backlog);
        m.outbox_oldest_age_seconds.set(age(oldest));
        m.oldest_open_job_age_seconds.set(age(oldest_job));
        true
    }
}
