//! The gateway's own settings, read once at start-up beside the shared
//! [`Config`](insider_bulk_core::config::Config).

use std::net::IpAddr;
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
    /// `GATEWAY_TRUSTED_PROXIES`: the peers whose `Forwarded`,
    /// `X-Forwarded-Host` and `X-Forwarded-Proto` are believed; default none.
    pub trusted_proxies: TrustedProxies,
    /// `GATEWAY_WORKERS`, default the number of CPUs.
    pub workers: usize,
    /// What each endpoint costs, in tokens: `COST_INDEX`, `COST_DOWNLOAD`
    /// and `COST_GENERATE`, each 25 by default, as on the live service.
    pub costs: Costs,
    /// `DOWNLOAD_WAIT_SECONDS`, default 10: how long a download call for a
    /// pending month waits for its file before answering 202.
    pub download_wait: Duration,
    /// `DOWNLOAD_URL_SECRET`: the key that signs local download URLs. Unset,
    /// one is generated into `<data_dir>/download-url.key` on the first
    /// start; several gateways on one local store share that directory.
    pub download_url_secret: Option<String>,
    /// `METER_FLUSH_MILLIS`, default 200: how often index.json's charges,
    /// kept in memory, are written to the ledger.
    pub meter_flush: Duration,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    pub index: i64,
    pub download: i64,
    pub generate: i64,
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
        let cost = |name: &'static str| -> Result<i64, ConfigError> {
            let cost: i64 = parse_or(name, lookup(name), 25)?;
            if cost < 0 {
                return Err(invalid(name, &cost.to_string(), "must not be negative"));
            }
            Ok(cost)
        };
        let costs =
            Costs { index: cost("COST_INDEX")?, download: cost("COST_DOWNLOAD")?, generate: cost("COST_GENERATE")? };
        Ok(GatewayConfig {
            bind_addr: lookup("GATEWAY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url: lookup("GATEWAY_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            trusted_proxies: TrustedProxies::parse(lookup("GATEWAY_TRUSTED_PROXIES").as_deref().unwrap_or(""))?,
            workers: parse_or("GATEWAY_WORKERS", lookup("GATEWAY_WORKERS"), cpus)?.max(1),
            costs,
            download_wait: Duration::from_secs(parse_or("DOWNLOAD_WAIT_SECONDS", lookup("DOWNLOAD_WAIT_SECONDS"), 10)?),
            download_url_secret: lookup("DOWNLOAD_URL_SECRET"),
            meter_flush: Duration::from_millis(
                parse_or("METER_FLUSH_MILLIS", lookup("METER_FLUSH_MILLIS"), 200)?.max(1),
            ),
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

/// The proxies allowed to say which host and scheme a client asked for.
/// Any client can send `X-Forwarded-Host`; only a proxy we put in front of
/// the gateway is believed, known by the TCP peer address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNetwork>);

/// An address block: `network/prefix`, a single address being `/32` or `/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxies {
    /// Reads a comma-separated list of addresses and CIDR blocks, e.g.
    /// `10.0.0.0/8, 192.168.1.7, fd00::/8`; empty trusts no one.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let var = "GATEWAY_TRUSTED_PROXIES";
        let mut networks = Vec::new();
        // Empty items (a trailing comma) are skipped; anything else must parse.
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let network = IpNetwork::parse(item).map_err(|reason| invalid(var, text, format!("{item:?}: {reason}")))?;
            networks.push(network);
        }
        Ok(TrustedProxies(networks))
    }

    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(peer))
    }
}

impl IpNetwork {
    fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| "expected an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8".to_owned())?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            // All digits: `u8::from_str` would also take "+8".
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(format!("the prefix length must be a number from 0 to {max}")),
            },
        };
        Ok(IpNetwork { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        // A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d.
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
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
        assert_eq!(config.costs, Costs { index: 25, download: 25, generate: 25 });
        assert_eq!(config.download_wait, Duration::from_secs(10));
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

    #[test]
    fn trusted_proxies_are_addresses_and_cidr_blocks() {
        assert_eq!(GatewayConfig::from_lookup(|_| None).unwrap().trusted_proxies, TrustedProxies::default());
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1,").unwrap();
        for trusted in ["10.0.0.1", "10.255.255.255", "192.168.1.7", "fd12::1", "::1", "::ffff:10.1.2.3"] {
            assert!(proxies.trusts(trusted.parse().unwrap()), "{trusted}");
        }
        for untrusted in ["11.0.0.1", "192.168.1.8", "fe00::1", "::2", "127.0.0.1"] {
            assert!(!proxies.trusts(untrusted.parse().unwrap()), "{untrusted}");
        }
        let everyone = TrustedProxies::parse("0.0.0.0/0").unwrap();
        assert!(everyone.trusts("203.0.113.9".parse().unwrap()) && !everyone.trusts("2001:db8::1".parse().unwrap()));
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }

    #[test]
    fn a_malformed_trusted_proxy_is_a_start_up_error_naming_it() {
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "proxy.internal", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/8/8"] {
            let text = format!("127.0.0.1, {bad}");
            let err = GatewayConfig::from_lookup(|n| (n == "GATEWAY_TRUSTED_PROXIES").then(|| text.clone()))
                .unwrap_err()
                .to_string();
            assert!(err.contains("GATEWAY_TRUSTED_PROXIES") && err.contains(&format!("{bad:?}")), "{err}");
        }
    }
}
