//! Counters shared by every gateway replica through one Redis (standalone or
//! a primary with replicas; not Redis Cluster, see [`SCRIPT`]).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{Decision, Policy, RateLimitError};

/// Counts one request in its window; returns `{count, ms until the window ends}`.
///
/// The window comes from the server's clock, so replicas with skewed clocks
/// still agree on it. That is also why the script names a key it was not
/// given (KEYS[1] plus the window index): fine on one Redis, refused by Redis
/// Cluster. The key lives until its window ends plus a margin, no longer: the
/// counter is worthless afterwards.
const SCRIPT: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local index = math.floor(now_ms / window_ms)
local key = string.format('%s:%d', KEYS[1], index)
local count = redis.call('INCR', key)
local left_ms = (index + 1) * window_ms - now_ms
if count == 1 then
  redis.call('PEXPIRE', key, left_ms + 1000)
end
return {count, left_ms}
";

/// A request waits at most this long for Redis before the limiter gives up,
/// and so does the start-up connection. Redis answers in well under a
/// millisecond when healthy; while it is down, requests must fail fast
/// rather than queue up behind reconnection attempts.
const TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RedisLimiter {
    connection: ConnectionManager,
    script: Script,
    key_prefix: String,
}

impl RedisLimiter {
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, RateLimitError> {
        let client = Client::open(url).map_err(|e| unavailable("invalid Redis URL", e))?;
        // The address, never the URL: the URL may hold a password.
        let address = client.get_connection_info().addr.to_string();
        // No retries of our own: each request that finds the connection broken
        // starts one reconnection attempt, and fails fast while it runs, which
        // is better than retrying with back-off for up to minutes (the default).
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT);
        let mut connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| unavailable(&format!("cannot connect to Redis at {address}"), e))?;
        let script = Script::new(SCRIPT);
        // Loading now proves that the server accepts our commands (auth, ACL,
        // scripting), and spares the first requests a NOSCRIPT round trip.
        script
            .prepare_invoke()
            .load_async(&mut connection)
            .await
            .map_err(|e| unavailable(&format!("Redis at {address} refused the rate-limit script"), e))?;
        tracing::info!(%address, key_prefix, "rate limiter uses Redis");
        Ok(RedisLimiter { connection, script, key_prefix: key_prefix.to_owned() })
    }

    pub async fn check(&self, subject: &str, policy: &Policy) -> Result<Decision, RateLimitError> {
        let key = format!("{}:{}:{}", self.key_prefix, policy.name, subject);
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(key);
        invocation.arg(policy.window_ms());
        let (count, ms_left): (u64, u64) = tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(|_| RateLimitError::Unavailable(format!("Redis did not answer within {TIMEOUT:?}")))?
            .map_err(|e| unavailable("Redis failed", e))?;
        Ok(Decision::new(policy.quota, count, ms_left))
    }
}

fn unavailable(context: &str, error: redis::RedisError) -> RateLimitError {
    RateLimitError::Unavailable(format!("{context}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use redis::aio::MultiplexedConnection;
    use redis::AsyncCommands;

    use super::super::RateLimiter;
    use super::*;

    const START_REDIS: &str = r#"redis-server --daemonize yes --port 6379 --save "" --appendonly no"#;

    fn redis_url() -> String {
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
    }

    fn policy(name: &str, quota: u64, window_seconds: u64) -> Policy {
        Policy { name: name.into(), quota, window_seconds }
    }

    /// A limiter with a prefix of its own, and a plain connection to inspect
    /// and then delete its keys.
    async fn limiter() -> (RateLimiter, String, MultiplexedConnection) {
        let url = redis_url();
        let prefix = format!("test-ratelimit-{}", uuid::Uuid::new_v4());
        let limiter = RateLimiter::redis(&url, &prefix).await.unwrap_or_else(|e| {
            panic!("these tests need a Redis at {url} (set TEST_REDIS_URL to use another): {e}\nstart one with: {START_REDIS}")
        });
        let raw = Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
        (limiter, prefix, raw)
    }

    async fn keys(raw: &mut MultiplexedConnection, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = raw.keys(format!("{prefix}:*")).await.unwrap();
        keys.sort();
        keys
    }

    async fn delete_keys(raw: &mut MultiplexedConnection, prefix: &str) {
        let keys = keys(raw, prefix).await;
        if !keys.is_empty() {
            let _: () = raw.del(keys).await.unwrap();
        }
    }

    /// Sleeps into the next window (by the Redis clock) if the current one
    /// ends soon, so that a test's checks all fall in one window.
    async fn avoid_window_end(raw: &mut MultiplexedConnection, policy: &Policy) {
        let (seconds, micros): (u64, u64) = redis::cmd("TIME").query_async(raw).await.unwrap();
        let now_ms = seconds * 1000 + micros / 1000;
        let left_ms = policy.window_ms() - now_ms % policy.window_ms();
        if left_ms < 2000.min(policy.window_ms() / 2) {
            tokio::time::sleep(Duration::from_millis(left_ms + 10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn two_replicas_share_one_quota() {
        let (replica_a, prefix, mut raw) = limiter().await;
        let replica_b = RateLimiter::redis(&redis_url(), &prefix).await.unwrap();
        let policy = policy("requests", 50, 3600);
        avoid_window_end(&mut raw, &policy).await;
        let tasks: Vec<_> = (0..400)
            .map(|i| {
                let limiter = if i % 2 == 0 { replica_a.clone() } else { replica_b.clone() };
                let policy = policy.clone();
                tokio::spawn(async move { limiter.check("acct-1", &policy).await.unwrap() })
            })
            .collect();
        let mut decisions = Vec::new();
        for task in tasks {
            decisions.push(task.await.unwrap());
        }
        assert_eq!(decisions.iter().filter(|d| d.allowed).count(), 50);
        let mut remaining: Vec<_> = decisions.iter().filter(|d| d.allowed).map(|d| d.remaining).collect();
        remaining.sort();
        assert_eq!(remaining, (0..50).collect::<Vec<_>>());
        assert!(decisions.iter().all(|d| (1..=3600).contains(&d.reset_seconds)));

        let keys = keys(&mut raw, &prefix).await;
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert!(keys[0].starts_with(&format!("{prefix}:requests:acct-1:")), "{keys:?}");
        let count: u64 = raw.get(&keys[0]).await.unwrap();
        assert_eq!(count, 400, "rejected requests count too");
        delete_keys(&mut raw, &prefix).await;
    }

    #[tokio::test]
    async fn keys_expire_after_their_window() {
        let (limiter, prefix, mut raw) = limiter().await;
        let policy = policy("generate", 5, 60);
        let decision = limiter.check("acct-1", &policy).await.unwrap();
        assert_eq!((decision.allowed, decision.remaining), (true, 4));
        let keys = keys(&mut raw, &prefix).await;
        assert_eq!(keys.len(), 1, "{keys:?}");
        let pttl: i64 = raw.pttl(&keys[0]).await.unwrap();
        assert!(pttl > 0 && pttl <= 61_000, "PTTL {pttl}");
        delete_keys(&mut raw, &prefix).await;
    }

    #[tokio::test]
    async fn subjects_policies_and_windows_are_independent() {
        let (limiter, prefix, mut raw) = limiter().await;
        let (requests, generate) = (policy("requests", 1, 3600), policy("generate", 1, 3600));
        avoid_window_end(&mut raw, &requests).await;
        assert!(limiter.check("acct-1", &requests).await.unwrap().allowed);
        assert!(!limiter.check("acct-1", &requests).await.unwrap().allowed);
        assert!(limiter.check("acct-2", &requests).await.unwrap().allowed);
        assert!(limiter.check("acct-1", &generate).await.unwrap().allowed);

        let short = policy("short", 1, 1);
        avoid_window_end(&mut raw, &short).await;
        assert!(limiter.check("acct-1", &short).await.unwrap().allowed);
        let rejected = limiter.check("acct-1", &short).await.unwrap();
        assert_eq!(rejected, Decision { allowed: false, remaining: 0, reset_seconds: 1 });
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(limiter.check("acct-1", &short).await.unwrap().allowed);
        delete_keys(&mut raw, &prefix).await;
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_fast_and_clearly() {
        let started = Instant::now();
        let Err(error) = RateLimiter::redis("redis://127.0.0.1:1/", "x").await else {
            panic!("connected to port 1");
        };
        assert!(error.to_string().contains("cannot connect to Redis at 127.0.0.1:1"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(RateLimiter::redis("http://nope", "x").await.is_err());
    }

    /// Needs the `redis-server` binary: starts one of its own, stops it under
    /// the limiter, and starts it again.
    #[tokio::test]
    #[ignore = "starts and kills its own redis-server; run with --ignored"]
    async fn fails_fast_while_redis_is_down_and_recovers() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let start = || {
            let server = std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server on the PATH");
            std::thread::sleep(Duration::from_millis(300));
            server
        };
        let mut server = start();
        let limiter = RateLimiter::redis(&format!("redis://127.0.0.1:{port}/"), "t").await.unwrap();
        let policy = policy("requests", 100, 3600);
        assert!(limiter.check("acct-1", &policy).await.is_ok());

        server.kill().unwrap();
        server.wait().unwrap();
        for _ in 0..3 {
            let started = Instant::now();
            let error = limiter.check("acct-1", &policy).await.unwrap_err();
            assert!(started.elapsed() < Duration::from_millis(2500), "{:?} {error}", started.elapsed());
        }

        let mut server = start();
        // The first check after the restart may still meet the failed connection.
        let mut recovered = false;
        for _ in 0..20 {
            if limiter.check("acct-1", &policy).await.is_ok() {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        assert!(recovered, "the limiter did not reconnect");
    }
}
