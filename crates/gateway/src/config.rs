//! The gateway's own settings, read once at start-up beside the shared
//! [`Config`](insider_bulk_core::config::Config).

use std::time::Duration;

use insider_bulk_core::config::{invalid, parse_or, ConfigError};
use insider_bulk_core::domain::Tier;

use crate::auth::jwt::JwtSettings;
use crate::rate_limit::Policy;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `GATEWAY_ADDR`, default `127.0.0.1:8080`.
    pub bind_addr: String,
    /// `GATEWAY_PUBLIC_URL`: the base of the `url` fields in the index, e.g.
    /// `https://bulk.example.com`; default: the scheme and host of each request.
    pub public_url: Option<String>,
    /// `GATEWAY_WORKERS`, default the number of CPUs.
    pub workers: usize,
    /// `COST_GENERATE`, default 25 tokens.
    pub generate_cost: i64,
    /// `RATE_LIMIT_REDIS_URL`: shared counters for several replicas; unset
    /// means per-process counters (right for the one-process service).
    pub rate_limit_redis_url: Option<String>,
    pub limits: TierLimits,
    pub jwt: JwtSettings,
    /// `AUTH_CACHE_SECONDS`, default 5: how long a verified API key is
    /// trusted without asking the database, so also how long a revoked key
    /// may still work.
    pub auth_cache: Duration,
    /// `INDEX_CACHE_MILLIS`, default 250: how stale an index may be served.
    pub index_cache: Duration,
    /// `ESTIMATE_ROWS_PER_SECOND`, default 60000: one packer's measured
    /// throughput, for `estimated_seconds`.
    pub estimate_rows_per_second: f64,
}

/// The two budgets of each tier: all requests, and generate calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierLimits {
    pub free: (Policy, Policy),
    pub pro: (Policy, Policy),
    pub enterprise: (Policy, Policy),
}

impl TierLimits {
    pub fn for_tier(&self, tier: Tier) -> &(Policy, Policy) {
        match tier {
            Tier::Free => &self.free,
            Tier::Pro => &self.pro,
            Tier::Enterprise => &self.enterprise,
        }
    }
}

impl GatewayConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let tier = |vars: [&'static str; 2], defaults: [&str; 2]| -> Result<(Policy, Policy), ConfigError> {
            Ok((policy(&lookup, vars[0], "requests", defaults[0])?, policy(&lookup, vars[1], "generate", defaults[1])?))
        };
        let limits = TierLimits {
            free: tier(["RATE_LIMIT_FREE_REQUESTS", "RATE_LIMIT_FREE_GENERATE"], ["60/60", "5/3600"])?,
            pro: tier(["RATE_LIMIT_PRO_REQUESTS", "RATE_LIMIT_PRO_GENERATE"], ["600/60", "60/3600"])?,
            enterprise: tier(
                ["RATE_LIMIT_ENTERPRISE_REQUESTS", "RATE_LIMIT_ENTERPRISE_GENERATE"],
                ["6000/60", "600/3600"],
            )?,
        };
        let jwt = JwtSettings {
            hs256_secret: lookup("JWT_HS256_SECRET"),
            rs256_public_key_pem: lookup("JWT_RS256_PUBLIC_KEY"),
            issuer: lookup("JWT_ISSUER").unwrap_or_else(|| "insider-bulk".into()),
            audience: lookup("JWT_AUDIENCE").unwrap_or_else(|| "insider-bulk-api".into()),
            leeway_seconds: parse_or("JWT_LEEWAY_SECONDS", lookup("JWT_LEEWAY_SECONDS"), 30)?,
        };
        let generate_cost: i64 = parse_or("COST_GENERATE", lookup("COST_GENERATE"), 25)?;
        if generate_cost < 0 {
            return Err(invalid("COST_GENERATE", &generate_cost.to_string(), "must not be negative"));
        }
        Ok(GatewayConfig {
            bind_addr: lookup("GATEWAY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url: lookup("GATEWAY_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            workers: parse_or("GATEWAY_WORKERS", lookup("GATEWAY_WORKERS"), cpus)?.max(1),
            generate_cost,
            rate_limit_redis_url: lookup("RATE_LIMIT_REDIS_URL"),
            limits,
            jwt,
            auth_cache: Duration::from_secs(parse_or("AUTH_CACHE_SECONDS", lookup("AUTH_CACHE_SECONDS"), 5)?),
            index_cache: Duration::from_millis(parse_or("INDEX_CACHE_MILLIS", lookup("INDEX_CACHE_MILLIS"), 250)?),
            estimate_rows_per_second: parse_or(
                "ESTIMATE_ROWS_PER_SECOND",
                lookup("ESTIMATE_ROWS_PER_SECOND"),
                60_000.0,
            )?,
        })
    }
}

/// Reads a policy written `QUOTA/WINDOW_SECONDS`, e.g. `600/60`.
fn policy(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    name: &str,
    default: &str,
) -> Result<Policy, ConfigError> {
    let text = lookup(var).unwrap_or_else(|| default.to_owned());
    let parsed = text.split_once('/').and_then(|(q, w)| Some((q.trim().parse().ok()?, w.trim().parse().ok()?)));
    match parsed {
        Some((quota, window_seconds)) if window_seconds > 0 => {
            Ok(Policy { name: name.to_owned(), quota, window_seconds })
        }
        _ => Err(invalid(var, &text, "expected QUOTA/WINDOW_SECONDS, e.g. 600/60")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let config = GatewayConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config.generate_cost, 25);
        assert_eq!(config.limits.pro.0, Policy { name: "requests".into(), quota: 600, window_seconds: 60 });
        assert!(config.rate_limit_redis_url.is_none());
    }

    #[test]
    fn reads_tier_limits_and_refuses_bad_ones() {
        let config = GatewayConfig::from_lookup(|n| (n == "RATE_LIMIT_FREE_GENERATE").then(|| "2/10".into())).unwrap();
        assert_eq!(config.limits.free.1, Policy { name: "generate".into(), quota: 2, window_seconds: 10 });
        let err = GatewayConfig::from_lookup(|n| (n == "RATE_LIMIT_PRO_REQUESTS").then(|| "lots".into())).unwrap_err();
        assert!(err.to_string().contains("RATE_LIMIT_PRO_REQUESTS"), "{err}");
    }
}
