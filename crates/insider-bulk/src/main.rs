//! `insider-bulk`: the whole service in one process — gateway, packer and
//! the in-process queue on the embedded default (SQLite and a bundle
//! directory under `./data`), with no configuration. `QUEUE_URL`,
//! `DATABASE_URL` and `BUNDLE_STORE_URL` move it onto RabbitMQ, PostgreSQL
//! and S3 like the split binaries. `EDGAR_WATCH=true` adds the EDGAR
//! current-filings watcher (`insider-bulk-ingest watch`).

mod sample;
mod sync;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_core::config::Config;
use insider_bulk_core::db::jobs::recovery;
use insider_bulk_core::db::{accounts, Database};
use insider_bulk_core::domain::Tier;
use insider_bulk_core::queue::{AnyQueue, MemoryQueue, RabbitConfig, RabbitQueue};
use insider_bulk_gateway::admin::{self, AdminCommand};
use insider_bulk_gateway::config::GatewayConfig;
use insider_bulk_gateway::server;
use insider_bulk_ingest::watch::embedded::Embedded;
use insider_bulk_packer::job::{self, Packer};
use insider_bulk_packer::metrics::Metrics;
use insider_bulk_packer::worker::{self, WorkerConfig};

#[derive(Parser)]
#[command(name = "insider-bulk", version, about = "insider-bulk in one process: API, packer and queue")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Accounts, API keys, tokens and the ledger.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Mirror months of bundles from a running service into a directory.
    Sync(sync::SyncArgs),
}

fn main() -> ExitCode {
    insider_bulk_core::logging::init();
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    if let Command::Sync(args) = command {
        return sync::main(args);
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let result = runtime.block_on(async {
        match command {
            Command::Serve => serve().await,
            Command::Admin { command } => admin_command(command).await,
            Command::Sync(_) => unreachable!("run above, on its own runtime"),
        }
    });
    // A pack abandoned after the grace period may still be reading on a
    // blocking thread; its job was released, so the process need not wait.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("insider-bulk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn admin_command(command: AdminCommand) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = Database::open(&config.database_url, config.database_max_connections).await?;
    admin::run(&db, command, &mut std::io::stdout()).await?;
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let gateway = GatewayConfig::from_env()?;
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Database::open(&config.database_url, config.database_max_connections).await?;
    let store = BundleStore::open(&config.bundle_store)?;
    let packer = Packer {
        db: db.clone(),
        store: store.clone(),
        metrics: Arc::new(Metrics::new()),
        staging_dir: config.data_dir.join("staging"),
        lease: Packer::new_lease(config.job_lease),
        max_attempts: config.packer_max_attempts,
    };
    let grace = Duration::from_secs(config.packer_grace_seconds);
    job::clean_staging(&packer.staging_dir, grace + Duration::from_secs(3600))?;
    let queue = match &config.queue_url {
        Some(url) => AnyQueue::Rabbit(
            RabbitQueue::connect(RabbitConfig {
                url: url.clone(),
                queue: config.queue_name.clone(),
                quorum: config.queue_quorum,
            })
            .await?,
        ),
        None => AnyQueue::Memory(MemoryQueue::new()),
    };

    let listener = std::net::TcpListener::bind(&gateway.bind_addr)?;
    let base = format!("http://{}", listener.local_addr()?);
    let demo = first_start(&db, &packer).await?;

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    // EDGAR_WATCH=true: the current-filings watcher runs here too.
    let watcher = Embedded::from_env()?;
    let mut registries = vec![packer.metrics.registry.clone()];
    registries.extend(watcher.as_ref().map(|w| w.metrics.registry.clone()));
    let watching = watcher.map(|w| w.spawn(db.clone(), config.database_url.clone(), shutdown.clone()));
    let state = server::state(gateway, db, store, &config, registries).await?;
    if matches!(queue, AnyQueue::Memory(_)) {
        // The in-process queue died with the previous run, and with it every
        // message it held: the jobs that were open then run again now.
        let recovered = state.db.run(recovery::recover_after_restart).await?;
        insider_bulk_core::dispatch::record_recovered(&state.metrics.dispatch, &recovered);
        if !recovered.is_empty() {
            eprintln!("queued again {} job(s) left open by the previous run", recovered.len());
        }
    }
    server::spawn_background(&state, queue.clone(), shutdown.clone());
    let worker_config = WorkerConfig { prefetch: config.packer_prefetch, grace };
    let worker = tokio::spawn(worker::run(packer, queue, worker_config, shutdown));
    let http = server::http(state, listener)?;
    print_banner(&base, &config, demo.as_deref());
    tokio::spawn(insider_bulk_core::logging::shutdown_signal("insider-bulk"));
    http.await?;
    let _ = stop.send(true);
    worker.await??;
    if let Some(watching) = watching {
        watching.await?;
    }
    insider_bulk_core::logging::stopped("insider-bulk");
    Ok(())
}

/// On an empty database: the sample and a demo account. Returns the demo
/// key, which exists nowhere else in plain text.
async fn first_start(db: &Database, packer: &Packer) -> anyhow::Result<Option<String>> {
    if sample::database_is_empty(db).await? {
        eprintln!("first start: loading a small synthetic sample (real data: insider-bulk-ingest edgar)…");
        let months = sample::load_and_pack(db, packer).await?;
        let shown: Vec<String> = months.iter().map(ToString::to_string).collect();
        eprintln!("sample loaded and packed for {}", shown.join(", "));
    }
    if !db.run(accounts::list).await?.is_empty() {
        return Ok(None);
    }
    let (_, key) = admin::create_account(db, "demo", Tier::Pro, 1_000).await?;
    Ok(Some(key.plaintext))
}

fn print_banner(base: &str, config: &Config, demo_key: Option<&str>) {
    let month = insider_bulk_core::domain::Month::current().previous().expect("after 2003");
    let (y, m) = (month.year(), month.month());
    println!("insider-bulk is serving on {base} (data in {})", config.data_dir.display());
    println!("docs: {base}/docs   metrics: {base}/metrics");
    match demo_key {
        Some(key) => {
            println!("demo account created (pro tier, 1000 tokens); its API key, shown only now:\n\n  {key}\n");
            println!("try:");
            println!("  curl -s -H \"X-API-Key: {key}\" \"{base}/api/insiders/bulk/form-4/index.json\"");
            println!("  curl -s -H \"X-API-Key: {key}\" \"{base}/api/insiders/bulk/form-4/{y}/form-4-{month}.jsonl.gz\"");
            println!("  curl -s -X POST -H \"X-API-Key: {key}\" \"{base}/api/insiders/bulk/form-4/generate/{y}/{m}\"");
        }
        None => println!(
            "accounts exist already; issue a key with: insider-bulk admin accounts, then insider-bulk admin issue-key --account ID"
        ),
    }
}
