//! One module per subcommand of `insider-bulk-ingest`. Each returns the
//! process exit code from [`exit_code`].

pub mod edgar;
pub mod load;
pub mod parse;
pub mod sec_dataset;
pub mod synth;
pub mod watch;

use std::process::ExitCode;

use insider_bulk_core::config::Config;
use insider_bulk_core::db::Database;

use crate::batch::{Failure, FailureKind};

/// 0: every input went in. 1: something that a re-run may fix failed (a
/// download, a read, a whole EDGAR day). 3: only malformed inputs failed:
/// each is reported with its file and reason, and a re-run would fail the
/// same way, so a scheduler should not retry. (2, the command could not run
/// at all, is `main`'s.)
pub(crate) fn exit_code(failures: &[Failure], other_retryable: usize) -> ExitCode {
    let retryable = other_retryable + failures.iter().filter(|f| f.kind == FailureKind::Unavailable).count();
    if retryable > 0 {
        ExitCode::from(1)
    } else if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}

async fn open_database() -> anyhow::Result<Database> {
    let config = Config::from_env()?;
    Ok(Database::open(&config.database_url, config.database_max_connections).await?)
}

/// How a command reaches EDGAR: the same three settings for the crawl and
/// the feed watcher.
#[derive(clap::Args, Debug, Clone)]
pub struct EdgarAccess {
    /// The declared User-Agent SEC requires, e.g. "Example Corp data@example.com".
    #[arg(long, env = "EDGAR_USER_AGENT")]
    pub user_agent: String,
    /// EDGAR's base URL (tests point it at a local server).
    #[arg(long, env = "EDGAR_BASE_URL", default_value = crate::edgar::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Requests per second, 1 to 10 (SEC's fair-access limit), shared by
    /// every request of the process.
    #[arg(long, default_value_t = crate::edgar::MAX_REQUESTS_PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::edgar::MAX_REQUESTS_PER_SECOND)))]
    pub max_rps: u32,
}

impl EdgarAccess {
    pub fn client(&self) -> anyhow::Result<crate::edgar::EdgarClient> {
        Ok(crate::edgar::EdgarClient::builder(self.user_agent.clone())
            .base_url(&self.base_url)
            .max_requests_per_second(self.max_rps)
            .build()?)
    }
}
