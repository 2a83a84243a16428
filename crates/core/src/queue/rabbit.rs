//! RabbitMQ through lapin: a durable queue (a quorum queue when configured)
//! with a dead-letter queue beside it, persistent messages, publisher
//! confirms awaited, per-consumer prefetch, manual acks, and reconnection
//! with backoff when the broker goes away.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::Acker;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::{Delivery, JobConsumer, JobQueue, QueueError, Settle};

const ATTEMPT_HEADER: &str = "x-insider-bulk-attempt";
const PERSISTENT: u8 = 2;

#[derive(Debug, Clone)]
pub struct RabbitConfig {
    /// `amqp://user:pass@host:5672/vhost`
    pub url: String,
    /// The job queue; its dead-letter queue is `<queue>.dead`.
    pub queue: String,
    /// Declare quorum queues (replicated) instead of classic durable ones.
    pub quorum: bool,
}

/// A handle on the broker, cheap to clone; one connection per process.
#[derive(Clone)]
pub struct RabbitQueue {
    config: Arc<RabbitConfig>,
    session: Arc<Mutex<Option<Session>>>,
    reconnects: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Session {
    connection: Arc<Connection>,
    /// Publishing channel, in confirm mode.
    publisher: Channel,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

impl RabbitQueue {
    /// Connects and declares the queues, failing fast if the broker is down.
    pub async fn connect(config: RabbitConfig) -> Result<Self, QueueError> {
        let queue = RabbitQueue {
            config: Arc::new(config),
            session: Arc::new(Mutex::new(None)),
            reconnects: Arc::new(AtomicU64::new(0)),
        };
        queue.session().await?;
        Ok(queue)
    }

    pub fn config(&self) -> &RabbitConfig {
        &self.config
    }

    /// How many times the connection was re-established after a loss.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.config.queue)
    }

    async fn session(&self) -> Result<Session, QueueError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            if session.connection.status().connected() && session.publisher.status().connected() {
                return Ok(session.clone());
            }
            self.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let connection =
            Connection::connect(&self.config.url, ConnectionProperties::default()).await.map_err(unavailable)?;
        let publisher = connection.create_channel().await.map_err(unavailable)?;
        self.declare(&publisher).await?;
        publisher.confirm_select(ConfirmSelectOptions::default()).await.map_err(unavailable)?;
        let session = Session { connection: Arc::new(connection), publisher };
        *slot = Some(session.clone());
        Ok(session)
    }

    async fn forget_session(&self) {
        *self.session.lock().await = None;
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    fn queue_args(&self, dead_letter_to: Option<&str>) -> FieldTable {
        let mut args = FieldTable::default();
        if self.config.quorum {
            args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        }
        if let Some(target) = dead_letter_to {
            args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString("".into()));
            args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(target.into()));
        }
        args
    }

    async fn declare(&self, channel: &Channel) -> Result<(), QueueError> {
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        let dead = self.dead_letter_queue();
        channel.queue_declare(dead.as_str().into(), durable, self.queue_args(None)).await.map_err(unavailable)?;
        let args = self.queue_args(Some(&dead));
        channel.queue_declare(self.config.queue.as_str().into(), durable, args).await.map_err(unavailable)?;
        Ok(())
    }

    async fn publish_attempt(&self, payload: &[u8], attempt: u32) -> Result<(), QueueError> {
        let mut headers = FieldTable::default();
        headers.insert(ATTEMPT_HEADER.into(), AMQPValue::LongUInt(attempt));
        let properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_content_type("application/x-protobuf".into())
            .with_headers(headers);
        // One retry on a fresh connection covers a broker restart between calls.
        for _ in 0..2 {
            let session = self.session().await?;
            let sent = session
                .publisher
                .basic_publish(
                    "".into(),
                    self.config.queue.as_str().into(),
                    BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() },
                    payload,
                    properties.clone(),
                )
                .await;
            let confirm = match sent {
                Ok(pending) => pending.await,
                Err(e) => Err(e),
            };
            match confirm {
                Ok(c) => {
                    let acked = c.is_ack();
                    let returned = c.take_message().is_some();
                    if acked && !returned {
                        return Ok(());
                    }
                    if !returned {
                        return Err(QueueError::NotConfirmed("nacked by the broker".into()));
                    }
                    // Unroutable: the queue is gone (deleted by hand, or with
                    // a lost node). A new session declares it again.
                    tracing::warn!(queue = %self.config.queue, "message returned: no such queue; declaring it again");
                    self.forget_session().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "publish failed; reconnecting");
                    self.forget_session().await;
                }
            }
        }
        Err(QueueError::Unavailable("publish failed after reconnecting".into()))
    }

    /// (messages waiting, consumers attached) of a queue.
    async fn counts(&self, queue: &str) -> Result<(u64, u64), QueueError> {
        let session = self.session().await?;
        // A passive declare on a throwaway channel: an error closes only it.
        let channel = session.connection.create_channel().await.map_err(unavailable)?;
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let q = channel.queue_declare(queue.into(), passive, FieldTable::default()).await.map_err(unavailable)?;
        let _ = channel.close(200, "done".into()).await;
        Ok((u64::from(q.message_count()), u64::from(q.consumer_count())))
    }
}

impl JobQueue for RabbitQueue {
    type Consumer = RabbitConsumer;

    async fn publish(&self, payload: Vec<u8>) -> Result<(), QueueError> {
        self.publish_attempt(&payload, 1).await
    }

    async fn consume(&self, prefetch: u16) -> Result<RabbitConsumer, QueueError> {
        let mut consumer = RabbitConsumer { queue: self.clone(), prefetch: prefetch.max(1), stream: None };
        consumer.open().await?;
        Ok(consumer)
    }

    async fn depth(&self) -> Result<u64, QueueError> {
        Ok(self.counts(&self.config.queue).await?.0)
    }

    async fn consumers(&self) -> Result<u64, QueueError> {
        Ok(self.counts(&self.config.queue).await?.1)
    }

    async fn dead_letter_depth(&self) -> Result<u64, QueueError> {
        Ok(self.counts(&self.dead_letter_queue()).await?.0)
    }
}

pub struct RabbitConsumer {
    queue: RabbitQueue,
    prefetch: u16,
    stream: Option<(Channel, lapin::Consumer)>,
}

impl RabbitConsumer {
    async fn open(&mut self) -> Result<(), QueueError> {
        let session = self.queue.session().await?;
        let channel = session.connection.create_channel().await.map_err(unavailable)?;
        channel.basic_qos(self.prefetch, BasicQosOptions::default()).await.map_err(unavailable)?;
        let consumer = channel
            .basic_consume(
                self.queue.config.queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(unavailable)?;
        self.stream = Some((channel, consumer));
        Ok(())
    }
}

impl JobConsumer for RabbitConsumer {
    async fn next(&mut self) -> Option<Delivery> {
        let mut backoff = Duration::from_millis(250);
        loop {
            if self.stream.is_none() {
                if let Err(e) = self.open().await {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach the broker");
                    self.queue.forget_session().await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(15));
                    continue;
                }
            }
            let (_, consumer) = self.stream.as_mut()?;
            match consumer.next().await {
                Some(Ok(delivery)) => {
                    let header = delivery
                        .properties
                        .headers()
                        .as_ref()
                        .and_then(|h| h.inner().get(ATTEMPT_HEADER).cloned())
                        .and_then(|v| v.as_long_uint())
                        .unwrap_or(1);
                    // A redelivery (the consumer died holding it) is an attempt too.
                    let attempt = header + u32::from(delivery.redelivered);
                    let settle = RabbitSettle { acker: delivery.acker };
                    return Some(Delivery { payload: delivery.data, attempt, settle: Settle::Rabbit(settle) });
                }
                Some(Err(e)) => tracing::warn!(error = %e, "consumer lost its channel; reconnecting"),
                None => tracing::warn!("consumer stream ended; reconnecting"),
            }
            self.stream = None;
            self.queue.forget_session().await;
        }
    }
}

pub(crate) struct RabbitSettle {
    acker: Acker,
}

impl RabbitSettle {
    pub async fn ack(self) -> Result<(), QueueError> {
        self.acker.ack(BasicAckOptions::default()).await.map(drop).map_err(unavailable)
    }

    /// Back to the queue as it is (the broker marks it redelivered).
    pub async fn requeue(self) -> Result<(), QueueError> {
        let options = BasicNackOptions { requeue: true, multiple: false };
        self.acker.nack(options).await.map(drop).map_err(unavailable)
    }

    /// A nack without requeue goes through the queue's dead-letter exchange.
    pub async fn dead_letter(self) -> Result<(), QueueError> {
        let options = BasicNackOptions { requeue: false, multiple: false };
        self.acker.nack(options).await.map(drop).map_err(unavailable)
    }
}
