//! One module per subcommand of `insider-bulk-ingest`. Each returns the
//! process exit code: 0 when every input went in, 1 when some failed.

pub mod edgar;
pub mod load;
pub mod parse;
pub mod synth;

use insider_bulk_core::config::Config;
use insider_bulk_core::db::Database;

async fn open_database() -> anyhow::Result<Database> {
    let config = Config::from_env()?;
    Ok(Database::open(&config.database_url, config.database_max_connections).await?)
}
