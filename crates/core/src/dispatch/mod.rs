//! The dispatcher: the relay moves committed job messages from the outbox
//! to the queue, the sweeper queues again the open jobs that nothing would
//! move on its own, and the monitor samples the queue and the backlog.
//!
//! Any long-running process hosts one (the gateway, a packer's `run`, the
//! one-process service), so no role waits on another being up. Several
//! hosts at once are safe: the relay leases outbox rows, and a sweep is one
//! statement on PostgreSQL. Tests drive [`Dispatcher::relay_once`],
//! [`Dispatcher::sweep_once`] and [`Dispatcher::monitor_once`] step by step.

mod metrics;
mod monitor;
mod relay;
mod sweeper;

use std::sync::Arc;
use std::time::Duration;

use prometheus::Registry;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

pub use metrics::DispatchMetrics;
pub use monitor::QueueStats;
pub use sweeper::record_recovered;

use crate::db::Database;
use crate::queue::AnyQueue;

/// How often each duty runs; read once with the rest of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchConfig {
    /// `DISPATCH_RELAY_POLL_MILLIS`, default 250: how often a relay looks
    /// for messages that other hosts committed or left behind (a commit in
    /// this process wakes it at once).
    pub relay_poll: Duration,
    /// `DISPATCH_RELAY_LEASE_SECONDS`, default 30: how long a relay owns the
    /// messages it took before another host may take them.
    pub relay_lease: Duration,
    /// `DISPATCH_SWEEP_MILLIS`: how often the sweeper passes; by default a
    /// quarter of `JOB_REDISPATCH_SECONDS` between 250 ms and 5 s, so that
    /// recovery is bounded by the lease and the redispatch time.
    pub sweep_every: Duration,
    /// `DISPATCH_MONITOR_MILLIS`, default 2000: how often the queue and the
    /// backlog are sampled.
    pub monitor_every: Duration,
    /// `JOB_REDISPATCH_SECONDS`: when an undelivered message counts as lost.
    pub redispatch_after: Duration,
}

impl DispatchConfig {
    /// The sweep interval that `redispatch_after` calls for.
    pub fn default_sweep(redispatch_after: Duration) -> Duration {
        (redispatch_after / 4).clamp(Duration::from_millis(250), Duration::from_secs(5))
    }
}

/// One host's dispatcher. Cloning shares it.
#[derive(Clone)]
pub struct Dispatcher {
    db: Database,
    queue: AnyQueue,
    metrics: Arc<DispatchMetrics>,
    wake: Arc<Notify>,
    stats: Arc<QueueStats>,
    config: DispatchConfig,
}

impl Dispatcher {
    /// A dispatcher whose metrics go into `registry`.
    pub fn new(db: Database, queue: AnyQueue, registry: &Registry, config: DispatchConfig) -> Self {
        let metrics = Arc::new(DispatchMetrics::register(registry));
        Self::with_parts(db, queue, metrics, Default::default(), Default::default(), config)
    }

    /// A dispatcher on handles its host already shares: the metrics it
    /// exports, the wake its request handlers ring after a commit, and the
    /// queue statistics its estimates and readiness read.
    pub fn with_parts(
        db: Database,
        queue: AnyQueue,
        metrics: Arc<DispatchMetrics>,
        wake: Arc<Notify>,
        stats: Arc<QueueStats>,
        config: DispatchConfig,
    ) -> Self {
        Dispatcher { db, queue, metrics, wake, stats, config }
    }

    /// Rung after a job and its outbox row commit, so the relay publishes now.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn stats(&self) -> Arc<QueueStats> {
        self.stats.clone()
    }

    pub fn metrics(&self) -> Arc<DispatchMetrics> {
        self.metrics.clone()
    }

    /// Runs the relay, the sweeper and the monitor until `shutdown` turns true.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        tasks.spawn(self.clone().relay_loop(shutdown.clone()));
        tasks.spawn(self.clone().sweep_loop(shutdown.clone()));
        tasks.spawn(self.clone().monitor_loop(shutdown));
        tasks
    }
}

/// Sleeps `every`, or returns true at once when `shutdown` turns true.
async fn stopped_during(every: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(every) => false,
        _ = shutdown.wait_for(|stop| *stop) => true,
    }
}
