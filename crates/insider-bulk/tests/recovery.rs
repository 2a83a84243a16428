//! No job is lost: the real binaries killed, stopped, or robbed of their
//! queue messages at the worst moments, on PostgreSQL and RabbitMQ (split
//! mode) and on the one-process service's embedded default (SQLite and the
//! in-process queue). Every test ends by reading the database rows and the
//! HTTP answers: each job succeeds, is charged once, and runs once.
//!
//! Short timings throughout: a 2 s lease (renewed every second) and a
//! message counts as lost after 3 s. A "big" month (6,000 synthetic
//! filings) takes several seconds to pack, so a job is visibly `running`
//! before it can finish; every wait is "eventually, within a generous
//! deadline", never a timed assertion.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{binary, free_port, wait_ready, Process};
use insider_bulk_core::db::accounts::{self, LedgerEntry};
use insider_bulk_core::db::filings::{store_filings, FilingToStore};
use insider_bulk_core::db::jobs::{self, JobRow};
use insider_bulk_core::db::{bundles, outbox, Database, DatabaseUrl};
use insider_bulk_core::domain::{FormType, Month, Tier};
use insider_bulk_core::job_message::GenerateJob;
use insider_bulk_core::queue::{JobQueue, RabbitConfig, RabbitQueue};
use insider_bulk_core::store::{BundleStore, StoreUrl};
use insider_bulk_gateway::admin;
use insider_bulk_ingest::synth::synth_month;
use insider_bulk_testing::{amqp_url, delete_queues, files_under, unique_queue_name, TestDatabase};

/// Filings in a month that takes several seconds to pack.
const BIG: usize = 6000;
const LEASE_SECONDS: &str = "2";
const REDISPATCH_SECONDS: &str = "3";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// Gives up with `what` (and whatever `detail` says) once `timeout` passed.
struct Deadline {
    until: Instant,
    what: String,
}

impl Deadline {
    fn new(what: impl Into<String>, timeout: Duration) -> Self {
        Deadline { until: Instant::now() + timeout, what: what.into() }
    }

    /// Panics when the deadline passed, else waits a little before the next look.
    async fn tick(&self, detail: impl FnOnce() -> String) {
        if Instant::now() > self.until {
            panic!("timed out waiting for {}: {}", self.what, detail());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Loads `count` synthetic filings of `form` for `m`.
async fn fill(db: &Database, form: FormType, m: Month, count: usize, seed: u64) {
    let batch: Vec<FilingToStore> = synth_month(form, m, count, seed)
        .map(|filing| FilingToStore { filing, source: "synth".into(), is_synthetic: true })
        .collect();
    for chunk in batch.chunks(1000) {
        let chunk = chunk.to_vec();
        db.run(move |c| store_filings(c, &chunk).map(drop)).await.unwrap();
    }
}

async fn job(db: &Database, id: &str) -> JobRow {
    let id = id.to_owned();
    db.run(move |c| jobs::get(c, &id)).await.unwrap().expect("the job row exists")
}

async fn ledger(db: &Database, account_id: &str) -> Vec<LedgerEntry> {
    let id = account_id.to_owned();
    db.run(move |c| accounts::ledger(c, &id)).await.unwrap()
}

/// (charges, refunds) the ledger records for `job_id`.
fn charges_and_refunds(entries: &[LedgerEntry], job_id: &str) -> (Vec<i64>, Vec<i64>) {
    let of = |kind: &str| {
        entries
            .iter()
            .filter(|e| e.job_id.as_deref() == Some(job_id) && e.entry_kind == kind)
            .map(|e| e.amount)
            .collect::<Vec<_>>()
    };
    (of("charge"), of("refund"))
}

async fn outbox_backlog(db: &Database) -> i64 {
    db.run(outbox::backlog).await.unwrap().0
}

/// Raw SQL through `psql` (this crate does not depend on diesel): the
/// result rows, `|`-separated.
fn psql(url: &str, query: &str) -> String {
    let output = Command::new("psql")
        .args([url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query])
        .output()
        .expect("psql, the PostgreSQL client, runs");
    assert!(output.status.success(), "psql {query}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn psql_count(url: &str, query: &str) -> i64 {
    psql(url, query).parse().unwrap_or_else(|e| panic!("{query}: not a count: {e}"))
}

/// One sample of a Prometheus series, 0 when absent.
async fn metric(http: &reqwest::Client, base: &str, series: &str) -> f64 {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

fn recovered_series(reason: &str) -> String {
    format!("insider_bulk_jobs_recovered_total{{reason=\"{reason}\"}}")
}

/// POST generate; returns the answer's job_id.
async fn generate(http: &reqwest::Client, base: &str, key: &str, form: u8, m: Month) -> String {
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
async fn job_view(http: &reqwest::Client, base: &str, key: &str, id: &str) -> (u16, serde_json::Value) {
    let response = http.get(format!("{base}/api/insiders/bulk/jobs/{id}?api_Token={key}")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Polls the job over HTTP until its state is `state`; returns the view.
async fn wait_job_state(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
    state: &str,
    timeout: Duration,
    process: &Process,
) -> serde_json::Value {
    let deadline = Deadline::new(format!("job {id} to be {state}"), timeout);
    let mut last = serde_json::Value::Null;
    loop {
        if let Ok(response) = http.get(format!("{base}/api/insiders/bulk/jobs/{id}?api_Token={key}")).send().await {
            if response.status() == 200 {
                last = response.json().await.unwrap();
                if last["state"] == state {
                    return last;
                }
                assert_ne!(last["state"], "failed", "the job failed: {last}; log: {}", process.log_text());
            }
        }
        deadline.tick(|| format!("last seen {last}; log of {}: {}", process.name, process.log_text())).await;
    }
}

/// Messages waiting in a queue, by a passive declare that never creates
/// it: `None` when the queue does not exist.
async fn queue_depth(name: &str) -> Option<u32> {
    let conn = lapin::Connection::connect(&amqp_url(), Default::default()).await.expect("connect to RabbitMQ");
    let channel = conn.create_channel().await.unwrap();
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
    let depth = channel.queue_declare(name.into(), passive, Default::default()).await.ok().map(|q| q.message_count());
    let _ = conn.close(200, "done".into()).await;
    depth
}

/// A small seeded generator (xorshift64*): the kill delays of a run can be
/// replayed from the seed it prints.
struct Rng(u64);

impl Rng {
    fn from_time() -> Self {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Sends `signal` (a number, as kill(1) takes it) to the process.
fn signal(process: &Process, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(process.child.id().to_string()).status().unwrap();
    assert!(status.success(), "kill -{signal} {}", process.name);
}

/// Waits for the process to exit; its status.
fn wait_exit(process: &mut Process, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{} did not exit; log: {}", process.name, process.log_text());
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Split mode: PostgreSQL, RabbitMQ, gateway and packer processes
// ---------------------------------------------------------------------------

struct Split {
    _test_db: TestDatabase,
    db: Database,
    pg_url: String,
    queue: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Split {
    async fn new() -> Self {
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

    fn store_dir(&self) -> PathBuf {
        self.dir.path().join("bundles")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
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
    async fn gateway(&self, name: &str) -> (Process, String) {
        let port = free_port();
        let mut env = self.env();
        env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
        let gateway = Process::start(name, binary("insider-bulk-gateway"), &["serve"], &env, self.dir.path());
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&self.http, &format!("{base}/readyz"), &gateway).await;
        (gateway, base)
    }

    fn packer(&self, name: &str) -> Process {
        let mut env = self.env();
        env.push(("PACKER_METRICS_ADDR", format!("127.0.0.1:{}", free_port())));
        Process::start(name, binary("insider-bulk-packer"), &["run"], &env, self.dir.path())
    }

    /// Until the gateway's sample of the queue shows `n` consumers.
    async fn wait_consumers(&self, base: &str, n: u64, gateway: &Process) {
        let deadline = Deadline::new(format!("{n} packer(s) consuming"), Duration::from_secs(60));
        while metric(&self.http, base, "insider_bulk_queue_consumers").await != n as f64 {
            deadline.tick(|| gateway.log_text()).await;
        }
    }

    async fn wait_state(&self, id: &str, state: &str, timeout: Duration, logs: &[&Process]) -> JobRow {
        let deadline = Deadline::new(format!("job {id} to be {state}"), timeout);
        loop {
            let row = job(&self.db, id).await;
            if row.state == state {
                return row;
            }
            assert_ne!(row.state, "failed", "the job failed: {row:?}");
            deadline.tick(|| format!("{row:?}; {}", describe(logs))).await;
        }
    }

    fn count(&self, query: &str) -> i64 {
        psql_count(&self.pg_url, query)
    }
}

fn describe(logs: &[&Process]) -> String {
    logs.iter().map(|p| format!("\n--- log of {} ---\n{}", p.name, p.log_text())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_packer_s_job_is_recovered_by_the_gateway_sweeper() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-08"));
    fill(&split.db, form, m, BIG, 21).await;
    let (account, key) = admin::create_account(&split.db, "acme", Tier::Pro, 100).await.unwrap();
    let key = key.plaintext;
    let (gateway, base) = split.gateway("gateway").await;
    let mut first = split.packer("packer-1");
    split.wait_consumers(&base, 1, &gateway).await;

    let id = generate(&split.http, &base, &key, 4, m).await;
    let running = split.wait_state(&id, "running", Duration::from_secs(60), &[&gateway, &first]).await;
    assert_eq!(running.attempts, 1);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let after_kill = job(&split.db, &id).await;
    assert_eq!(after_kill.state, "running", "killed mid-job (did it finish too fast to test the kill?)");
    let indexed = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap();
    assert!(indexed.is_none(), "killed mid-job: the month must not be indexed: {indexed:?}");
    let visible = files_under(&split.store_dir());
    assert!(visible.is_empty(), "no partial bundle is visible in the store: {visible:?}");

    // The lease runs out; the gateway's sweeper queues the job again.
    let deadline = Deadline::new("the sweeper to recover the expired lease", Duration::from_secs(60));
    while metric(&split.http, &base, &recovered_series("lease_expired")).await < 1.0 {
        deadline.tick(|| format!("{:?}; {}", after_kill, gateway.log_text())).await;
    }
    let requeued = job(&split.db, &id).await;
    assert_eq!(requeued.state, "queued", "recovered: queued again, no lease: {requeued:?}");
    assert_eq!(requeued.lease_owner, None);

    let second = split.packer("packer-2");
    let done = split.wait_state(&id, "succeeded", Duration::from_secs(120), &[&gateway, &second]).await;
    assert_eq!(done.attempts, 2, "claimed once by each packer: {done:?}");
    let bundle = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap().expect("indexed");
    assert_eq!(bundle.filing_count, BIG as i64);
    assert_eq!(bundle.last_job_id.as_deref(), Some(id.as_str()));
    assert_eq!(done.result_sha256.as_deref(), Some(bundle.sha256.as_str()));
    let store = BundleStore::open(&StoreUrl::Local(split.store_dir())).unwrap();
    assert_eq!(store.sha256(&bundle.object_key).await.unwrap(), bundle.sha256, "the stored object is whole");

    let entries = ledger(&split.db, &account.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]), "charged once, never refunded: {entries:?}");
    let balance = split.db.run(move |c| accounts::get(c, &account.id)).await.unwrap().unwrap().balance;
    assert_eq!(balance, 75);
    assert!(metric(&split.http, &base, &recovered_series("lease_expired")).await >= 1.0);

    let again = generate(&split.http, &base, &key, 4, m).await;
    assert_ne!(again, id, "a finished job is not joined: a new call gets a new job");
    split.wait_state(&again, "succeeded", Duration::from_secs(120), &[&gateway, &second]).await;
    let mut second = second;
    signal(&second, "TERM");
    let status = wait_exit(&mut second, Duration::from_secs(60));
    assert!(status.success(), "SIGTERM: the packer stops cleanly with exit 0, got {status:?}");
    drop(second);
    drop(gateway);
    delete_queues(&split.queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_enqueue_at_random_loses_no_job() {
    let split = Split::new().await;
    let form = FormType::Form4;
    // A few months with filings; the others are empty, and an empty month packs too.
    for (m, seed) in [("2020-03", 1), ("2021-07", 2), ("2021-12", 3)] {
        fill(&split.db, form, month(m), 40, seed).await;
    }
    let mut rng = Rng::from_time();
    println!("kill delays seeded with {}", rng.0);

    let enqueue = ["enqueue", "--form", "4", "--from", "2020-01", "--to", "2021-12"];
    let killed = kill_at_random(&split, "enqueue", &enqueue, 20, 80, &mut rng);
    println!("enqueue: {killed} of 20 runs were killed before they finished");
    run_to_completion(&split, "enqueue-final", &enqueue);

    // Each of the 24 months has exactly one job, each with its message on the way.
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 24);
    assert_eq!(split.count("SELECT count(DISTINCT period_month) FROM jobs WHERE form_type = 4"), 24);
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 24);
    assert_eq!(split.count("SELECT count(*) FROM outbox"), 24, "every job committed with its outbox row");
    assert_eq!(
        split.count("SELECT count(*) FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)"),
        0
    );

    let (gateway, _) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    wait_all_succeeded(&split, 24, Duration::from_secs(180), &[&gateway, &packer]).await;
    assert_eq!(split.count("SELECT count(*) FROM bundles WHERE form_type = 4"), 24, "every month indexed");
    drop(packer);
    drop(gateway);

    // The nightly run, killed the same way: it enqueues the recent months
    // whose filings changed, of every form (and moves the old bundles to
    // the cold tier).
    let recent: Vec<Month> = {
        let last = Month::current().previous().unwrap();
        vec![last, last.previous().unwrap(), last.previous().unwrap().previous().unwrap()]
    };
    for (n, m) in recent.iter().enumerate() {
        for f in FormType::ALL {
            fill(&split.db, f, *m, 30, 10 + n as u64).await;
        }
    }
    let killed = kill_at_random(&split, "nightly", &["nightly"], 10, 150, &mut rng);
    println!("nightly: {killed} of 10 runs were killed before they finished");
    run_to_completion(&split, "nightly-final", &["nightly"]);
    let in_recent = recent.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let nightly_jobs = format!(
        "SELECT count(*) FROM (SELECT DISTINCT form_type, period_month FROM jobs \
         WHERE period_month IN ({in_recent}) AND reason = 'nightly') months"
    );
    assert_eq!(
        (split.count(&nightly_jobs), split.count("SELECT count(*) FROM jobs WHERE reason = 'nightly'")),
        (9, 9),
        "one nightly job per changed month and form: {}",
        psql(&split.pg_url, "SELECT id, form_type, period_month, reason, state FROM jobs ORDER BY period_month")
    );
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 24 + 9);
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 9);
    assert_eq!(split.count("SELECT count(*) FROM outbox"), 9);
    let (gateway, _) = split.gateway("gateway-2").await;
    let packer = split.packer("packer-2");
    wait_all_succeeded(&split, 24 + 9, Duration::from_secs(120), &[&gateway, &packer]).await;
    let cold = split.count("SELECT count(*) FROM bundles WHERE period_month < '2022-01' AND storage = 'cold'");
    assert_eq!(cold, 24, "the finished nightly run moved every old month to the cold tier");
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// Runs the packer subcommand `runs` times, each SIGKILLed after a random
/// delay below `max_millis`; returns how many were killed before exiting.
fn kill_at_random(split: &Split, name: &str, args: &[&str], runs: usize, max_millis: u64, rng: &mut Rng) -> usize {
    let mut killed = 0;
    for n in 0..runs {
        let delay = Duration::from_millis(rng.below(max_millis));
        let mut process =
            Process::start(&format!("{name}-{n}"), binary("insider-bulk-packer"), args, &split.env(), split.dir.path());
        std::thread::sleep(delay);
        if process.child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        process.child.kill().unwrap();
        let status = process.child.wait().unwrap();
        // Either killed, or it had finished: never a failure of its own.
        assert!(status.code().is_none_or(|c| c == 0), "{name} run {n} failed: {}", process.log_text());
        assert_no_month_with_two_open_jobs(split);
        let queued = split.count("SELECT count(*) FROM jobs WHERE state = 'queued'");
        let messages = split.count("SELECT count(*) FROM outbox");
        println!("{name} run {n}: SIGKILL after {delay:?} ({status}): {queued} queued jobs, {messages} outbox rows");
        let unsent = "SELECT count(*) FROM jobs j WHERE state = 'queued' \
                      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)";
        assert_eq!(split.count(unsent), 0, "a job was committed without its outbox row");
        assert_eq!(queued, messages, "one outbox row per queued job");
    }
    killed
}

fn run_to_completion(split: &Split, name: &str, args: &[&str]) {
    let mut process = Process::start(name, binary("insider-bulk-packer"), args, &split.env(), split.dir.path());
    let status = wait_exit(&mut process, Duration::from_secs(120));
    assert!(status.success(), "{name}: {status:?}: {}", process.log_text());
}

fn assert_no_month_with_two_open_jobs(split: &Split) {
    let doubled = psql(
        &split.pg_url,
        "SELECT form_type, period_month, count(*) FROM jobs WHERE state IN ('queued', 'running') \
         GROUP BY form_type, period_month HAVING count(*) > 1",
    );
    assert!(doubled.is_empty(), "months with more than one open job: {doubled}");
}

async fn wait_all_succeeded(split: &Split, total: i64, timeout: Duration, logs: &[&Process]) {
    let deadline = Deadline::new(format!("all {total} jobs to succeed"), timeout);
    loop {
        assert_no_month_with_two_open_jobs(split);
        assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'failed'"), 0, "{}", describe(logs));
        if split.count("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == total {
            assert_eq!(split.count("SELECT count(*) FROM jobs"), total);
            return;
        }
        deadline
            .tick(|| {
                format!(
                    "{}; {}",
                    psql(&split.pg_url, "SELECT period_month, state, attempts FROM jobs ORDER BY period_month"),
                    describe(logs)
                )
            })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_queue_and_a_deleted_queue_lose_no_job() {
    let split = Split::new().await;
    let (account, key) = admin::create_account(&split.db, "acme", Tier::Pro, 1000).await.unwrap();
    let key = key.plaintext;
    let (gateway, base) = split.gateway("gateway").await;
    let lost = recovered_series("message_lost");

    // Purged: the messages are gone, the jobs are still queued in the database.
    let months: Vec<Month> = ["2024-01", "2024-02", "2024-03", "2024-04"].map(month).to_vec();
    let ids = generate_and_wait_in_queue(&split, &base, &key, &months, &gateway).await;
    let conn = lapin::Connection::connect(&amqp_url(), Default::default()).await.unwrap();
    let channel = conn.create_channel().await.unwrap();
    let purged = channel.queue_purge(split.queue.as_str().into(), Default::default()).await.unwrap();
    assert_eq!(purged, 4, "the four messages were purged");
    let mut packer = split.packer("packer-1");
    for id in &ids {
        let done = split.wait_state(id, "succeeded", Duration::from_secs(120), &[&gateway, &packer]).await;
        assert!(done.attempts >= 2, "the lost message counts an attempt, the run another: {done:?}");
    }
    assert!(metric(&split.http, &base, &lost).await >= 4.0, "four messages were recovered as lost");
    packer.terminate();

    // Deleted: nothing can route to the queue until someone declares it again.
    let months: Vec<Month> = ["2024-05", "2024-06", "2024-07", "2024-08"].map(month).to_vec();
    let more = generate_and_wait_in_queue(&split, &base, &key, &months, &gateway).await;
    channel.queue_delete(split.queue.as_str().into(), Default::default()).await.unwrap();
    assert_eq!(queue_depth(&split.queue).await, None, "the queue is gone");
    let _ = conn.close(200, "done".into()).await;
    let packer = split.packer("packer-2");
    for id in &more {
        let done = split.wait_state(id, "succeeded", Duration::from_secs(120), &[&gateway, &packer]).await;
        assert!(done.attempts >= 2, "{done:?}");
    }
    assert!(queue_depth(&split.queue).await.is_some(), "the packer declared the queue again");
    assert!(metric(&split.http, &base, &lost).await >= 8.0, "four more messages were recovered as lost");

    // Eight jobs, eight charges, no refund.
    let entries = ledger(&split.db, &account.id).await;
    for id in ids.iter().chain(&more) {
        assert_eq!(charges_and_refunds(&entries, id), (vec![-25], vec![]), "{entries:?}");
    }
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 8);
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// Not one of the faults above: nothing is killed and no message is lost.
/// A backfill of months that each take a few seconds to pack waits in the
/// queue behind one packer; every job should run once and succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_waiting_behind_one_packer_is_not_taken_for_lost_messages() {
    let split = Split::new().await;
    let months: Vec<Month> = (1..=10).map(|n| month(&format!("2023-{n:02}"))).collect();
    for (n, m) in months.iter().enumerate() {
        fill(&split.db, FormType::Form4, *m, 2000, 40 + n as u64).await;
    }
    // Recorded before any gateway runs: the relay publishes them as one batch.
    run_to_completion(&split, "enqueue", &["enqueue", "--form", "4", "--from", "2023-01", "--to", "2023-10"]);
    let (gateway, base) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    let deadline = Deadline::new("every job to finish", Duration::from_secs(300));
    while split.count("SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed')") < 10 {
        deadline.tick(|| psql(&split.pg_url, "SELECT period_month, state, attempts FROM jobs ORDER BY 1")).await;
    }
    let jobs = psql(&split.pg_url, "SELECT period_month, state, attempts, error FROM jobs ORDER BY period_month");
    let lost = metric(&split.http, &base, &recovered_series("message_lost")).await;
    println!("message_lost recoveries: {lost}\n{jobs}");
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'failed'"), 0, "jobs failed for good:\n{jobs}");
    // The design allows one false "lost" per job (a duplicate message and one attempt), not a run of them.
    assert_eq!(
        split.count("SELECT count(*) FROM jobs WHERE attempts > 2"),
        0,
        "jobs recovered again and again:\n{jobs}"
    );
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// One generate call per month with no packer running; waits until the
/// relay published them all (the outbox is empty) and the queue holds them.
async fn generate_and_wait_in_queue(
    split: &Split,
    base: &str,
    key: &str,
    months: &[Month],
    gateway: &Process,
) -> Vec<String> {
    let before = queue_depth(&split.queue).await.unwrap_or(0);
    assert_eq!(before, 0, "the queue starts empty");
    let mut ids = Vec::new();
    for m in months {
        ids.push(generate(&split.http, base, key, 4, *m).await);
    }
    let deadline = Deadline::new("the relay to publish every job", Duration::from_secs(60));
    loop {
        let (backlog, depth) = (outbox_backlog(&split.db).await, queue_depth(&split.queue).await);
        if backlog == 0 && depth == Some(months.len() as u32) {
            break;
        }
        deadline.tick(|| format!("outbox {backlog}, queue {depth:?}; {}", gateway.log_text())).await;
    }
    for id in &ids {
        let row = job(&split.db, id).await;
        assert_eq!(row.state, "queued");
        assert!(row.dispatched_at.is_some(), "the relay stamped the dispatch: {row:?}");
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_delivered_twice_packs_the_month_once() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-07"));
    fill(&split.db, form, m, BIG, 22).await;
    let (_, key) = admin::create_account(&split.db, "acme", Tier::Pro, 100).await.unwrap();
    let (gateway, base) = split.gateway("gateway").await;
    let packers = [split.packer("packer-1"), split.packer("packer-2")];
    split.wait_consumers(&base, 2, &gateway).await;
    let logs = [&gateway, &packers[0], &packers[1]];

    let id = generate(&split.http, &base, &key.plaintext, 4, m).await;
    let running = split.wait_state(&id, "running", Duration::from_secs(60), &logs).await;
    // The same message again, while the first delivery runs.
    let rabbit = RabbitQueue::connect(RabbitConfig { url: amqp_url(), queue: split.queue.clone(), quorum: false })
        .await
        .unwrap();
    rabbit.publish(GenerateJob::from_row(&running).unwrap().encode()).await.unwrap();
    let deadline = Deadline::new("the other packer to settle the duplicate", Duration::from_secs(60));
    while !packers.iter().any(|p| p.log_text().contains("HeldElsewhere")) {
        deadline.tick(|| describe(&logs)).await;
    }
    let still = job(&split.db, &id).await;
    assert_eq!(still.state, "running", "the duplicate arrived while the job ran: {still:?}");

    let done = split.wait_state(&id, "succeeded", Duration::from_secs(120), &logs).await;
    assert_eq!(done.attempts, 1, "the duplicate did not count as a run: {done:?}");
    assert_eq!(done.lease_owner, None);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rabbit.depth().await.unwrap(), 0, "both messages were settled");
    let written: Vec<PathBuf> = files_under(&split.store_dir())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(&format!("form-4-{m}"))))
        .collect();
    assert_eq!(written.len(), 1, "the month was packed once: {written:?}");
    let bundle = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap().unwrap();
    assert_eq!(bundle.last_job_id.as_deref(), Some(id.as_str()));
    assert!(written[0].ends_with(&bundle.object_key), "{written:?} vs {}", bundle.object_key);
    drop(packers);
    drop(gateway);
    delete_queues(&split.queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_another_account_s_job_lets_it_see_the_job() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-06"));
    fill(&split.db, form, m, BIG, 23).await;
    let (a, a_key) = admin::create_account(&split.db, "alpha", Tier::Pro, 100).await.unwrap();
    let (b, b_key) = admin::create_account(&split.db, "beta", Tier::Pro, 100).await.unwrap();
    let (_, c_key) = admin::create_account(&split.db, "gamma", Tier::Pro, 100).await.unwrap();
    let (a_key, b_key, c_key) = (a_key.plaintext, b_key.plaintext, c_key.plaintext);
    let (gateway, base) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    split.wait_consumers(&base, 1, &gateway).await;

    let id = generate(&split.http, &base, &a_key, 4, m).await;
    let joined = generate(&split.http, &base, &b_key, 4, m).await;
    assert_eq!(joined, id, "the month's open job is joined");
    let open = job(&split.db, &id).await;
    assert!(open.state == "queued" || open.state == "running", "B joined an open job: {open:?}");

    let (status, view) = job_view(&split.http, &base, &b_key, &id).await;
    assert_eq!(status, 200, "B joined the job and may see it: {view}");
    assert_eq!(view["job_id"], id.as_str());
    let (status, _) = job_view(&split.http, &base, &c_key, &id).await;
    assert_eq!(status, 404, "an account that did not join learns nothing");

    let entries = ledger(&split.db, &b.id).await;
    assert_eq!(entries.len(), 1, "B: only its grant, no charge: {entries:?}");
    assert_eq!(entries[0].entry_kind, "grant");
    let entries = ledger(&split.db, &a.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]));

    split.wait_state(&id, "succeeded", Duration::from_secs(120), &[&gateway, &packer]).await;
    let (status, view) = job_view(&split.http, &base, &b_key, &id).await;
    assert_eq!((status, view["state"].as_str()), (200, Some("succeeded")), "{view}");
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

// ---------------------------------------------------------------------------
// The one-process service on its embedded default: SQLite and the
// in-process queue under one data directory
// ---------------------------------------------------------------------------

struct OneProcess {
    dir: tempfile::TempDir,
    port: u16,
    http: reqwest::Client,
}

impl OneProcess {
    fn new() -> Self {
        OneProcess { dir: tempfile::tempdir().unwrap(), port: free_port(), http: reqwest::Client::new() }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The embedded default whatever the caller's environment says: empty
    /// values count as unset.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("INSIDER_BULK_DATA_DIR", self.data_dir().display().to_string()),
            ("DATABASE_URL", String::new()),
            ("QUEUE_URL", String::new()),
            ("BUNDLE_STORE_URL", String::new()),
            ("RATE_LIMIT_REDIS_URL", String::new()),
            ("GATEWAY_ADDR", format!("127.0.0.1:{}", self.port)),
            ("JOB_LEASE_SECONDS", LEASE_SECONDS.into()),
            ("JOB_REDISPATCH_SECONDS", REDISPATCH_SECONDS.into()),
            ("PACKER_GRACE_SECONDS", "1".into()),
        ]
    }

    /// `insider-bulk-ingest synth` into the data directory.
    fn synth(&self, m: Month, filings: usize, seed: u64) {
        let output = Command::new(binary("insider-bulk-ingest"))
            .args(["synth", "--form", "4", "--month", &m.to_string()])
            .args(["--filings", &filings.to_string(), "--seed", &seed.to_string()])
            .envs(self.env())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success(), "synth {m}: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Starts the service; on the first start, returns the demo key of its banner.
    async fn start(&self, name: &str, first: bool) -> (Process, Option<String>) {
        let mut service = Process::start(name, binary("insider-bulk"), &[], &self.env(), self.dir.path());
        let key = if first {
            let mut key = None;
            service.read_until(Duration::from_secs(120), |line| {
                if let Some(k) = line.trim().strip_prefix("ibk_") {
                    key = Some(format!("ibk_{k}"));
                }
                line.trim_start().starts_with("curl ").then_some(())
            });
            Some(key.expect("the banner shows the demo key"))
        } else {
            service.read_until(Duration::from_secs(120), |line| line.contains("accounts exist already").then_some(()));
            None
        };
        wait_ready(&self.http, &format!("{}/readyz", self.base()), &service).await;
        (service, key)
    }

    /// The database the service runs on, opened beside it.
    async fn db(&self) -> Database {
        Database::open(&DatabaseUrl::Sqlite(self.data_dir().join("insider-bulk.sqlite3")), 2).await.unwrap()
    }

    async fn demo_account(&self) -> accounts::AccountRow {
        let all = self.db().await.run(accounts::list).await.unwrap();
        assert_eq!(all.len(), 1, "one demo account: {all:?}");
        all.into_iter().next().unwrap()
    }
}

fn data_file_exists(dir: &Path) -> bool {
    dir.join("insider-bulk.sqlite3").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_sigkill_mid_job_then_restart_finishes_it() {
    let one = OneProcess::new();
    let m = month("2026-08");
    one.synth(m, BIG, 21);
    assert!(data_file_exists(&one.data_dir()), "synth wrote the embedded database under the data dir");
    let (mut service, key) = one.start("insider-bulk", true).await;
    let key = key.unwrap();
    let base = one.base();

    let id = generate(&one.http, &base, &key, 4, m).await;
    let view = wait_job_state(&one.http, &base, &key, &id, "running", Duration::from_secs(60), &service).await;
    assert_eq!(view["attempts"], 1);
    service.child.kill().unwrap();
    service.child.wait().unwrap();
    let db = one.db().await;
    let killed = job(&db, &id).await;
    assert_eq!(killed.state, "running", "killed mid-job (did it finish too fast to test the kill?)");
    assert!(db.run(move |c| bundles::get(c, FormType::Form4, m)).await.unwrap().is_none(), "nothing indexed");

    let (again, _) = one.start("insider-bulk-again", false).await;
    let done = wait_job_state(&one.http, &base, &key, &id, "succeeded", Duration::from_secs(120), &again).await;
    assert_eq!(done["attempts"], 2, "run once before the kill and once after: {done}");
    assert!(again.log_text().contains("queued again 1 job(s) left open by the previous run"), "{}", again.log_text());
    assert_eq!(metric(&one.http, &base, &recovered_series("process_restart")).await, 1.0);
    let bundle = db.run(move |c| bundles::get(c, FormType::Form4, m)).await.unwrap().expect("indexed");
    assert_eq!(bundle.filing_count, BIG as i64);
    assert_eq!(bundle.last_job_id.as_deref(), Some(id.as_str()));

    let account = one.demo_account().await;
    let entries = ledger(&db, &account.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]), "one charge of 25, no refund: {entries:?}");
    assert_eq!(entries.iter().filter(|e| e.entry_kind == "refund").count(), 0);
    assert_eq!(account.balance, 1000 - 25);

    let later = generate(&one.http, &base, &key, 4, m).await;
    assert_ne!(later, id, "a finished job is not joined: a new call gets a new job");
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_sigterm_with_a_job_waiting_loses_nothing() {
    let one = OneProcess::new();
    let (a, b) = (month("2026-07"), month("2026-06"));
    one.synth(a, BIG, 31);
    one.synth(b, 300, 32);
    let (mut service, key) = one.start("insider-bulk", true).await;
    let key = key.unwrap();
    let base = one.base();

    let job_a = generate(&one.http, &base, &key, 4, a).await;
    wait_job_state(&one.http, &base, &key, &job_a, "running", Duration::from_secs(60), &service).await;
    let job_b = generate(&one.http, &base, &key, 4, b).await;
    // B's message left the outbox for the in-process queue, which dies with the process.
    let live = one.db().await;
    let deadline = Deadline::new("the relay to hand B to the in-process queue", Duration::from_secs(60));
    while job(&live, &job_b).await.dispatched_at.is_none() || outbox_backlog(&live).await > 0 {
        deadline.tick(|| service.log_text()).await;
    }
    let (_, view_b) = job_view(&one.http, &base, &key, &job_b).await;
    assert_eq!(view_b["state"], "queued", "B waits behind A: {view_b}");
    let (_, view_a) = job_view(&one.http, &base, &key, &job_a).await;
    assert_eq!(view_a["state"], "running", "A still runs when the stop comes: {view_a}");

    signal(&service, "TERM");
    let status = wait_exit(&mut service, Duration::from_secs(90));
    assert!(status.success(), "SIGTERM: a clean stop, got {status:?}: {}", service.log_text());
    let db = one.db().await;
    for id in [&job_a, &job_b] {
        let row = job(&db, id).await;
        assert!(row.state == "queued" || row.state == "succeeded", "left open for the next start, or done: {row:?}");
    }

    let (again, _) = one.start("insider-bulk-again", false).await;
    for id in [&job_a, &job_b] {
        wait_job_state(&one.http, &base, &key, id, "succeeded", Duration::from_secs(120), &again).await;
    }
    let account = one.demo_account().await;
    let entries = ledger(&db, &account.id).await;
    for id in [&job_a, &job_b] {
        assert_eq!(charges_and_refunds(&entries, id), (vec![-25], vec![]), "{entries:?}");
    }
    for (id, m) in [(&job_a, a), (&job_b, b)] {
        let bundle = db.run(move |c| bundles::get(c, FormType::Form4, m)).await.unwrap().expect("indexed");
        assert_eq!(bundle.last_job_id.as_deref(), Some(id.as_str()));
    }
    drop(again);
}
