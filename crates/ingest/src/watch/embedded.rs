//! The watcher inside the one-process service (`insider-bulk`), turned on
//! with `EDGAR_WATCH=true`. Off by default: the first start needs no
//! network. Its metrics go on the service's `/metrics`.

use std::sync::Arc;

use insider_bulk_core::config::{invalid, parse_or, ConfigError};
use insider_bulk_core::db::{Database, DatabaseUrl};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::config::WatchConfig;
use super::lock::WatchLock;
use super::metrics::WatchMetrics;
use super::Watcher;
use crate::edgar::{EdgarClient, EdgarError, DEFAULT_BASE_URL};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("EDGAR_WATCH=true: {0}")]
    Client(#[from] EdgarError),
}

/// A watcher ready to run in its host.
pub struct Embedded {
    pub metrics: Arc<WatchMetrics>,
    client: EdgarClient,
    config: WatchConfig,
}

impl Embedded {
    /// `None` unless `EDGAR_WATCH=true`; then `EDGAR_USER_AGENT` is required.
    pub fn from_env() -> Result<Option<Self>, EmbedError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, EmbedError> {
        if !parse_or("EDGAR_WATCH", lookup("EDGAR_WATCH"), false)? {
            return Ok(None);
        }
        let user_agent = lookup("EDGAR_USER_AGENT").ok_or_else(|| {
            invalid("EDGAR_USER_AGENT", "", "required with EDGAR_WATCH=true (SEC asks for a declared one)")
        })?;
        let base = lookup("EDGAR_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let client = EdgarClient::builder(user_agent).base_url(base).build()?;
        Ok(Some(Embedded { metrics: Arc::new(WatchMetrics::new()), client, config: WatchConfig::from_lookup(lookup)? }))
    }

    /// Runs until `shutdown`, after taking the lock (PostgreSQL). An error
    /// stops the watcher only, loudly: the service goes on serving.
    pub fn spawn(self, db: Database, url: DatabaseUrl, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let lock = match WatchLock::acquire(&url, &mut shutdown).await {
                Ok(Some(lock)) => lock,
                Ok(None) => return,
                Err(e) => return tracing::error!(error = %e, "the EDGAR watcher could not start"),
            };
            let wake = Arc::new(Notify::new());
            let watcher = Watcher::new(db, self.client, self.config, self.metrics, wake);
            if let Err(e) = watcher.run(&lock, shutdown).await {
                tracing::error!(error = %e, "the EDGAR watcher stopped; the nightly reconciliation still loads the day");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_needs_a_user_agent_when_on() {
        assert!(Embedded::from_lookup(|_| None).unwrap().is_none());
        let on = |name: &str| (name == "EDGAR_WATCH").then(|| "true".to_owned());
        assert!(matches!(Embedded::from_lookup(on), Err(EmbedError::Config(_))));
        let with_agent = |name: &str| match name {
            "EDGAR_WATCH" => Some("true".to_owned()),
            "EDGAR_USER_AGENT" => Some("Example Corp data@example.com".to_owned()),
            _ => None,
        };
        assert!(Embedded::from_lookup(with_agent).unwrap().is_some());
    }
}
