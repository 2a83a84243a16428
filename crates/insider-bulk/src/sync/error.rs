use std::path::PathBuf;

/// Why a run, or one month of it, did not succeed. Each renders as one
/// line that names what was being done; none carries the API key.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("invalid --url {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("--from {from} is after --to {to}")]
    EmptyRange { from: String, to: String },
    #[error("the server refused the API key (401): {0}")]
    Unauthorized(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{what}: HTTP {status}: {message}")]
    Status { what: String, status: u16, message: String },
    #[error("{what}: {reason}")]
    Protocol { what: String, reason: String },
    #[error("{what}: sha256 {got} does not match the expected {want}")]
    Mismatch { what: String, want: String, got: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("state file {path}: {reason}")]
    State { path: PathBuf, reason: String },
}

impl SyncError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SyncError {
        let path = path.into();
        move |source| SyncError::Io { path, source }
    }

    pub fn protocol(what: impl Into<String>, reason: impl Into<String>) -> SyncError {
        SyncError::Protocol { what: what.into(), reason: reason.into() }
    }

    /// Errors that make every later request pointless: stop the run.
    pub fn is_fatal(&self) -> bool {
        matches!(self, SyncError::Unauthorized(_) | SyncError::Unreachable { .. } | SyncError::BadUrl { .. })
    }
}
