//! The job queue between the gateway (and the nightly run), which publish,
//! and the packers, which consume. One trait, two implementations chosen by
//! URL: RabbitMQ (`amqp://…`) in production, an in-process queue for the
//! embedded default. Both deliver at least once: a message leaves the queue
//! only when it is acked, after its index row is committed.

mod memory;
mod rabbit;

use std::future::Future;

pub use memory::MemoryQueue;
pub use rabbit::{RabbitConfig, RabbitQueue};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue broker unavailable: {0}")]
    Unavailable(String),
    #[error("the broker did not confirm the message: {0}")]
    NotConfirmed(String),
    #[error("the queue is closed")]
    Closed,
}

/// One delivered message. Dropping it without settling returns it to the
/// queue, as a broker does when a consumer dies.
pub struct Delivery {
    pub payload: Vec<u8>,
    /// 1 for the first delivery, counting retries and redeliveries.
    pub attempt: u32,
    pub(crate) settle: Settle,
}

pub(crate) enum Settle {
    Rabbit(rabbit::RabbitSettle),
    Memory(memory::MemorySettle),
}

impl Delivery {
    /// Done: remove the message for good.
    pub async fn ack(self) -> Result<(), QueueError> {
        match self.settle {
            Settle::Rabbit(s) => s.ack().await,
            Settle::Memory(s) => s.ack(),
        }
    }

    /// Not handled this time (the database was out of reach): the same
    /// message goes back to the queue. Retries of a failed job are not this:
    /// they go through the outbox, the one door into the queue.
    pub async fn requeue(self) -> Result<(), QueueError> {
        match self.settle {
            Settle::Rabbit(s) => s.requeue().await,
            Settle::Memory(s) => s.requeue(self.attempt + 1),
        }
    }

    /// Failed for good, or undecodable: move it to the dead-letter queue.
    pub async fn dead_letter(self) -> Result<(), QueueError> {
        match self.settle {
            Settle::Rabbit(s) => s.dead_letter().await,
            Settle::Memory(s) => s.dead_letter(),
        }
    }
}

/// What both queues offer. Generic code (`worker::run::<Q>`) takes any.
pub trait JobQueue: Clone + Send + Sync + 'static {
    type Consumer: JobConsumer;

    /// Publishes a persistent message and waits for the broker's confirm.
    fn publish(&self, payload: Vec<u8>) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Starts consuming with at most `prefetch` unacked messages at a time.
    fn consume(&self, prefetch: u16) -> impl Future<Output = Result<Self::Consumer, QueueError>> + Send;

    /// Messages waiting (not yet delivered): the queue length packers scale on.
    fn depth(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// Messages in the dead-letter queue.
    fn dead_letter_depth(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// Consumers attached: the live packers an estimate divides the work by.
    fn consumers(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;
}

pub trait JobConsumer: Send + 'static {
    /// The next message; `None` once the consumer is closed. Broker outages
    /// are ridden out inside (reconnect with backoff).
    fn next(&mut self) -> impl Future<Output = Option<Delivery>> + Send;
}

/// Either queue, chosen at start-up from `QUEUE_URL`, for code that holds
/// one without being generic over it (the gateway's relay).
#[derive(Clone)]
pub enum AnyQueue {
    Rabbit(RabbitQueue),
    Memory(MemoryQueue),
}

pub enum AnyConsumer {
    Rabbit(Box<rabbit::RabbitConsumer>),
    Memory(memory::MemoryConsumer),
}

macro_rules! delegate {
    ($self:expr, $q:ident => $body:expr) => {
        match $self {
            AnyQueue::Rabbit($q) => $body,
            AnyQueue::Memory($q) => $body,
        }
    };
}

impl JobQueue for AnyQueue {
    type Consumer = AnyConsumer;

    async fn publish(&self, payload: Vec<u8>) -> Result<(), QueueError> {
        delegate!(self, q => q.publish(payload).await)
    }

    async fn consume(&self, prefetch: u16) -> Result<AnyConsumer, QueueError> {
        Ok(match self {
            AnyQueue::Rabbit(q) => AnyConsumer::Rabbit(Box::new(q.consume(prefetch).await?)),
            AnyQueue::Memory(q) => AnyConsumer::Memory(q.consume(prefetch).await?),
        })
    }

    async fn depth(&self) -> Result<u64, QueueError> {
        delegate!(self, q => q.depth().await)
    }

    async fn dead_letter_depth(&self) -> Result<u64, QueueError> {
        delegate!(self, q => q.dead_letter_depth().await)
    }

    async fn consumers(&self) -> Result<u64, QueueError> {
        delegate!(self, q => q.consumers().await)
    }
}

impl JobConsumer for AnyConsumer {
    async fn next(&mut self) -> Option<Delivery> {
        match self {
            AnyConsumer::Rabbit(c) => c.next().await,
            AnyConsumer::Memory(c) => c.next().await,
        }
    }
}
