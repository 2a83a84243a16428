//! The database, one code path over two backends: SQLite for the embedded
//! default, PostgreSQL in production. The backend comes from the URL.

pub mod accounts;
pub mod billing;
pub mod bundles;
mod connection;
pub mod edgar_days;
pub mod filings;
pub mod jobs;
pub mod maintenance;
mod migrate;
pub mod month_stats;
pub mod outbox;
mod pool;
mod rows;
pub mod schema;
pub mod snapshot;
pub mod superseded;
pub mod watch;

pub(crate) use connection::MultiBackend;
pub use connection::{DatabaseUrl, DbConnection};
pub use migrate::run_migrations;
pub use pool::Database;

/// Everything that can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL {0:?}: expected postgres://… or a SQLite file path (sqlite://path)")]
    InvalidUrl(String),
    #[error("cannot connect to the database at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: diesel::ConnectionError,
    },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Runs the same block against whichever backend `conn` holds. Each arm is
/// type-checked with its concrete connection, so backend-specific diesel
/// features (batch inserts, row locks) are available in the block.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// The current UTC time at millisecond precision, as timestamps are stored.
pub fn now_utc() -> time::PrimitiveDateTime {
    let now = time::OffsetDateTime::now_utc();
    // Millisecond precision: what the API prints, and equal on both backends.
    let now = now.replace_nanosecond(now.millisecond() as u32 * 1_000_000).unwrap_or(now);
    time::PrimitiveDateTime::new(now.date(), now.time())
}

/// A transaction that writes. On SQLite it begins IMMEDIATE, taking the
/// write lock up front: a deferred transaction that reads and then writes
/// can fail at the upgrade with SQLITE_BUSY, which busy_timeout does not
/// retry. PostgreSQL needs no such care.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::Connection;

    let DbConnection::Sqlite(lite) = conn else { return conn.transaction(work) };
    if AnsiTransactionManager::transaction_manager_status_mut(lite).transaction_depth()?.is_some() {
        // Already inside one: a savepoint, as a nested transaction would be.
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?;
    let result = work(conn);
    let DbConnection::Sqlite(lite) = conn else { unreachable!("the backend of a connection does not change") };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(lite)?;
            Ok(value)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(lite);
            Err(e)
        }
    }
}

/// Whether a load of `loaded` filings warrants [`refresh_planner_statistics`]
/// now: never under 1,000 filings; on PostgreSQL when the filings table was
/// never analyzed or the load is at least a tenth of the rows it held when
/// it last was. Below that the
/// statistics are still within autovacuum's own threshold (a tenth of the
/// table changed), which refreshes them as the changes add up; analyzing
/// after every month of a twenty-year history would sample tables of
/// millions of rows for a load of thousands.
pub fn needs_planner_statistics(conn: &mut DbConnection, loaded: usize) -> Result<bool, DbError> {
    use diesel::prelude::*;
    if loaded < 1_000 {
        return Ok(false);
    }
    match conn {
        DbConnection::Postgres(pg) => {
            #[derive(QueryableByName)]
            struct Estimate {
                #[diesel(sql_type = diesel::sql_types::Float)]
                reltuples: f32,
            }
            let estimate = diesel::sql_query("SELECT reltuples FROM pg_class WHERE oid = 'filings'::regclass")
                .get_result::<Estimate>(pg)?;
            Ok(estimate.reltuples < 0.0 || loaded as f64 >= 0.1 * f64::from(estimate.reltuples))
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// The tables a load writes, in two groups of about equal `ANALYZE` cost
/// that a loader refreshes on two connections at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatisticsGroup {
    Filings,
    Rows,
}

/// Refreshes the query planner's statistics after a bulk load, so that the
/// packer's first read of a freshly loaded month is planned on real row
/// counts instead of waiting for autovacuum (docs/BENCHMARKS.md has what
/// it saves).
///
/// On PostgreSQL only the tables a load writes, and of those only the
/// columns that queries filter, join or sort on: every table is sampled
/// (so its row count is current), while the statistics of the free-text
/// columns, which nothing filters on and which cost most to sort, are not
/// rebuilt (a third of a whole `ANALYZE`'s time on SEC's 2024 Q3 set).
pub fn refresh_planner_statistics(conn: &mut DbConnection, group: StatisticsGroup) -> Result<(), DbError> {
    use diesel::connection::SimpleConnection;
    match (conn, group) {
        (DbConnection::Postgres(pg), StatisticsGroup::Filings) => pg.batch_execute(
            "ANALYZE filings (accession_number, form_type, filing_month, period_of_report, issuer_cik, \
             document_type, amends_accession_number, source), month_stats",
        )?,
        (DbConnection::Postgres(pg), StatisticsGroup::Rows) => pg.batch_execute(
            "ANALYZE reporting_owners (accession_number, seq), non_derivative_transactions (accession_number, seq), \
             non_derivative_holdings (accession_number, seq), derivative_transactions (accession_number, seq), \
             derivative_holdings (accession_number, seq), footnotes (accession_number, seq), \
             owner_signatures (accession_number, seq)",
        )?,
        // SQLite's own advice for a long-lived database: analyze what needs it.
        (DbConnection::Sqlite(lite), StatisticsGroup::Filings) => lite.batch_execute("PRAGMA optimize")?,
        (DbConnection::Sqlite(_), StatisticsGroup::Rows) => {}
    }
    Ok(())
}
