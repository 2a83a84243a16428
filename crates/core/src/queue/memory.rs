//! The in-process queue of the embedded default: the gateway and the packer
//! share it inside one process. Same at-least-once contract as RabbitMQ: an
//! unsettled delivery (dropped, or its task panicked) goes back to the queue.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::{Delivery, JobConsumer, JobQueue, QueueError, Settle};

#[derive(Clone, Default)]
pub struct MemoryQueue {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    ready: Notify,
    consumers: AtomicU64,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<(Vec<u8>, u32)>,
    dead: Vec<Vec<u8>>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain data behind; go on.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, payload: Vec<u8>, attempt: u32) {
        self.state().waiting.push_back((payload, attempt));
        self.ready.notify_one();
    }
}

impl MemoryQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// The dead-lettered payloads, for inspection.
    pub fn dead_letters(&self) -> Vec<Vec<u8>> {
        self.inner.state().dead.clone()
    }
}

impl JobQueue for MemoryQueue {
    type Consumer = MemoryConsumer;

    async fn publish(&self, payload: Vec<u8>) -> Result<(), QueueError> {
        self.inner.push(payload, 1);
        Ok(())
    }

    async fn consume(&self, prefetch: u16) -> Result<MemoryConsumer, QueueError> {
        self.inner.consumers.fetch_add(1, Ordering::Relaxed);
        Ok(MemoryConsumer {
            inner: self.inner.clone(),
            in_flight: Arc::new(Semaphore::new(usize::from(prefetch.max(1)))),
        })
    }

    async fn depth(&self) -> Result<u64, QueueError> {
        Ok(self.inner.state().waiting.len() as u64)
    }

    async fn dead_letter_depth(&self) -> Result<u64, QueueError> {
        Ok(self.inner.state().dead.len() as u64)
    }

    async fn consumers(&self) -> Result<u64, QueueError> {
        Ok(self.inner.consumers.load(Ordering::Relaxed))
    }
}

impl Drop for MemoryConsumer {
    fn drop(&mut self) {
        self.inner.consumers.fetch_sub(1, Ordering::Relaxed);
    }
}

pub struct MemoryConsumer {
    inner: Arc<Inner>,
    in_flight: Arc<Semaphore>,
}

impl JobConsumer for MemoryConsumer {
    async fn next(&mut self) -> Option<Delivery> {
        let permit = self.in_flight.clone().acquire_owned().await.ok()?;
        loop {
            let notified = self.inner.ready.notified();
            if let Some((payload, attempt)) = self.inner.state().waiting.pop_front() {
                let settle =
                    MemorySettle { inner: self.inner.clone(), payload: Some(payload.clone()), _permit: permit };
                return Some(Delivery { payload, attempt, settle: Settle::Memory(settle) });
            }
            notified.await;
        }
    }
}

pub(crate) struct MemorySettle {
    inner: Arc<Inner>,
    /// Taken when settled; still here on drop means "not settled".
    payload: Option<Vec<u8>>,
    _permit: OwnedSemaphorePermit,
}

impl MemorySettle {
    pub fn ack(mut self) -> Result<(), QueueError> {
        self.payload = None;
        Ok(())
    }

    pub fn requeue(mut self, attempt: u32) -> Result<(), QueueError> {
        if let Some(payload) = self.payload.take() {
            self.inner.push(payload, attempt);
        }
        Ok(())
    }

    pub fn dead_letter(mut self) -> Result<(), QueueError> {
        if let Some(payload) = self.payload.take() {
            self.inner.state().dead.push(payload);
        }
        Ok(())
    }
}

impl Drop for MemorySettle {
    fn drop(&mut self) {
        if let Some(payload) = self.payload.take() {
            // Redelivered as a broker would after a consumer died.
            self.inner.push(payload, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_at_least_once() {
        let queue = MemoryQueue::new();
        queue.publish(b"a".to_vec()).await.unwrap();
        queue.publish(b"b".to_vec()).await.unwrap();
        let mut consumer = queue.consume(1).await.unwrap();

        let first = consumer.next().await.unwrap();
        assert_eq!((first.payload.as_slice(), first.attempt), (&b"a"[..], 1));
        drop(first); // a consumer that dies without settling
        let second = consumer.next().await.unwrap();
        assert_eq!(second.payload, b"b");
        second.ack().await.unwrap();
        let again = consumer.next().await.unwrap();
        assert_eq!(again.payload, b"a", "the unsettled message came back");
        again.requeue().await.unwrap();
        let retried = consumer.next().await.unwrap();
        assert_eq!(retried.attempt, 3);
        retried.dead_letter().await.unwrap();
        assert_eq!(queue.depth().await.unwrap(), 0);
        assert_eq!(queue.dead_letters(), vec![b"a".to_vec()]);
    }
}
