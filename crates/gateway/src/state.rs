//! What every request handler shares.

use std::sync::Arc;

use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_core::db::Database;
use insider_bulk_core::dispatch::{DispatchConfig, QueueStats};
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
    /// Signs the download URLs of a local store.
    pub url_signer: crate::service::signed_url::UrlSigner,
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
    /// The intervals of the dispatcher this gateway hosts.
    pub dispatch: DispatchConfig,
    pub queue_stats: Arc<QueueStats>,
    pub index_cache: Arc<IndexCache>,
    /// index.json's charges, settled in batches.
    pub meter: Arc<crate::service::meter::Meter>,
}
