//! Configuration, read once from the environment into a typed struct. With
//! nothing set, every binary run from the same folder shares `./data/`.

use std::path::PathBuf;

use std::time::Duration;

use crate::bundle_store::StoreUrl;
use crate::db::{DatabaseUrl, DbError};
use crate::dispatch::DispatchConfig;

#[derive(Debug, Clone)]
pub struct Config {
    /// `INSIDER_BULK_DATA_DIR`, default `./data`: the SQLite file and the
    /// local bundle store live here.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` or a SQLite path; default
    /// `<data_dir>/insider-bulk.sqlite3`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_MAX_CONNECTIONS`, default 8.
    pub database_max_connections: usize,
    /// `QUEUE_URL`: `amqp://…` for RabbitMQ; unset means the in-process
    /// queue, which only the one-process `insider-bulk` binary can use.
    pub queue_url: Option<String>,
    /// `QUEUE_NAME`, default `insider-bulk.generate` (dead letters: `<name>.dead`).
    pub queue_name: String,
    /// `QUEUE_QUORUM`, default false: declare quorum queues.
    pub queue_quorum: bool,
    /// `BUNDLE_STORE_URL`: a directory, `file:///dir` or `s3://bucket/prefix`;
    /// default `<data_dir>/bundles`.
    pub bundle_store: StoreUrl,
    /// `PACKER_METRICS_ADDR`, default `127.0.0.1:9101`: `/metrics`, `/healthz`, `/readyz`.
    pub packer_metrics_addr: String,
    /// `PACKER_PREFETCH`, default 1: unacked jobs per packer.
    pub packer_prefetch: u16,
    /// `PACKER_MAX_ATTEMPTS`, default 5: attempts before a job is dead-lettered.
    pub packer_max_attempts: u32,
    /// `PACKER_GRACE_SECONDS`, default 120: how long SIGTERM waits for the current job.
    pub packer_grace_seconds: u64,
    /// `JOB_LEASE_SECONDS`, default 10: how long a packer's claim on a job
    /// lasts unless renewed. The packer renews it with a progress write every
    /// half of it, so a packer that dies (or loses its database) for longer
    /// than this gives its job back to the sweeper.
    pub job_lease: std::time::Duration,
    /// `JOB_REDISPATCH_SECONDS`, default 30: how long a published message may
    /// go undelivered before the sweeper takes it for lost (see
    /// `db::jobs::recovery` for the rule).
    pub job_redispatch_after: std::time::Duration,
    /// `DOWNLOAD_URL_SECONDS`, default 86400: how long a signed download URL
    /// works. Shared because the nightly purge must keep a superseded
    /// object for longer than a URL to it can be used.
    pub download_url_validity: std::time::Duration,
    /// The dispatcher's intervals (`DISPATCH_*`, see [`DispatchConfig`]).
    pub dispatch: DispatchConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?}: {reason}")]
    Invalid { name: &'static str, value: String, reason: String },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads through `lookup` so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(lookup("INSIDER_BULK_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match lookup("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(&url)?,
            None => DatabaseUrl::Sqlite(data_dir.join("insider-bulk.sqlite3")),
        };
        let database_max_connections = parse_or("DATABASE_MAX_CONNECTIONS", lookup("DATABASE_MAX_CONNECTIONS"), 8)?;
        let bundle_store = match lookup("BUNDLE_STORE_URL") {
            Some(url) => StoreUrl::parse(&url).map_err(|e| invalid("BUNDLE_STORE_URL", &url, e))?,
            None => StoreUrl::Local(data_dir.join("bundles")),
        };
        let job_redispatch_after = seconds("JOB_REDISPATCH_SECONDS", lookup("JOB_REDISPATCH_SECONDS"), 30)?;
        let millis = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            let raw = lookup(name);
            match parse_or(name, raw.clone(), default)? {
                0 => Err(invalid(name, raw.as_deref().unwrap_or("0"), "must be at least 1 millisecond")),
                n => Ok(Duration::from_millis(n)),
            }
        };
        let default_sweep = DispatchConfig::default_sweep(job_redispatch_after).as_millis() as u64;
        let dispatch = DispatchConfig {
            relay_poll: millis("DISPATCH_RELAY_POLL_MILLIS", 250)?,
            relay_lease: seconds("DISPATCH_RELAY_LEASE_SECONDS", lookup("DISPATCH_RELAY_LEASE_SECONDS"), 30)?,
            sweep_every: millis("DISPATCH_SWEEP_MILLIS", default_sweep)?,
            monitor_every: millis("DISPATCH_MONITOR_MILLIS", 2000)?,
            redispatch_after: job_redispatch_after,
        };
        Ok(Config {
            queue_url: lookup("QUEUE_URL"),
            queue_name: lookup("QUEUE_NAME").unwrap_or_else(|| "insider-bulk.generate".into()),
            queue_quorum: parse_or("QUEUE_QUORUM", lookup("QUEUE_QUORUM"), false)?,
            bundle_store,
            packer_metrics_addr: lookup("PACKER_METRICS_ADDR").unwrap_or_else(|| "127.0.0.1:9101".into()),
            packer_prefetch: parse_or("PACKER_PREFETCH", lookup("PACKER_PREFETCH"), 1)?,
            packer_max_attempts: parse_or("PACKER_MAX_ATTEMPTS", lookup("PACKER_MAX_ATTEMPTS"), 5)?,
            packer_grace_seconds: parse_or("PACKER_GRACE_SECONDS", lookup("PACKER_GRACE_SECONDS"), 120)?,
            job_lease: seconds("JOB_LEASE_SECONDS", lookup("JOB_LEASE_SECONDS"), 10)?,
            job_redispatch_after,
            dispatch,
            download_url_validity: std::time::Duration::from_secs(parse_or(
                "DOWNLOAD_URL_SECONDS",
                lookup("DOWNLOAD_URL_SECONDS"),
                86_400,
            )?),
            data_dir,
            database_url,
            database_max_connections,
        })
    }
}

/// A whole number of seconds, at least 1.
fn seconds(name: &'static str, value: Option<String>, default: u64) -> Result<std::time::Duration, ConfigError> {
    let raw = value.clone();
    match parse_or(name, value, default)? {
        0 => Err(invalid(name, raw.as_deref().unwrap_or("0"), "must be at least 1 second")),
        n => Ok(std::time::Duration::from_secs(n)),
    }
}

pub fn invalid(name: &'static str, value: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid { name, value: value.to_owned(), reason: reason.to_string() }
}

pub fn parse_or<T: std::str::FromStr>(name: &'static str, value: Option<String>, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match value {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { name, value: v, reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_sqlite_under_data() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.database_url, DatabaseUrl::Sqlite("./data/insider-bulk.sqlite3".into()));
        assert_eq!(config.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn reads_postgres_and_rejects_bad_numbers() {
        let config = Config::from_lookup(|n| (n == "DATABASE_URL").then(|| "postgres://x@h/db".into())).unwrap();
        assert!(config.database_url.is_postgres());
        let err = Config::from_lookup(|n| (n == "DATABASE_MAX_CONNECTIONS").then(|| "many".into())).unwrap_err();
        assert!(err.to_string().contains("DATABASE_MAX_CONNECTIONS"), "{err}");
    }

    #[test]
    fn dispatch_intervals_default_and_follow_the_redispatch_time() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.dispatch.relay_poll, Duration::from_millis(250));
        assert_eq!(config.dispatch.sweep_every, Duration::from_secs(5), "a quarter of 30 s, at most 5 s");
        let fast = Config::from_lookup(|n| (n == "JOB_REDISPATCH_SECONDS").then(|| "2".into())).unwrap();
        assert_eq!(fast.dispatch.sweep_every, Duration::from_millis(500));
        assert_eq!(fast.dispatch.redispatch_after, Duration::from_secs(2));
        let err = Config::from_lookup(|n| (n == "DISPATCH_MONITOR_MILLIS").then(|| "0".into())).unwrap_err();
        assert!(err.to_string().contains("DISPATCH_MONITOR_MILLIS"), "{err}");
    }

    #[test]
    fn download_url_validity_is_a_day_unless_set() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.download_url_validity, std::time::Duration::from_secs(86_400));
        let week = Config::from_lookup(|n| (n == "DOWNLOAD_URL_SECONDS").then(|| "604800".into())).unwrap();
        assert_eq!(week.download_url_validity, std::time::Duration::from_secs(604_800));
    }
}
