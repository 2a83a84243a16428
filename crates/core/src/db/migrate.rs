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
            let mut attempt = 0;
            loop {
                let result =
                    lite.exclusive_transaction(|tx| tx.run_pending_migrations(SQLITE).map(drop).map_err(failed));
                match result {
                    Err(DbError::Query(e)) if attempt < LOCKED_RETRIES && is_locked(&e) => {
                        attempt += 1;
                        std::thread::sleep(std::time::Duration::from_millis(20 * attempt));
                    }
                    other => return other,
                }
            }
        }
    }
}

/// Tries of a SQLite start refused at once by another's lock: about 3 s in all.
pub(crate) const LOCKED_RETRIES: u64 = 16;

/// SQLite's SQLITE_BUSY, as diesel reports it.
pub(crate) fn is_locked(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("database is locked"))
}
