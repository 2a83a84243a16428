//! Test support shared by the crates' integration tests: each test gets its
//! own database (a fresh PostgreSQL database or a SQLite file in a temporary
//! directory) and leaves nothing behind.

pub mod s3;

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use insider_bulk_core::db::{run_migrations, DatabaseUrl, DbConnection};
use insider_bulk_core::domain::Month;

/// The server that test databases are created on. CI and the README's test
/// command use the machine's local PostgreSQL with trust auth.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A month written as `YYYY-MM`, for tests that name their months.
///
/// # Panics
/// If `text` is not a valid month.
pub fn month(text: &str) -> Month {
    text.parse().unwrap_or_else(|e| panic!("a test names the month {text:?}: {e}"))
}

/// Where the shared EDGAR fixtures live: `shared/` beside the checkout.
pub fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/edgar");
    assert!(
        dir.is_dir(),
        "EDGAR fixtures not found at {}: the tests read ../shared/fixtures/edgar beside the checkout",
        dir.display()
    );
    dir
}

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = DatabaseUrl::Sqlite(dir.path().join("test.sqlite3"));
        TestDatabase { url, name: None, _dir: Some(dir) }
    }

    /// A new, empty PostgreSQL database. Fails loudly when PostgreSQL is not
    /// running: a test that needs it must not pass without it.
    pub fn postgres() -> Self {
        let admin_url = postgres_admin_url();
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for this test but is not reachable at {admin_url}: {e}. \
                 Start it (scripts/services.sh) or set TEST_POSTGRES_URL."
            )
        });
        let name = format!("insider_bulk_test_{}", uuid::Uuid::new_v4().simple());
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
        let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
        let url = DatabaseUrl::Postgres(format!("{base}/{name}"));
        TestDatabase { url, name: Some(name), _dir: None }
    }

    /// A migrated connection to this database.
    pub fn connect(&self) -> DbConnection {
        let mut conn = DbConnection::open(&self.url).expect("connect to the test database");
        run_migrations(&mut conn).expect("migrate the test database");
        conn
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.name {
            if let Ok(mut admin) = PgConnection::establish(&postgres_admin_url()) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The RabbitMQ the queue tests use (the machine's local broker).
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The Redis that rate-limit tests share (each test uses its own key prefix).
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A queue name no other test uses.
pub fn unique_queue_name() -> String {
    format!("insider-bulk-test-{}", uuid::Uuid::new_v4().simple())
}

/// Deletes a test's queue and its dead-letter queue.
pub async fn delete_queues(name: &str) {
    let conn = lapin::Connection::connect(&amqp_url(), Default::default()).await.expect("connect to RabbitMQ");
    let channel = conn.create_channel().await.expect("open a channel");
    for queue in [name.to_owned(), format!("{name}.dead")] {
        let _ = channel.queue_delete(queue.as_str().into(), Default::default()).await;
    }
}

/// Every file below `dir` (none when it does not exist).
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { files_under(&e.path()) } else { vec![e.path()] }).collect()
}

/// Waits until `check` holds, looking again every 20 ms, and fails the
/// test naming `what` when it still does not after `within`. The one way
/// tests wait for work done in the background: the bound is generous, and
/// no test asserts how long the wait took.
pub async fn eventually<F, Fut>(within: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let look = || {
        let checked = check();
        async move {
            if checked.await {
                Ok(())
            } else {
                Err(String::new())
            }
        }
    };
    eventually_ok(within, what, look, String::new).await
}

/// [`eventually`] for a wait that ends with a value: `look` answers
/// `Ok(value)`, or `Err` with what it saw instead. A test that times out
/// shows the last thing seen and `context()` (a process's log, say), which
/// is read once, at the failure.
pub async fn eventually_ok<T, F, Fut>(
    within: std::time::Duration,
    what: &str,
    mut look: F,
    context: impl FnOnce() -> String,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        let seen = match look().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        if std::time::Instant::now() >= deadline {
            panic!("still not so after {within:?}: {what}; last seen: {seen}\n{}", context());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every month that holds filings, with its fingerprint and counts: what
/// two databases must agree on to hold the same months.
pub fn month_fingerprints(
    conn: &mut DbConnection,
) -> Vec<(insider_bulk_core::domain::FormType, insider_bulk_core::domain::Month, String, i64, i64)> {
    use insider_bulk_core::db::month_stats;
    insider_bulk_core::domain::FormType::ALL
        .iter()
        .flat_map(|form| month_stats::list(conn, *form).expect("read month_stats"))
        .filter(|s| s.filing_count > 0)
        .map(|s| (s.form_type, s.period_month, s.fingerprint, s.filing_count, s.row_count))
        .collect()
}
