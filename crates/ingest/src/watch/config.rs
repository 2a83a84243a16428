//! The watcher's settings, read once from the environment.

use std::time::Duration;

use insider_bulk_core::config::{invalid, parse_or, ConfigError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// `EDGAR_WATCH_POLL_SECONDS`, default 15: how often the feed is read.
    pub poll_every: Duration,
    /// `REGENERATE_DEBOUNCE_SECONDS`, default 60: at most one regeneration
    /// of a month queued per this much time.
    pub debounce: Duration,
    /// `EDGAR_WATCH_RETRY_SECONDS`, default 5: the first wait before a
    /// document that is not there yet is asked for again; doubles each time.
    pub retry_base: Duration,
    /// `EDGAR_WATCH_DOCUMENT_ATTEMPTS`, default 8 (about 21 minutes of
    /// waits): then the filing is left to the nightly reconciliation.
    pub document_attempts: u32,
    /// `EDGAR_WATCH_MAX_PAGES`, default 10: pages of one form's feed read in
    /// one poll before the rest is left to the reconciliation.
    pub max_pages: usize,
    /// `EDGAR_WATCH_METRICS_ADDR`, default 127.0.0.1:9102: `/metrics`,
    /// `/healthz` and `/readyz`.
    pub metrics_addr: String,
}

impl WatchConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let at_least_one = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            let raw = lookup(name);
            match parse_or(name, raw.clone(), default)? {
                0 => Err(invalid(name, raw.as_deref().unwrap_or("0"), "must be at least 1")),
                n => Ok(n),
            }
        };
        Ok(WatchConfig {
            poll_every: Duration::from_secs(at_least_one("EDGAR_WATCH_POLL_SECONDS", 15)?),
            debounce: Duration::from_secs(at_least_one("REGENERATE_DEBOUNCE_SECONDS", 60)?),
            retry_base: Duration::from_secs(at_least_one("EDGAR_WATCH_RETRY_SECONDS", 5)?),
            document_attempts: at_least_one("EDGAR_WATCH_DOCUMENT_ATTEMPTS", 8)? as u32,
            max_pages: at_least_one("EDGAR_WATCH_MAX_PAGES", 10)? as usize,
            metrics_addr: lookup("EDGAR_WATCH_METRICS_ADDR").unwrap_or_else(|| "127.0.0.1:9102".into()),
        })
    }

    /// The wait after the `attempt`th failed fetch of a document.
    pub fn retry_after(&self, attempt: u32) -> Duration {
        self.retry_base.saturating_mul(1 << attempt.saturating_sub(1).min(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals() {
        let config = WatchConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config.poll_every, Duration::from_secs(15));
        assert_eq!(config.debounce, Duration::from_secs(60));
        assert_eq!(config.retry_after(1), Duration::from_secs(5));
        assert_eq!(config.retry_after(3), Duration::from_secs(20));
        let zero = WatchConfig::from_lookup(|n| (n == "EDGAR_WATCH_POLL_SECONDS").then(|| "0".into()));
        assert!(zero.is_err());
    }
}
