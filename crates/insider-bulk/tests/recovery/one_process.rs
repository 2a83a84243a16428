//! Recovery in the one-process service on its embedded default (SQLite and
//! the in-process queue), killed or stopped and started again.

use super::support::*;

pub struct OneProcess {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub http: reqwest::Client,
}

impl OneProcess {
    pub fn new() -> Self {
        OneProcess { dir: tempfile::tempdir().unwrap(), port: free_port(), http: reqwest::Client::new() }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The embedded default whatever the caller's environment says: empty
    /// values count as unset.
    pub fn env(&self) -> Vec<(&'static str, String)> {
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
    pub fn synth(&self, m: Month, filings: usize, seed: u64) {
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
    pub async fn start(&self, name: &str, first: bool) -> (Process, Option<String>) {
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
    pub async fn db(&self) -> Database {
        Database::open(&DatabaseUrl::Sqlite(self.data_dir().join("insider-bulk.sqlite3")), 2).await.unwrap()
    }

    pub async fn demo_account(&self) -> accounts::AccountRow {
        let all = self.db().await.run(accounts::list).await.unwrap();
        assert_eq!(all.len(), 1, "one demo account: {all:?}");
        all.into_iter().next().unwrap()
    }
}

pub fn data_file_exists(dir: &Path) -> bool {
    dir.join("insider-bulk.sqlite3").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub async fn one_process_sigkill_mid_job_then_restart_finishes_it() {
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
    assert_eq!(killed.state, JobState::Running, "killed mid-job (did it finish too fast to test the kill?)");
    assert!(db.run(move |c| bundles::get(c, FormType::Form4, m)).await.unwrap().is_none(), "nothing indexed");

    let (again, _) = one.start("insider-bulk-again", false).await;
    let done = wait_job_state(&one.http, &base, &key, &id, "succeeded", Duration::from_secs(120), &again).await;
    assert_eq!(done["attempts"], 2, "run once before the kill and once after: {done}");
    assert!(again.log_text().contains("queued again 1 job(s) left open by the previous run"), "{}", again.log_text());
    assert_eq!(metric(&one.http, &base, &recovered_series("process_restart")).await, 1.0);
    let bundle = db.run(move |c| bundles::get(c, FormType::Form4, m)).await.unwrap().expect("indexed");
    assert_eq!(bundle.filing_count, BIG as i64);
    assert_eq!(bundle.last_job_id.as_ref().map(JobId::as_str), Some(id.as_str()));

    let account = one.demo_account().await;
    let entries = ledger(&db, &account.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]), "one charge of 25, no refund: {entries:?}");
    assert_eq!(entries.iter().filter(|e| e.entry_kind == LedgerKind::Refund).count(), 0);
    assert_eq!(account.balance, 1000 - 25);

    let later = generate(&one.http, &base, &key, 4, m).await;
    assert_ne!(later, id, "a finished job is not joined: a new call gets a new job");
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub async fn one_process_sigterm_with_a_job_waiting_loses_nothing() {
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
    let handed_over = || async {
        let (row, backlog) = (job(&live, &job_b).await, outbox_backlog(&live).await);
        if row.dispatched_at.is_some() && backlog == 0 {
            Ok(())
        } else {
            Err(format!("outbox {backlog}; {row:?}"))
        }
    };
    let what = "the relay to hand B to the in-process queue";
    eventually_ok(Duration::from_secs(60), what, handed_over, || service.log_text()).await;
    let (_, view_b) = job_view(&one.http, &base, &key, &job_b).await;
    assert_eq!(view_b["state"], "queued", "B waits behind A: {view_b}");
    let (_, view_a) = job_view(&one.http, &base, &key, &job_a).await;
    assert_eq!(view_a["state"], "running", "A still runs when the stop comes: {view_a}");

    signal(&service, "TERM");
    let status = service.wait_exit(Duration::from_secs(90));
    assert!(status.success(), "SIGTERM: a clean stop, got {status:?}: {}", service.log_text());
    let db = one.db().await;
    for id in [&job_a, &job_b] {
        let row = job(&db, id).await;
        assert!(
            row.state == JobState::Queued || row.state == JobState::Succeeded,
            "left open for the next start, or done: {row:?}"
        );
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
        assert_eq!(bundle.last_job_id.as_ref().map(JobId::as_str), Some(id.as_str()));
    }
    drop(again);
}
