//! The consume loop: one job at a time per prefetch slot, acked only after
//! its index row is committed. On shutdown it stops taking jobs and gives
//! the current one a grace period; a job cut short is left unsettled, so
//! the broker hands it to the next packer.

use std::time::{Duration, Instant};

use insider_bulk_core::db::jobs;
use insider_bulk_core::queue::{Delivery, JobConsumer, JobQueue};
use tokio::sync::watch;

use crate::job::{GenerateJob, JobError, Packer};

pub struct WorkerConfig {
    pub prefetch: u16,
    pub max_attempts: u32,
    pub grace: Duration,
}

/// Consumes until `shutdown` turns true.
pub async fn run<Q: JobQueue>(
    packer: Packer,
    queue: Q,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut consumer = queue.consume(config.prefetch).await?;
    packer.metrics.ready.store(true, std::sync::atomic::Ordering::Relaxed);
    loop {
        let delivery = tokio::select! {
            _ = stopped(&mut shutdown) => break,
            delivery = consumer.next() => match delivery { Some(d) => d, None => break },
        };
        let job = handle(&packer, delivery, config.max_attempts);
        tokio::pin!(job);
        tokio::select! {
            result = &mut job => result?,
            _ = stopped(&mut shutdown) => {
                tracing::info!(grace = ?config.grace, "shutdown requested; finishing the current job");
                if tokio::time::timeout(config.grace, &mut job).await.is_err() {
                    tracing::warn!("grace period over; leaving the job to be redelivered");
                }
                break;
            }
        }
    }
    packer.metrics.ready.store(false, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Resolves once shutdown is requested (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn handle(packer: &Packer, delivery: Delivery, max_attempts: u32) -> anyhow::Result<()> {
    let job = match GenerateJob::decode(&delivery.payload) {
        Ok(job) => job,
        Err(e) => {
            tracing::error!(error = %e, bytes = delivery.payload.len(), "dead-lettering an undecodable message");
            packer.metrics.dead_lettered.inc();
            packer.metrics.job_finished("undecodable", Duration::ZERO);
            delivery.dead_letter().await?;
            return Ok(());
        }
    };
    let started = Instant::now();
    match packer.run(&job).await {
        Ok(outcome) => {
            tracing::info!(job = %job.id, form = %job.form, month = %job.month, ?outcome, "job done");
            delivery.ack().await?;
        }
        Err(e) => settle_failure(packer, &job, delivery, e, max_attempts, started).await?,
    }
    Ok(())
}

async fn settle_failure(
    packer: &Packer,
    job: &GenerateJob,
    delivery: Delivery,
    error: JobError,
    max_attempts: u32,
    started: Instant,
) -> anyhow::Result<()> {
    let message = error.to_string();
    let id = job.id.clone();
    if error.is_permanent() || delivery.attempt >= max_attempts {
        tracing::error!(job = %job.id, attempt = delivery.attempt, error = %message, "job failed for good");
        packer.db.run(move |conn| jobs::fail(conn, &id, &message)).await?;
        packer.metrics.dead_lettered.inc();
        packer.metrics.job_finished("failed", started.elapsed());
        delivery.dead_letter().await?;
    } else {
        tracing::warn!(job = %job.id, attempt = delivery.attempt, error = %message, "job failed; retrying");
        // If the database itself is down this fails too, and the message is
        // redelivered when the connection drops: still not lost.
        let _ = packer.db.run(move |conn| jobs::requeue(conn, &id, &message)).await;
        packer.metrics.job_finished("retried", started.elapsed());
        tokio::time::sleep(Duration::from_millis(200 * u64::from(delivery.attempt))).await;
        delivery.retry().await?;
    }
    Ok(())
}
