//! Per-account request budgets: fixed windows aligned to the epoch (window
//! index = floor(now / window)); a request is admitted iff its window's counter,
//! after counting it, is at most the quota. Rejected requests count too, so a
//! client that keeps hammering stays limited until the window ends.
//!
//! Several replicas share counters through Redis; one process alone keeps them
//! in memory.

pub mod memory;
pub mod redis;

/// A budget: at most `quota` requests per `window_seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A token such as `requests` or `generate`: part of the counter keys and
    /// of the `RateLimit` headers.
    pub name: String,
    pub quota: u64,
    pub window_seconds: u64,
}

impl Policy {
    /// A zero window would divide by zero; treat it as the shortest one.
    fn window_ms(&self) -> u64 {
        self.window_seconds.max(1).saturating_mul(1000)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    /// Seconds until the window resets, >= 1.
    pub reset_seconds: u64,
}

impl Decision {
    /// `count` includes the request being decided on.
    fn new(quota: u64, count: u64, ms_left: u64) -> Self {
        Decision {
            allowed: count <= quota,
            remaining: quota.saturating_sub(count),
            // Rounded up: a client that waits `reset_seconds` must find a new window.
            reset_seconds: ms_left.div_ceil(1000).max(1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limiter unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub enum RateLimiter {
    Memory(memory::MemoryLimiter),
    Redis(redis::RedisLimiter),
}

impl RateLimiter {
    pub fn memory() -> Self {
        RateLimiter::Memory(memory::MemoryLimiter::new())
    }

    /// Connects (failing clearly if Redis is unreachable); keys start with `key_prefix`.
    pub async fn redis(url: &str, key_prefix: &str) -> Result<Self, RateLimitError> {
        Ok(RateLimiter::Redis(redis::RedisLimiter::connect(url, key_prefix).await?))
    }

    /// Counts one request of `subject` (an account id) against `policy`.
    pub async fn check(&self, subject: &str, policy: &Policy) -> Result<Decision, RateLimitError> {
        match self {
            RateLimiter::Memory(limiter) => Ok(limiter.check(subject, policy)),
            RateLimiter::Redis(limiter) => limiter.check(subject, policy).await,
        }
    }
}

/// `RateLimit-Policy` field value (IETF draft-ietf-httpapi-ratelimit-headers, structured-field form):
/// e.g. `"requests";q=600;w=60, "generate";q=10;w=60`
pub fn policy_header(policies: &[&Policy]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(32 * policies.len());
    for (i, p) in policies.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_sf_string(&mut out, &p.name);
        let _ = write!(out, ";q={};w={}", p.quota, p.window_seconds.max(1));
    }
    out
}

/// `RateLimit` field value of the budgets a request was counted against:
/// e.g. `"requests";r=599;t=42` (r = remaining, t = seconds to reset), one
/// item per budget, appended to `out`. Built on every request, so without
/// `format!`.
pub fn push_limit_header<'a>(out: &mut String, checked: impl IntoIterator<Item = (&'a Policy, Decision)>) {
    let mut digits = itoa::Buffer::new();
    for (i, (policy, decision)) in checked.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_sf_string(out, &policy.name);
        out.push_str(";r=");
        out.push_str(digits.format(decision.remaining));
        out.push_str(";t=");
        out.push_str(digits.format(decision.reset_seconds));
    }
}

/// Policy names are meant to be tokens (`[a-z0-9_-]+`); any other character
/// becomes `_` so that the header is always a valid sf-string and never needs
/// escaping.
#[cfg(test)]
fn sf_string(name: &str) -> String {
    let mut out = String::new();
    push_sf_string(&mut out, name);
    out
}

fn push_sf_string(out: &mut String, name: &str) {
    out.push('"');
    out.extend(name.chars().map(|c| {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, quota: u64, window_seconds: u64) -> Policy {
        Policy { name: name.into(), quota, window_seconds }
    }

    fn limit_header(checked: &[(&Policy, Decision)]) -> String {
        let mut out = String::new();
        push_limit_header(&mut out, checked.iter().copied());
        out
    }

    #[test]
    fn formats_the_draft_headers() {
        let requests = policy("requests", 600, 60);
        let generate = policy("generate", 10, 60);
        assert_eq!(policy_header(&[&requests, &generate]), r#""requests";q=600;w=60, "generate";q=10;w=60"#);
        assert_eq!(policy_header(&[]), "");
        let decision = Decision { allowed: true, remaining: 599, reset_seconds: 42 };
        assert_eq!(limit_header(&[(&requests, decision)]), r#""requests";r=599;t=42"#);
        let spent = Decision { allowed: false, remaining: 0, reset_seconds: 3600 };
        assert_eq!(
            limit_header(&[(&requests, decision), (&generate, spent)]),
            r#""requests";r=599;t=42, "generate";r=0;t=3600"#
        );
    }

    #[test]
    fn odd_policy_names_still_make_valid_headers() {
        let odd = policy("Gen \"x\"\\é", 1, 0);
        assert_eq!(policy_header(&[&odd]), r#""_en__x___";q=1;w=1"#);
        assert_eq!(sf_string("read_only-2"), r#""read_only-2""#);
    }

    #[test]
    fn decisions_count_down_and_round_the_reset_up() {
        assert_eq!(Decision::new(3, 1, 59_001), Decision { allowed: true, remaining: 2, reset_seconds: 60 });
        assert_eq!(Decision::new(3, 3, 1), Decision { allowed: true, remaining: 0, reset_seconds: 1 });
        assert_eq!(Decision::new(3, 4, 0), Decision { allowed: false, remaining: 0, reset_seconds: 1 });
        assert!(!Decision::new(0, 1, 1000).allowed);
    }
}
