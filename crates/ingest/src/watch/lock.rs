//! One watcher polls at a time. On PostgreSQL the replica that holds a
//! session-level advisory lock polls; the others wait on it and one takes
//! over when the holder's connection ends (its process died or lost the
//! database). On SQLite one process is assumed: the database is a local
//! file of one host, and no lock is taken.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use insider_bulk_core::db::{DatabaseUrl, DbConnection, DbError};
use tokio::sync::watch;

/// The advisory lock's key: "watch" in ASCII, a number no other part of
/// the service locks.
const LOCK_KEY: i64 = 0x77_61_74_63_68;

/// How often a waiting replica asks for the lock, and a holder checks it
/// still has its connection.
pub const LOCK_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the watcher lock's database connection: {0}")]
    Database(#[from] DbError),
    #[error("lost the watcher lock's database connection: {0}")]
    Lost(String),
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

/// The held lock: the connection that holds it. Dropping it releases it.
pub struct WatchLock {
    conn: Option<Arc<Mutex<DbConnection>>>,
}

impl WatchLock {
    /// Waits for the lock; `None` when `shutdown` comes first.
    pub async fn acquire(url: &DatabaseUrl, shutdown: &mut watch::Receiver<bool>) -> Result<Option<Self>, LockError> {
        if !url.is_postgres() {
            tracing::info!("SQLite: one watcher process per database is assumed; no lock is taken");
            return Ok(Some(WatchLock { conn: None }));
        }
        let url = url.clone();
        let conn = tokio::task::spawn_blocking(move || DbConnection::open(&url))
            .await
            .map_err(|e| LockError::Lost(e.to_string()))??;
        let conn = Arc::new(Mutex::new(conn));
        let mut said = false;
        loop {
            if try_lock(&conn).await? {
                tracing::info!("took the watcher lock: this replica polls EDGAR");
                return Ok(Some(WatchLock { conn: Some(conn) }));
            }
            if !said {
                tracing::info!("another watcher holds the lock: standing by to take over");
                said = true;
            }
            tokio::select! {
                _ = tokio::time::sleep(LOCK_CHECK) => {}
                _ = shutdown.wait_for(|stop| *stop) => return Ok(None),
            }
        }
    }

    /// Fails when the connection that holds the lock is gone: another
    /// replica may hold it now, so this one must stop polling.
    pub async fn check(&self) -> Result<(), LockError> {
        let Some(conn) = self.conn.clone() else { return Ok(()) };
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            diesel::sql_query("SELECT 1").execute(&mut *conn).map(drop).map_err(|e| LockError::Lost(e.to_string()))
        })
        .await
        .map_err(|e| LockError::Lost(e.to_string()))?
    }
}

async fn try_lock(conn: &Arc<Mutex<DbConnection>>) -> Result<bool, LockError> {
    let conn = conn.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        let DbConnection::Postgres(pg) = &mut *conn else { return Ok(true) };
        diesel::sql_query("SELECT pg_try_advisory_lock($1) AS taken")
            .bind::<BigInt, _>(LOCK_KEY)
            .get_result::<Taken>(pg)
            .map(|t| t.taken)
            .map_err(|e| LockError::Database(DbError::Query(e)))
    })
    .await
    .map_err(|e| LockError::Lost(e.to_string()))?
}
