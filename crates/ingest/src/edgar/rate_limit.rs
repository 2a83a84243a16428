//! A spaced-slot limiter shared by every request of one client.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out start times at least `interval` apart, first come first served.
///
/// Spaced slots rather than a token bucket: a bucket of N tokens lets N
/// requests out at the end of one second and N more at the start of the next,
/// which is 2N inside one second as SEC counts it.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `per_second` slots in any one-second window (`per_second` > 0).
    ///
    /// Slots are 10% wider than `1 s / per_second`: SEC counts arrivals at its
    /// end, and network and scheduling jitter can bunch requests that left
    /// exactly `1/N` s apart, pushing an (N+1)th arrival into one second.
    pub fn per_second(per_second: u32) -> Self {
        assert!(per_second > 0, "rate must be positive");
        let interval = Duration::from_secs(1) / per_second;
        Self { interval: interval + interval / 10, next_slot: Mutex::new(None) }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits for this caller's slot. Slots are reserved under the lock and
    /// slept on outside it, so concurrent callers queue without blocking each other.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_callers_get_evenly_spaced_slots() {
        let limiter = Arc::new(RateLimiter::per_second(10));
        let start = Instant::now();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap() - start);
        }
        times.sort();
        // Waking late is the scheduler's business; waking early would break the limit.
        for (k, t) in times.iter().enumerate() {
            assert!(*t >= limiter.interval() * k as u32, "slot {k} at {t:?}: {times:?}");
        }
        assert!(times[10] > Duration::from_secs(1), "{times:?}");
    }
}
