//! Counters of one process, for the embedded single-process mode.

use std::hash::BuildHasher;

// foldhash, not SipHash: three hashes per request on the answer's path;
// the keys are account ids and policy names, which clients do not choose.
use foldhash::fast::RandomState;
use foldhash::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Decision, Policy};

/// Independent locks, so that concurrent requests of different accounts
/// rarely wait for each other.
const SHARDS: usize = 16;
/// How often a shard drops the counters of windows that have ended: often
/// enough that idle accounts do not pile up, rarely enough to cost nothing.
const SWEEP_INTERVAL_MS: u64 = 1_000;

#[derive(Clone, Default)]
pub struct MemoryLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Vec<Shard>,
    hasher: RandomState,
}

impl Default for Inner {
    fn default() -> Self {
        Inner { shards: (0..SHARDS).map(|_| Shard::default()).collect(), hasher: RandomState::default() }
    }
}

/// Aligned to its own cache lines so that neighbouring locks do not contend.
#[derive(Default)]
#[repr(align(128))]
struct Shard(Mutex<Counters>);

#[derive(Default)]
struct Counters {
    /// Policy name -> subject -> counter: two levels so that a lookup needs
    /// no allocated key.
    by_policy: HashMap<String, HashMap<String, Counter>>,
    next_sweep_ms: u64,
}

/// The count of one window; the window is identified by its end.
#[derive(Default)]
struct Counter {
    window_end_ms: u64,
    count: u64,
}

impl MemoryLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&self, subject: &str, policy: &Policy) -> Decision {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        let window_ms = policy.window_ms();
        let window_end_ms = (now_ms / window_ms + 1) * window_ms;

        let shard = &self.inner.shards[self.inner.hasher.hash_one(subject) as usize % SHARDS];
        // A panic elsewhere cannot leave a counter half-updated, so a poisoned lock is safe to use.
        let mut counters = shard.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if now_ms >= counters.next_sweep_ms {
            counters.sweep(now_ms);
        }
        let subjects = match counters.by_policy.get_mut(&policy.name) {
            Some(subjects) => subjects,
            None => counters.by_policy.entry(policy.name.clone()).or_default(),
        };
        let counter = match subjects.get_mut(subject) {
            Some(counter) => counter,
            None => subjects.entry(subject.to_owned()).or_default(),
        };
        if counter.window_end_ms != window_end_ms {
            *counter = Counter { window_end_ms, count: 0 };
        }
        counter.count = counter.count.saturating_add(1);
        Decision::new(policy.quota, counter.count, window_end_ms - now_ms)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let shard_len = |s: &Shard| s.0.lock().unwrap().by_policy.values().map(HashMap::len).sum::<usize>();
        self.inner.shards.iter().map(shard_len).sum()
    }
}

impl Counters {
    fn sweep(&mut self, now_ms: u64) {
        for subjects in self.by_policy.values_mut() {
            subjects.retain(|_, counter| counter.window_end_ms > now_ms);
        }
        self.by_policy.retain(|_, subjects| !subjects.is_empty());
        self.next_sweep_ms = now_ms + SWEEP_INTERVAL_MS;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn policy(name: &str, quota: u64, window_seconds: u64) -> Policy {
        Policy { name: name.into(), quota, window_seconds }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn admits_exactly_the_quota_of_concurrent_checks() {
        let limiter = MemoryLimiter::new();
        let policy = policy("requests", 100, 3600);
        avoid_window_end(&policy).await;
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let (limiter, policy) = (limiter.clone(), policy.clone());
                tokio::spawn(async move { limiter.check("acct-1", &policy).allowed })
            })
            .collect();
        let mut admitted = 0;
        for task in tasks {
            admitted += task.await.unwrap() as u64;
        }
        assert_eq!(admitted, 100);
    }

    #[tokio::test]
    async fn remaining_counts_down_and_rejected_requests_still_count() {
        let limiter = MemoryLimiter::new();
        let policy = policy("generate", 3, 3600);
        avoid_window_end(&policy).await;
        let remaining: Vec<_> =
            (0..5).map(|_| limiter.check("acct-1", &policy)).map(|d| (d.allowed, d.remaining)).collect();
        assert_eq!(remaining, [(true, 2), (true, 1), (true, 0), (false, 0), (false, 0)]);
        let reset = limiter.check("acct-1", &policy).reset_seconds;
        assert!((1..=3600).contains(&reset), "{reset}");
    }

    #[tokio::test]
    async fn a_new_window_admits_again() {
        let limiter = MemoryLimiter::new();
        let policy = policy("requests", 1, 1);
        avoid_window_end(&policy).await;
        assert!(limiter.check("acct-1", &policy).allowed);
        let rejected = limiter.check("acct-1", &policy);
        assert_eq!(rejected, Decision { allowed: false, remaining: 0, reset_seconds: 1 });
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(limiter.check("acct-1", &policy).allowed);
    }

    #[tokio::test]
    async fn subjects_and_policies_are_independent() {
        let limiter = MemoryLimiter::new();
        let (requests, generate) = (policy("requests", 1, 3600), policy("generate", 1, 3600));
        avoid_window_end(&requests).await;
        assert!(limiter.check("acct-1", &requests).allowed);
        assert!(!limiter.check("acct-1", &requests).allowed);
        assert!(limiter.check("acct-2", &requests).allowed);
        assert!(limiter.check("acct-1", &generate).allowed);
        assert!(!limiter.check("acct-1", &generate).allowed);
    }

    #[tokio::test]
    async fn drops_the_counters_of_ended_windows() {
        let limiter = MemoryLimiter::new();
        let policy = policy("requests", 10, 1);
        for i in 0..1000 {
            limiter.check(&format!("acct-{i}"), &policy);
        }
        assert_eq!(limiter.len(), 1000);
        tokio::time::sleep(Duration::from_millis(1000 + SWEEP_INTERVAL_MS + 50)).await;
        // Each shard sweeps on its next check; these reach every shard.
        for i in 0..1000 {
            limiter.check(&format!("late-{i}"), &policy);
        }
        assert_eq!(limiter.len(), 1000);
    }

    /// Sleeps into the next window if the current one ends soon, so that a
    /// test's checks all fall in one window.
    async fn avoid_window_end(policy: &Policy) {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let left_ms = policy.window_ms() - now_ms % policy.window_ms();
        if left_ms < 2000.min(policy.window_ms() / 2) {
            tokio::time::sleep(Duration::from_millis(left_ms + 10)).await;
        }
    }
}
