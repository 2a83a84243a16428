//! A job that keeps failing is retried (through the outbox) up to the
//! limit, then marked failed and moved to the dead-letter queue: never
//! retried forever, never lost.

mod common;

use std::time::Duration;

use common::{enqueue, fill, job, job_row_when, packer, relay};
use insider_bulk_core::db::jobs;
use insider_bulk_core::domain::{FormType, JobReason, JobState};
use insider_bulk_core::queue::{JobQueue, MemoryQueue};
use insider_bulk_packer::worker;
use insider_bulk_testing::{month, Backend};

#[tokio::test(flavor = "multi_thread")]
async fn fails_for_good_after_the_attempt_limit() {
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form4, month("2025-03"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, m, 20, 6);
    // The store can never be written: every attempt fails.
    let blocker = fx.store_dir.path().join("bundles/hot/form-4/2025");
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, b"in the way").unwrap();

    let queue = MemoryQueue::new();
    let job = job(form, m, JobReason::OnDemand);
    enqueue(&fx.packer.db, &job).await;
    let relay = relay(fx.packer.db.clone(), queue.clone());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let config = worker::WorkerConfig { prefetch: 1, grace: Duration::from_secs(5) };
    let strict = insider_bulk_packer::job::Packer { max_attempts: 3, ..fx.packer.clone() };
    let running = tokio::spawn(worker::run(strict, queue.clone(), config, shutdown));
    job_row_when(&mut conn, &job.id, "the job to fail for good", |j| j.state == JobState::Failed).await;
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    relay.stop().await;
    let failed = jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 3));
    assert!(failed.error.unwrap().contains("bundle store"), "the reason is kept");
    assert_eq!(queue.dead_letters(), vec![job.encode()], "the message is in the dead-letter queue");
    assert_eq!(queue.depth().await.unwrap(), 0);
}
