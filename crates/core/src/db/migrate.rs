use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{DbConnection, DbError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary but fixed: every insider-bulk process takes the same lock.
const MIGRATION_LOCK_KEY: i64 = 0x1B_0B0C_0001;

/// Brings the schema up to date. Safe when several processes start at once:
/// PostgreSQL serializes them on an advisory lock, SQLite on an exclusive
/// transaction, and the later ones find nothing pending.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = pg.run_pending_migrations(POSTGRES).map(drop).map_err(failed);
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
        DbConnection::Sqlite(lite) => {
            // SQLite can refuse a lock at once ("database is locked"),
            // without waiting out busy_timeout, while another connection
            // turns a new file to WAL: that start is retried, briefly.
            retry_while_locked(|| {
                lite.exclusive_transaction(|tx| tx.run_pending_migrations(SQLITE).map(drop).map_err(failed))
            })
        }
    }
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
