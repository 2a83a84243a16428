//! What every request handler shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use insider_bulk_core::db::Database;
use insider_bulk_core::store::BundleStore;
use tokio::sync::Notify;

use crate::auth::Authenticator;
use crate::config::GatewayConfig;
use crate::guard::PolicyFields;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::service::index::IndexCache;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub store: BundleStore,
    pub config: Arc<GatewayConfig>,
    /// How long a signed download URL works (`Config::download_url_validity`).
    pub signed_url_validity: std::time::Duration,
    /// How long a published message may go undelivered before it counts as
    /// lost (`Config::job_redispatch_after`).
    pub redispatch_after: std::time::Duration,
    pub auth: Authenticator,
    pub limiter: RateLimiter,
    /// Each tier's `RateLimit-Policy` field, made from `config.limits`.
    pub policy_fields: Arc<PolicyFields>,
    pub metrics: Arc<Metrics>,
    /// Other registries served on the same `/metrics` (the packer's, when
    /// both run in one process).
    pub extra_registries: Vec<prometheus::Registry>,
    /// Wakes the outbox relay right after a job commits.
    pub relay_wake: Arc<Notify>,
    pub queue_stats: Arc<QueueStats>,
    pub index_cache: Arc<IndexCache>,
}

/// The queue's shape as last sampled (every few seconds), so that a
/// request never waits on the broker for an estimate.
#[derive(Debug, Default)]
pub struct QueueStats {
    consumers: AtomicU64,
    /// Messages waiting; starts "unknown" (not idle) until sampled.
    depth: AtomicU64,
    /// Set once the first sample succeeded: `/readyz` waits for it.
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
