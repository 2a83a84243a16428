use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use deadpool::Runtime;
use deadpool_sync::SyncWrapper;
use diesel::RunQueryDsl;

use super::{run_migrations, DatabaseUrl, DbConnection, DbError};

/// A pool of connections to one database, shared by the async parts of the
/// service. diesel is synchronous: each call runs on a blocking thread.
#[derive(Clone)]
pub struct Database {
    pool: managed::Pool<ConnectionManager>,
    url: DatabaseUrl,
}

impl Database {
    /// Opens the pool and brings the schema up to date.
    pub async fn open(url: &DatabaseUrl, max_connections: usize) -> Result<Self, DbError> {
        let manager = ConnectionManager { url: url.clone() };
        let pool = managed::Pool::builder(manager)
            .max_size(max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Pool(e.to_string()))?;
        let db = Database { pool, url: url.clone() };
        db.run(run_migrations).await?;
        Ok(db)
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    async fn get(&self) -> Result<managed::Object<ConnectionManager>, DbError> {
        self.pool.get().await.map_err(|e| match e {
            managed::PoolError::Backend(e) => e,
            other => DbError::Pool(other.to_string()),
        })
    }

    /// Runs `work` with a pooled connection on a blocking thread.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.get().await?;
        conn.interact(work).await.map_err(|e| DbError::Pool(e.to_string()))?
    }

    /// [`Database::run`] with a second connection when the database is
    /// PostgreSQL (only it shares a snapshot between connections) and the
    /// pool can spare one now and still have one free for others (a job's
    /// lease keeper must never wait behind the job's own reads); never
    /// waits for it.
    pub async fn run_with_spare<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection, Option<&mut DbConnection>) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.get().await?;
        let status = self.pool.status();
        let free = status.max_size.saturating_sub(status.size.saturating_sub(status.available));
        let spare = if self.url.is_postgres() && status.waiting == 0 && free >= 2 {
            let now = managed::Timeouts { wait: Some(std::time::Duration::ZERO), ..self.pool.timeouts() };
            self.pool.timeout_get(&now).await.ok()
        } else {
            None
        };
        conn.interact(move |conn| {
            // The spare's own thread is idle: its connection is used from here.
            let mut spare = spare.as_ref().and_then(|s| s.lock().ok());
            work(conn, spare.as_deref_mut())
        })
        .await
        .map_err(|e| DbError::Pool(e.to_string()))?
    }
}

struct ConnectionManager {
    url: DatabaseUrl,
}

impl managed::Manager for ConnectionManager {
    type Type = SyncWrapper<DbConnection>;
    type Error = DbError;

    async fn create(&self) -> Result<Self::Type, Self::Error> {
        let url = self.url.clone();
        SyncWrapper::new(Runtime::Tokio1, move || DbConnection::open(&url)).await
    }

    async fn recycle(&self, conn: &mut Self::Type, _: &Metrics) -> RecycleResult<Self::Error> {
        if conn.is_mutex_poisoned() {
            return Err(RecycleError::message("connection mutex poisoned by a panic"));
        }
        conn.interact(|c| diesel::sql_query("SELECT 1").execute(c).map(drop))
            .await
            .map_err(|e| RecycleError::message(e.to_string()))?
            .map_err(|e| RecycleError::Backend(DbError::Query(e)))
    }
}
