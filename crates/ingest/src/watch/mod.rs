//! `insider-bulk-ingest watch`: follows EDGAR's current-filings feed so that
//! a new Form 3, 4 or 5 is stored minutes after EDGAR lists it, and its
//! month is rebuilt soon after.
//!
//! Each second the watcher fetches the documents whose turn has come and
//! queues the regenerations that are due; every `EDGAR_WATCH_POLL_SECONDS`
//! it reads the feed. Its state is in the database (`db::watch`), written
//! before each step it leads to, so a watcher killed anywhere picks up
//! where it was. What it never manages to load, the nightly
//! `edgar --catch-up` loads and counts as missed.

pub mod config;
pub mod document;
pub mod embedded;
pub mod feed;
pub mod fetching;
pub mod http;
pub mod lock;
pub mod metrics;
pub mod poll;
pub mod published;
pub mod regenerate;

use std::sync::Arc;
use std::time::Duration;

use insider_bulk_core::db::{now_utc, watch as state, Database, DbError};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::edgar::EdgarClient;
use config::WatchConfig;
use lock::{LockError, WatchLock, LOCK_CHECK};
use metrics::WatchMetrics;
use poll::Poller;

/// How often due documents and regenerations are looked at.
const TICK: Duration = Duration::from_secs(1);
/// The longest wait between polls while EDGAR keeps throttling.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long settled accessions are remembered: far longer than the feed lists a filing.
const REMEMBER_DAYS: i64 = 7;

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Test hook for the kill tests: `INSIDER_BULK_WATCH_CRASH_AFTER=<point>`
/// aborts the process right after the write named (`seen`, `filing`,
/// `outbox`), as a SIGKILL would at that moment.
pub(crate) fn crash_point(point: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("INSIDER_BULK_WATCH_CRASH_AFTER").ok());
    if at.as_deref() == Some(point) {
        eprintln!("insider-bulk-ingest watch: crash point {point}: aborting");
        std::process::abort();
    }
}

pub struct Watcher {
    db: Database,
    client: EdgarClient,
    config: WatchConfig,
    metrics: Arc<WatchMetrics>,
    /// Rung after a regeneration commits, so this host's relay publishes it now.
    wake: Arc<Notify>,
}

impl Watcher {
    pub fn new(
        db: Database,
        client: EdgarClient,
        config: WatchConfig,
        metrics: Arc<WatchMetrics>,
        wake: Arc<Notify>,
    ) -> Self {
        Watcher { db, client, config, metrics, wake }
    }

    /// Follows the feed until `shutdown` turns true. A database error ends
    /// the run (the process exits and is restarted); EDGAR's errors never do.
    pub async fn run(self, lock: &WatchLock, mut shutdown: watch::Receiver<bool>) -> Result<(), WatchError> {
        self.metrics.leader.set(1);
        let mut poller = Poller::new(self.client.clone(), self.db.clone(), self.config.max_pages);
        let mut next_poll = Instant::now();
        let mut next_check = Instant::now() + LOCK_CHECK;
        let mut wait = self.config.poll_every;
        let mut throttled_seen = self.client.throttled();
        let mut published = published::Published::default();
        while !*shutdown.borrow() {
            if Instant::now() >= next_poll {
                let polled = poller.poll(&self.metrics).await;
                if polled.errors.is_empty() {
                    self.metrics.polls.with_label_values(&["ok"]).inc();
                    self.metrics.last_success.set(time::OffsetDateTime::now_utc().unix_timestamp());
                } else {
                    self.metrics.polls.with_label_values(&["error"]).inc();
                }
                wait = self.next_wait(wait, polled.throttled());
                next_poll = Instant::now() + wait;
                let before = now_utc() - time::Duration::days(REMEMBER_DAYS);
                self.db.run(move |conn| state::prune(conn, before)).await?;
                // The reconciliation is a CronJob: its count is exported from here.
                let missed = self.db.run(state::missed_total).await?;
                self.metrics.missed.inc_by((missed as u64).saturating_sub(self.metrics.missed.get()));
            }
            let round = fetching::fetch_due(&self.db, &self.client, &self.config, &self.metrics).await?;
            for (form, month, accepted, stored) in &round.stored {
                published.stored(*form, *month, *accepted, *stored);
            }
            if round.throttled {
                wait = self.next_wait(wait, true);
                next_poll = next_poll.max(Instant::now() + wait);
            }
            regenerate::settle_owed(&self.db, self.config.debounce, &self.metrics, &self.wake).await?;
            let pending = self.db.run(state::pending_count).await?;
            self.metrics.pending.set(pending);
            // The client's own retries on 429 count as throttling too.
            let throttled = self.client.throttled();
            self.metrics.throttled.inc_by(throttled - throttled_seen);
            throttled_seen = throttled;
            if Instant::now() >= next_check {
                published.check(&self.db, &self.metrics).await?;
                lock.check().await?;
                next_check = Instant::now() + LOCK_CHECK;
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
        self.metrics.leader.set(0);
        Ok(())
    }

    /// The poll interval, doubled while EDGAR throttles (up to five
    /// minutes) and back to normal once it does not.
    fn next_wait(&self, wait: Duration, throttled: bool) -> Duration {
        if !throttled {
            return self.config.poll_every;
        }
        let next = (wait * 2).min(MAX_BACKOFF).max(self.config.poll_every);
        tracing::warn!(next_poll_in = ?next, "EDGAR is throttling the watcher (HTTP 429 or 403): polling less often until it stops");
        next
    }
}
