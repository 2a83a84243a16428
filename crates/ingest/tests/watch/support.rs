//! The watcher as its own process against the fake EDGAR, a test database
//! and a test queue; and what the tests read back.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use insider_bulk_core::db::{DatabaseUrl, DbConnection};
use insider_bulk_core::queue::{JobQueue, RabbitConfig, RabbitQueue};
use insider_bulk_testing::{amqp_url, delete_queues, eventually_ok, unique_queue_name, TestDatabase};

/// Generous: a poll a second, a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A test's database and queue, dropped with it.
pub struct Env {
    pub db: TestDatabase,
    pub queue: String,
    pub edgar_port: u16,
    logs: tempfile::TempDir,
    runs: usize,
}

impl Env {
    pub fn new(edgar_port: u16) -> Self {
        let db = TestDatabase::postgres();
        drop(db.connect());
        Env { db, queue: unique_queue_name(), edgar_port, logs: tempfile::tempdir().unwrap(), runs: 0 }
    }

    pub fn conn(&self) -> DbConnection {
        self.db.connect()
    }

    /// Starts `insider-bulk-ingest watch` with test settings (a poll a
    /// second, retries after 1 s, 3 attempts) and `extra` environment.
    pub fn start(&mut self, extra: &[(&str, &str)]) -> Watcher {
        self.runs += 1;
        let log = self.logs.path().join(format!("watch-{}.log", self.runs));
        let metrics_port = free_port();
        let url = match &self.db.url {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            other => other.to_string(),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"));
        command
            .arg("watch")
            .env("DATABASE_URL", url)
            .env("EDGAR_USER_AGENT", "insider-bulk tests test@example.com")
            .env("EDGAR_BASE_URL", format!("http://127.0.0.1:{}/", self.edgar_port))
            .env("EDGAR_WATCH_POLL_SECONDS", "1")
            .env("EDGAR_WATCH_RETRY_SECONDS", "1")
            .env("EDGAR_WATCH_DOCUMENT_ATTEMPTS", "3")
            .env("EDGAR_WATCH_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("QUEUE_URL", amqp_url())
            .env("QUEUE_NAME", &self.queue)
            .env("RUST_LOG", "warn,insider_bulk=info")
            .env_remove("INSIDER_BULK_WATCH_CRASH_AFTER")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in extra {
            command.env(k, v);
        }
        Watcher { child: command.spawn().expect("start the watcher"), log, metrics_port }
    }

    pub async fn queue_depth(&self) -> u64 {
        let config = RabbitConfig { url: amqp_url(), queue: self.queue.clone(), quorum: false };
        RabbitQueue::connect(config).await.unwrap().depth().await.unwrap()
    }

    pub async fn cleanup(self) {
        delete_queues(&self.queue).await;
    }
}

pub struct Watcher {
    child: Child,
    log: PathBuf,
    metrics_port: u16,
}

impl Watcher {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log holds `text`.
    pub async fn logged(&self, text: &str) {
        wait_for(&format!("the log line {text:?}"), || self.log().contains(text).then_some(())).await;
    }

    /// The value of a metric series as `/metrics` shows it (0 when absent).
    pub async fn metric(&self, series: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        let Ok(response) = reqwest::get(&url).await else { return 0.0 };
        let text = response.text().await.unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Waits until the metric reaches `at_least`.
    pub async fn metric_reaches(&self, series: &str, at_least: f64) {
        let look = || async {
            match self.metric(series).await {
                value if value >= at_least => Ok(()),
                value => Err(format!("{series} at {value}")),
            }
        };
        eventually_ok(PATIENCE, &format!("{series} to reach {at_least}"), look, || format!("log:\n{}", self.log()))
            .await
    }

    /// Waits for the process to end on its own (a crash point).
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        let log = self.log.clone();
        let child = &mut self.child;
        let look = || std::future::ready(child.try_wait().unwrap().ok_or_else(|| "running".to_owned()));
        let log = || format!("log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        eventually_ok(PATIENCE, "the watcher to stop", look, log).await
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.exited().await
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls `check` until it gives a value, for at most [`PATIENCE`].
pub async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let look = || std::future::ready(check().ok_or_else(|| "not yet".to_owned()));
    eventually_ok(PATIENCE, what, look, String::new).await
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

/// Filings stored, jobs of form 4's months (by month) and messages not
/// yet published.
pub fn jobs_by_month(conn: &mut DbConnection) -> Vec<(String, i64)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        period_month: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT period_month, count(*) AS n FROM jobs GROUP BY period_month ORDER BY period_month")
        .load::<Row>(conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.period_month, r.n))
        .collect()
}
