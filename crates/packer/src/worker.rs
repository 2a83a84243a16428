//! The consume loop: one job at a time per prefetch slot. The database is
//! the truth about a job, so every delivery is acked once the job's row
//! says what happened (done, queued again through the outbox, failed, or
//! held by another packer). On shutdown it stops taking jobs and gives the
//! current one a grace period; a job cut short is released to the queue.

use std::time::Duration;

use insider_bulk_core::queue::{Delivery, JobConsumer, JobQueue};
use tokio::sync::watch;

use crate::job::{GenerateJob, Outcome, Packer};

pub struct WorkerConfig {
    pub prefetch: u16,
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
        let Some(job) = decode(&packer, delivery).await? else { continue };
        let (message, delivery) = job;
        let run = handle(&packer, &message, delivery);
        tokio::pin!(run);
        tokio::select! {
            result = &mut run => result?,
            _ = stopped(&mut shutdown) => {
                tracing::info!(grace = ?config.grace, "shutdown requested; finishing the current job");
                if tokio::time::timeout(config.grace, &mut run).await.is_err() {
                    tracing::warn!(job = %message.id, "grace period over; giving the job back to the queue");
                    match packer.release(&message.id).await {
                        Ok(_) => {}
                        // The lease runs out and the sweeper queues it again.
                        Err(e) => tracing::warn!(job = %message.id, error = %e, "cannot release the job"),
                    }
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

/// The job a delivery names; an undecodable message goes to the dead letters.
async fn decode(packer: &Packer, delivery: Delivery) -> anyhow::Result<Option<(GenerateJob, Delivery)>> {
    match GenerateJob::decode(&delivery.payload) {
        Ok(job) => Ok(Some((job, delivery))),
        Err(e) => {
            tracing::error!(error = %e, bytes = delivery.payload.len(), "dead-lettering an undecodable message");
            packer.metrics.dead_lettered.inc();
            packer.metrics.job_finished("undecodable", Duration::ZERO);
            delivery.dead_letter().await?;
            Ok(None)
        }
    }
}

async fn handle(packer: &Packer, job: &GenerateJob, delivery: Delivery) -> anyhow::Result<()> {
    match packer.run(job).await {
        Ok(outcome) => {
            tracing::info!(job = %job.id, form = %job.form, month = %job.month, ?outcome, "delivery settled");
            if matches!(outcome, Outcome::Failed { .. }) {
                packer.metrics.dead_lettered.inc();
                delivery.dead_letter().await?;
            } else {
                delivery.ack().await?;
            }
        }
        Err(e) => {
            // The database could not record what happened: give the message
            // back after a pause and let it come round again.
            tracing::warn!(job = %job.id, error = %e, "cannot record the job's run; returning its message");
            tokio::time::sleep(Duration::from_secs(1)).await;
            delivery.requeue().await?;
        }
    }
    Ok(())
}
