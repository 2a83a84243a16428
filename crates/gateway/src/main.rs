//! `insider-bulk-gateway`: serve the API (`serve`), or administer accounts (`admin`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_core::config::Config;
use insider_bulk_core::db::Database;
use insider_bulk_core::queue::{AnyQueue, RabbitConfig, RabbitQueue};
use insider_bulk_gateway::admin::{self, AdminCommand};
use insider_bulk_gateway::config::GatewayConfig;
use insider_bulk_gateway::server;

#[derive(Parser)]
#[command(name = "insider-bulk-gateway", version, about = "The insider-bulk HTTP API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API on GATEWAY_ADDR; jobs go to RabbitMQ (QUEUE_URL).
    Serve,
    /// Bring the database schema up to date and exit (the Kubernetes migration Job).
    Migrate,
    /// Accounts, API keys, tokens and the ledger.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    insider_bulk_core::logging::init();
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("insider-bulk-gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = Database::open(&config.database_url, config.database_max_connections).await?;
    match command {
        // Opening the database ran the embedded migrations already.
        Command::Migrate => println!("database schema at {} is up to date", config.database_url),
        Command::Admin { command } => admin::run(&db, command, &mut std::io::stdout()).await?,
        Command::Serve => {
            let Some(url) = config.queue_url.clone() else {
                anyhow::bail!(
                    "QUEUE_URL is not set: a standalone gateway publishes to RabbitMQ (amqp://…); \
                     the one-process service is the `insider-bulk` binary"
                );
            };
            let rabbit = RabbitConfig { url, queue: config.queue_name.clone(), quorum: config.queue_quorum };
            let queue = AnyQueue::Rabbit(RabbitQueue::connect(rabbit).await?);
            let gateway = GatewayConfig::from_env()?;
            let listener = std::net::TcpListener::bind(&gateway.bind_addr)?;
            tracing::info!(addr = %listener.local_addr()?, "gateway listening");
            let store = BundleStore::open(&config.bundle_store)?;
            let state = server::state(gateway, db, store, &config, Vec::new()).await?;
            let (stop, shutdown) = tokio::sync::watch::channel(false);
            server::spawn_background(&state, queue, shutdown);
            tokio::spawn(insider_bulk_core::logging::shutdown_signal("gateway"));
            server::http(state, listener)?.await?;
            let _ = stop.send(true);
            insider_bulk_core::logging::stopped("gateway");
        }
    }
    Ok(())
}
