use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use diesel::prelude::*;

use super::schema::pending_data_migrations;
use super::{write_transaction, DbConnection, DbError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary but fixed: every insider-bulk process takes the same lock.
const MIGRATION_LOCK_KEY: i64 = 0x1B_0B0C_0001;

/// Brings the schema up to date, then runs the data migrations it left
/// pending. Safe when several processes start at once: PostgreSQL
/// serializes them on an advisory lock, SQLite on an exclusive transaction,
/// and the later ones find nothing pending. A process killed in a data
/// migration rolls it back whole; the next start runs it again.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = pg.run_pending_migrations(POSTGRES).map(drop).map_err(failed);
            let result = result.and_then(|()| conn.transaction(run_data_migrations));
            let DbConnection::Postgres(pg) = conn else { unreachable!("the backend of a connection does not change") };
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
        DbConnection::Sqlite(lite) => {
            // SQLite can refuse a lock at once ("database is locked"),
            // without waiting out busy_timeout, while another connection
            // turns a new file to WAL: that start is retried, briefly.
            retry_while_locked(|| {
                lite.exclusive_transaction(|tx| tx.run_pending_migrations(SQLITE).map(drop).map_err(failed))
            })?;
            retry_while_locked(|| write_transaction(conn, run_data_migrations))
        }
    }
}

/// The data migrations a schema migration left in `pending_data_migrations`,
/// each done and taken off the list in the caller's transaction.
fn run_data_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    let pending: Vec<String> = pending_data_migrations::table.select(pending_data_migrations::name).load(conn)?;
    for name in pending {
        match name.as_str() {
            "filing_date_months" => {
                let done = super::filings::repartition(conn)?;
                if done.filings > 0 {
                    tracing::info!(months = done.months, filings = done.filings, "repartitioned by filing date");
                }
            }
            other => return Err(DbError::Migration(format!("unknown data migration {other:?}"))),
        }
        diesel::delete(pending_data_migrations::table.find(&name)).execute(conn)?;
    }
    Ok(())
}

/// Runs `step` again, up to 16 times (about 3 s in all), while SQLite
/// refuses it at once with "database is locked".
pub(crate) fn retry_while_locked<T>(mut step: impl FnMut() -> Result<T, DbError>) -> Result<T, DbError> {
    let locked = |e: &DbError| {
        matches!(e, DbError::Query(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("database is locked"))
    };
    let mut attempt = 0;
    loop {
        match step() {
            Err(e) if attempt < 16 && locked(&e) => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
            }
            other => return other,
        }
    }
}
