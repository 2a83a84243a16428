use std::fmt;
use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::DbError;

/// Where the database lives; the scheme picks the backend.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(DbError::InvalidUrl(url.to_owned()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

/// Prints the URL without its password, so that it can go into logs and errors.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// One connection to either backend. Deriving `MultiConnection` makes the
/// enum a diesel `Connection`, so ordinary queries run on it unchanged.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    /// Connects by scheme; unlike `Connection::establish` on the enum, never
    /// falls back to opening a SQLite file named like a failed Postgres URL.
    pub fn open(url: &DatabaseUrl) -> Result<Self, DbError> {
        let connect_error = |source| DbError::Connect { url: url.to_string(), source };
        match url {
            DatabaseUrl::Postgres(raw) => {
                Ok(DbConnection::Postgres(PgConnection::establish(raw).map_err(connect_error)?))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| DbError::DataDir { path: dir.display().to_string(), source })?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(connect_error)?;
                // WAL lets readers (gateway, packer) run beside one writer
                // (ingest); busy_timeout turns lock contention into waiting,
                // except while another connection turns a new file to WAL,
                // which can refuse at once: retried, briefly.
                super::migrate::retry_while_locked(|| {
                    Ok(conn.batch_execute(
                        "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    )?)
                })?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DbConnection::Postgres(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert!(DatabaseUrl::parse("postgres://u@h/db").unwrap().is_postgres());
        assert!(DatabaseUrl::parse("postgresql://u@h/db").unwrap().is_postgres());
        assert_eq!(DatabaseUrl::parse("sqlite://data/x.db").unwrap(), DatabaseUrl::Sqlite("data/x.db".into()));
        assert_eq!(DatabaseUrl::parse("./data/x.db").unwrap(), DatabaseUrl::Sqlite("./data/x.db".into()));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn display_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/bulk").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db:5432/bulk");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
