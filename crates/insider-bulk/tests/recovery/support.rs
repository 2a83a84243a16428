//! What the recovery tests share: the binaries' set-up, database and HTTP
//! reads, waits with deadlines, and signals.

#![allow(dead_code)]

pub use std::path::{Path, PathBuf};
pub use std::process::{Command, Stdio};
pub use std::time::Duration;

pub use super::common::{binary, fill, free_port, wait_ready, Process};
pub use insider_bulk_core::bundle_store::{BundleStore, StoreUrl};
pub use insider_bulk_core::db::accounts::{self, LedgerEntry};
pub use insider_bulk_core::db::jobs::{self, JobRow};
pub use insider_bulk_core::db::{bundles, outbox, Database, DatabaseUrl};
pub use insider_bulk_core::domain::{AccountId, FormType, JobId, JobState, LedgerKind, Month, Tier};
pub use insider_bulk_core::job_message::GenerateJob;
pub use insider_bulk_core::queue::{JobQueue, RabbitConfig, RabbitQueue};
pub use insider_bulk_gateway::admin;
pub use insider_bulk_testing::{
    amqp_url, delete_queues, eventually_ok, files_under, month, unique_queue_name, TestDatabase,
};

/// Filings in a month that takes several seconds to pack.
pub const BIG: usize = 6000;
pub const LEASE_SECONDS: &str = "5";
pub const REDISPATCH_SECONDS: &str = "6";

pub async fn job(db: &Database, id: &str) -> JobRow {
    let id: JobId = id.parse().unwrap();
    db.run(move |c| jobs::get(c, &id)).await.unwrap().expect("the job row exists")
}

pub async fn ledger(db: &Database, account_id: &AccountId) -> Vec<LedgerEntry> {
    let id = account_id.clone();
    db.run(move |c| accounts::ledger(c, &id)).await.unwrap()
}

/// (charges, refunds) the ledger records for `job_id`.
pub fn charges_and_refunds(entries: &[LedgerEntry], job_id: &str) -> (Vec<i64>, Vec<i64>) {
    let of = |kind: LedgerKind| {
        entries
            .iter()
            .filter(|e| e.job_id.as_ref().is_some_and(|id| id.as_str() == job_id) && e.entry_kind == kind)
            .map(|e| e.amount)
            .collect::<Vec<_>>()
    };
    (of(LedgerKind::Charge), of(LedgerKind::Refund))
}

pub async fn outbox_backlog(db: &Database) -> i64 {
    db.run(outbox::backlog).await.unwrap().0
}

/// Raw SQL through `psql` (this crate does not depend on diesel): the
/// result rows, `|`-separated.
pub fn psql(url: &str, query: &str) -> String {
    let output = Command::new("psql")
        .args([url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query])
        .output()
        .expect("psql, the PostgreSQL client, runs");
    assert!(output.status.success(), "psql {query}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

pub fn psql_count(url: &str, query: &str) -> i64 {
    psql(url, query).parse().unwrap_or_else(|e| panic!("{query}: not a count: {e}"))
}

/// One sample of a Prometheus series, 0 when absent.
pub async fn metric(http: &reqwest::Client, base: &str, series: &str) -> f64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

pub fn recovered_series(reason: &str) -> String {
    format!("insider_bulk_jobs_recovered_total{{reason=\"{reason}\"}}")
}

/// POST generate; returns the answer's job_id.
pub async fn generate(http: &reqwest::Client, base: &str, key: &str, form: u8, m: Month) -> String {
    let url = format!("{base}/api/insiders/bulk/form-{form}/generate/{}/{}?api_Token={key}", m.year(), m.month());
    let response = http.post(&url).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "generate {m}: {body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["status"], "queued", "{answer}");
    answer["job_id"].as_str().unwrap().to_owned()
}

/// GET /api/insiders/bulk/jobs/{id}: the status and the body.
pub async fn job_view(http: &reqwest::Client, base: &str, key: &str, id: &str) -> (u16, serde_json::Value) {
    let response = http.get(format!("{base}/api/insiders/bulk/jobs/{id}?api_Token={key}")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Polls the job over HTTP until its state is `state`; returns the view.
pub async fn wait_job_state(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
    state: &str,
    timeout: Duration,
    process: &Process,
) -> serde_json::Value {
    let look = || async {
        let response = http
            .get(format!("{base}/api/insiders/bulk/jobs/{id}?api_Token={key}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status() != 200 {
            return Err(format!("HTTP {}", response.status()));
        }
        let view: serde_json::Value = response.json().await.unwrap();
        if view["state"] == state {
            return Ok(view);
        }
        assert_ne!(view["state"], "failed", "the job failed: {view}; log: {}", process.log_text());
        Err(view.to_string())
    };
    let log = || format!("log of {}: {}", process.name, process.log_text());
    eventually_ok(timeout, &format!("job {id} to be {state}"), look, log).await
}

/// Messages waiting in a queue, by a passive declare that never creates
/// it: `None` when the queue does not exist.
pub async fn queue_depth(name: &str) -> Option<u32> {
    let conn = lapin::Connection::connect(&amqp_url(), Default::default()).await.expect("connect to RabbitMQ");
    let channel = conn.create_channel().await.unwrap();
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
    let depth = channel.queue_declare(name.into(), passive, Default::default()).await.ok().map(|q| q.message_count());
    let _ = conn.close(200, "done".into()).await;
    depth
}

/// A small seeded generator (xorshift64*): the kill delays of a run can be
/// replayed from the seed it prints.
pub struct Rng(pub u64);

impl Rng {
    pub fn from_time() -> Self {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        Rng(seed | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Sends `signal` (a number, as kill(1) takes it) to the process.
pub fn signal(process: &Process, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(process.child.id().to_string()).status().unwrap();
    assert!(status.success(), "kill -{signal} {}", process.name);
}

// ---------------------------------------------------------------------------
// Split mode: PostgreSQL, RabbitMQ, gateway and packer processes
// ---------------------------------------------------------------------------

pub struct Split {
    pub _test_db: TestDatabase,
    pub db: Database,
    pub pg_url: String,
    pub queue: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl Split {
    pub async fn new() -> Self {
        let test_db = TestDatabase::postgres();
        let db = Database::open(&test_db.url, 4).await.unwrap();
        let pg_url = match &test_db.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            other => panic!("split mode runs on PostgreSQL, not {other}"),
        };
        Split {
            _test_db: test_db,
            db,
            pg_url,
            queue: unique_queue_name(),
            dir: tempfile::tempdir().unwrap(),
            http: reqwest::Client::new(),
        }
    }

    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("bundles")
    }

    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.pg_url.clone()),
            ("QUEUE_URL", amqp_url()),
            ("QUEUE_NAME", self.queue.clone()),
            ("BUNDLE_STORE_URL", self.store_dir().display().to_string()),
            ("INSIDER_BULK_DATA_DIR", self.dir.path().join("data").display().to_string()),
            ("JOB_LEASE_SECONDS", LEASE_SECONDS.into()),
            ("JOB_REDISPATCH_SECONDS", REDISPATCH_SECONDS.into()),
            ("RATE_LIMIT_REDIS_URL", String::new()),
        ]
    }

    /// A gateway, once `/readyz` answers; its base URL.
    pub async fn gateway(&self, name: &str) -> (Process, String) {
        let port = free_port();
        let mut env = self.env();
        env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
        let gateway = Process::start(name, binary("insider-bulk-gateway"), &["serve"], &env, self.dir.path());
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&self.http, &format!("{base}/readyz"), &gateway).await;
        (gateway, base)
    }

    pub fn packer(&self, name: &str) -> Process {
        self.packer_with_metrics(name).0
    }

    /// A packer and the base URL of its `/metrics`.
    pub fn packer_with_metrics(&self, name: &str) -> (Process, String) {
        let mut env = self.env();
        let addr = format!("127.0.0.1:{}", free_port());
        env.push(("PACKER_METRICS_ADDR", addr.clone()));
        (Process::start(name, binary("insider-bulk-packer"), &["run"], &env, self.dir.path()), format!("http://{addr}"))
    }

    /// Until the gateway's sample of the queue shows `n` consumers.
    pub async fn wait_consumers(&self, base: &str, n: u64, gateway: &Process) {
        let look = || async {
            let consumers = metric(&self.http, base, "insider_bulk_queue_consumers").await;
            if consumers == n as f64 {
                Ok(())
            } else {
                Err(format!("{consumers} consuming"))
            }
        };
        eventually_ok(Duration::from_secs(60), &format!("{n} packer(s) consuming"), look, || gateway.log_text()).await
    }

    pub async fn wait_state(&self, id: &str, state: JobState, timeout: Duration, logs: &[&Process]) -> JobRow {
        let look = || async {
            let row = job(&self.db, id).await;
            if row.state == state {
                return Ok(row);
            }
            assert_ne!(row.state, JobState::Failed, "the job failed: {row:?}");
            Err(format!("{row:?}"))
        };
        eventually_ok(timeout, &format!("job {id} to be {state}"), look, || describe(logs)).await
    }

    pub fn count(&self, query: &str) -> i64 {
        psql_count(&self.pg_url, query)
    }
}

pub fn describe(logs: &[&Process]) -> String {
    logs.iter().map(|p| format!("\n--- log of {} ---\n{}", p.name, p.log_text())).collect()
}
