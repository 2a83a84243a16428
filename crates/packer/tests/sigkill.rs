//! A packer killed with SIGKILL in the middle of a job, against the real
//! RabbitMQ and PostgreSQL: the message comes back, a second packer finishes
//! the job, and no partial bundle is ever visible.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fill, month};
use insider_bulk_core::db::{bundles, jobs, now_utc};
use insider_bulk_core::domain::{FormType, JobReason};
use insider_bulk_core::queue::{JobQueue, RabbitConfig, RabbitQueue};
use insider_bulk_packer::job::GenerateJob;
use insider_bulk_testing::{amqp_url, delete_queues, files_under, unique_queue_name, TestDatabase};

fn start_packer(db: &TestDatabase, queue: &str, dir: &std::path::Path) -> Child {
    let url = match &db.url {
        insider_bulk_core::db::DatabaseUrl::Postgres(url) => url.clone(),
        other => panic!("needs PostgreSQL, got {other}"),
    };
    Command::new(env!("CARGO_BIN_EXE_insider-bulk-packer"))
        .arg("run")
        .env("DATABASE_URL", url)
        .env("QUEUE_URL", amqp_url())
        .env("QUEUE_NAME", queue)
        .env("INSIDER_BULK_DATA_DIR", dir)
        .env("BUNDLE_STORE_URL", dir.join("bundles"))
        .env("PACKER_METRICS_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start insider-bulk-packer")
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_job_then_a_second_packer_finishes_it() {
    let db = TestDatabase::postgres();
    let mut conn = db.connect();
    let (form, m) = (FormType::Form4, month("2025-08"));
    fill(&mut conn, form, m, 6000, 21);

    let queue_name = unique_queue_name();
    let config = RabbitConfig { url: amqp_url(), queue: queue_name.clone(), quorum: false };
    let queue = RabbitQueue::connect(config)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ is required for this test but is not reachable: {e}"));
    let job = GenerateJob {
        id: uuid::Uuid::new_v4().to_string(),
        form,
        month: m,
        reason: JobReason::OnDemand,
        requested_at: now_utc(),
        account_id: None,
        trace_id: None,
    };
    queue.publish(job.encode()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut first = start_packer(&db, &queue_name, dir.path());
    wait_for("the first packer to start the job", Duration::from_secs(60), || {
        jobs::get(&mut conn, &job.id).unwrap().is_some_and(|j| j.state == "running")
    });
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        bundles::get(&mut conn, form, m).unwrap().is_none(),
        "killed mid-job: the month must not be indexed (the job finished too fast to test the kill?)"
    );
    let bundle_dir = dir.path().join("bundles");
    let visible = files_under(&bundle_dir);
    assert!(visible.is_empty(), "no partial bundle is visible in the store: {visible:?}");

    let mut second = start_packer(&db, &queue_name, dir.path());
    wait_for("the second packer to finish the job", Duration::from_secs(120), || {
        jobs::get(&mut conn, &job.id).unwrap().is_some_and(|j| j.state == "succeeded")
    });
    let done = jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!(done.attempts, 2, "claimed once by each packer");
    let row = bundles::get(&mut conn, form, m).unwrap().unwrap();
    assert_eq!(row.filing_count, 6000);
    let store =
        insider_bulk_core::store::BundleStore::open(&insider_bulk_core::store::StoreUrl::Local(bundle_dir)).unwrap();
    assert_eq!(store.sha256(&row.object_key).await.unwrap(), row.sha256);

    unsafe { libc_kill(second.id() as i32) };
    let status = second.wait().unwrap();
    assert!(status.success(), "SIGTERM: the packer stops cleanly with exit 0, got {status:?}");
    delete_queues(&queue_name).await;
}

/// SIGTERM, as Kubernetes sends it.
unsafe fn libc_kill(pid: i32) {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGTERM: i32 = 15;
    kill(pid, SIGTERM);
}
