//! Shared set-up of the packer tests: a database with a synthetic month,
//! a local bundle store, a packer.

#![allow(dead_code)]

use std::sync::Arc;

use insider_bulk_core::bundle_store::{BundleStore, StoreUrl};
use insider_bulk_core::db::{jobs, now_utc, Database, DbConnection};
use insider_bulk_core::dispatch::Dispatcher;
use insider_bulk_core::domain::{FormType, JobId, Month};
use insider_bulk_core::queue::{AnyQueue, MemoryQueue};
use insider_bulk_ingest::synth::store_synthetic;
use insider_bulk_packer::job::GenerateJob;
use insider_bulk_packer::job::Packer;
use insider_bulk_packer::metrics::Metrics;
use insider_bulk_testing::{eventually_ok, Backend, TestDatabase};

/// Loads `count` synthetic filings of `form` for `month`.
pub fn fill(conn: &mut DbConnection, form: FormType, month: Month, count: usize, seed: u64) {
    store_synthetic(conn, form, month, count, seed, "synth").expect("store the synthetic filings");
}

pub struct Fixture {
    pub test_db: TestDatabase,
    pub packer: Packer,
    pub store_dir: tempfile::TempDir,
}

/// Waits until job `id`'s row is `done`, and returns it.
pub async fn job_row_when(
    conn: &mut DbConnection,
    id: &insider_bulk_core::domain::JobId,
    what: &str,
    done: impl Fn(&jobs::JobRow) -> bool,
) -> jobs::JobRow {
    let look = || {
        let seen = match jobs::get(conn, id).expect("read the job row") {
            Some(row) if done(&row) => Ok(row),
            other => Err(format!("{other:?}")),
        };
        std::future::ready(seen)
    };
    eventually_ok(std::time::Duration::from_secs(30), what, look, String::new).await
}

pub async fn packer(backend: Backend) -> Fixture {
    let test_db = TestDatabase::new(backend);
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let store = BundleStore::open(&StoreUrl::Local(store_dir.path().join("bundles"))).unwrap();
    let packer = Packer {
        db,
        store,
        metrics: Arc::new(Metrics::new()),
        staging_dir: store_dir.path().join("staging"),
        lease: Packer::new_lease(std::time::Duration::from_secs(10)),
        max_attempts: 5,
    };
    Fixture { test_db, packer, store_dir }
}

/// A job message for `form` and `month`, as an account would have asked.
pub fn job(form: FormType, month: Month, reason: insider_bulk_core::domain::JobReason) -> GenerateJob {
    GenerateJob {
        id: JobId::random(),
        form,
        month,
        reason,
        requested_at: now_utc(),
        account_id: Some("acct".parse().unwrap()),
        trace_id: None,
    }
}

/// Writes a job through the one door (row and outbox message).
pub async fn enqueue(db: &Database, job: &GenerateJob) {
    let row = job.queued_row();
    db.run(move |conn| jobs::enqueue(conn, &row)).await.unwrap();
}

/// The dispatcher a packer's `run` hosts, relaying to `queue`: its
/// relay, sweeper and monitor run until [`Running::stop`] or a drop.
pub fn relay(db: Database, queue: MemoryQueue) -> Running {
    let config = insider_bulk_core::config::Config::from_lookup(|_| None).unwrap().dispatch;
    let registry = prometheus::Registry::new();
    let dispatcher = Dispatcher::new(db, AnyQueue::Memory(queue), &registry, config);
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    Running { tasks: dispatcher.spawn(shutdown), stop }
}

pub struct Running {
    tasks: tokio::task::JoinSet<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Running {
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}
