//! `insider-bulk-packer`: consume generation jobs (`run`), pack one month
//! now (`pack`), or do the nightly duties (`nightly`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_core::config::Config;
use insider_bulk_core::db::Database;
use insider_bulk_core::dispatch::Dispatcher;
use insider_bulk_core::domain::{FormType, JobReason, Month};
use insider_bulk_core::queue::{AnyQueue, RabbitConfig, RabbitQueue};
use insider_bulk_packer::job::{self, GenerateJob, Packer};
use insider_bulk_packer::metrics::Metrics;
use insider_bulk_packer::{bundle, http, nightly, worker};

#[derive(Parser)]
#[command(name = "insider-bulk-packer", version, about = "Builds, stores and indexes monthly insider-bulk bundles")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Consume generation jobs from RabbitMQ (QUEUE_URL) until SIGTERM/SIGINT;
    /// then stop taking jobs and give the current one PACKER_GRACE_SECONDS.
    Run,
    /// Pack one month now. Without --out both files are stored and indexed
    /// like a job's; with --out the tar.gz is only written to FILE and the
    /// .jsonl.gz beside it (FILE with .tar.gz replaced by .jsonl.gz).
    Pack {
        #[arg(long)]
        form: FormType,
        /// YYYY-MM
        #[arg(long)]
        month: Month,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Backfill: record a job for every month from FROM to TO (inclusive)
    /// that has no open job, each with its outbox row; the gateways' relay
    /// publishes them and the running packers (scaled on the queue's
    /// length) do the work.
    Enqueue {
        #[arg(long)]
        form: FormType,
        /// YYYY-MM
        #[arg(long)]
        from: Month,
        /// YYYY-MM
        #[arg(long)]
        to: Month,
    },
    /// Enqueue every changed month of the last 12 for each form type and move
    /// older bundles to the cold tier. Running it twice enqueues nothing new.
    Nightly,
}

/// Where `pack --out FILE` writes the month's `.jsonl.gz`: `FILE` with its
/// `.tar.gz` replaced, or with `.jsonl.gz` added.
fn jsonl_beside(out: &std::path::Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".tar.gz").unwrap_or(&name);
    out.with_file_name(format!("{stem}.jsonl.gz"))
}

fn main() -> ExitCode {
    insider_bulk_core::logging::init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let result = runtime.block_on(run(Cli::parse().command));
    // A pack abandoned after the grace period may still be reading on a
    // blocking thread; its job was released, so the process need not wait.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("insider-bulk-packer: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = Database::open(&config.database_url, config.database_max_connections).await?;
    let packer = Packer {
        db: db.clone(),
        store: BundleStore::open(&config.bundle_store)?,
        metrics: Arc::new(Metrics::new()),
        staging_dir: config.data_dir.join("staging"),
        lease: Packer::new_lease(config.job_lease),
        max_attempts: config.packer_max_attempts,
    };
    match command {
        Command::Pack { form, month, out: Some(out) } => {
            // Written beside their destinations and renamed onto them only
            // when whole: a pack that fails leaves both as they were, never
            // half a file (one killed leaves `.partial` files, never `out`).
            let jsonl_out = jsonl_beside(&out);
            let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let partial = || tempfile::Builder::new().prefix(".pack-").suffix(".partial").tempfile_in(dir);
            let (tar_partial, jsonl_partial) = (partial()?, partial()?);
            let files = (tar_partial.reopen()?, jsonl_partial.reopen()?);
            let built = db
                .run_with_spare(move |conn, second| {
                    Ok(bundle::build_to_files(conn, second, form, month, files, &mut |_, _| {}))
                })
                .await??;
            for (partial, path) in [(jsonl_partial, &jsonl_out), (tar_partial, &out)] {
                std::fs::set_permissions(partial.path(), std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
                partial.persist(path)?;
            }
            println!("{}  {}", built.sha256, out.display());
            println!("{}  {}", built.jsonl.sha256, jsonl_out.display());
            println!(
                "filings {}, rows {}, bytes {} (tar.gz) + {} (jsonl.gz)",
                built.filing_count, built.row_count, built.size, built.jsonl.size
            );
        }
        Command::Pack { form, month, out: None } => {
            let job = GenerateJob::system(form, month, JobReason::OnDemand);
            let outcome = packer.run_now(&job).await?;
            println!("{}: {outcome:?}", bundle::file_name(form, month));
        }
        Command::Enqueue { form, from, to } => {
            let (mut queued, mut joined) = (0, 0);
            for month in to.coverage_through().filter(|m| *m >= from) {
                if nightly::enqueue(&packer, form, month, JobReason::OnDemand).await? {
                    queued += 1;
                } else {
                    joined += 1;
                }
            }
            println!("queued {queued} months of form {form}; {joined} already had an open job");
            publish_now(&config, &db).await;
        }
        Command::Nightly => {
            let retention = nightly::superseded_retention(config.download_url_validity);
            let report = nightly::run(&packer, Month::current(), retention).await?;
            println!(
                "enqueued {}, moved to cold {}, deleted {} superseded and {} orphaned objects",
                report.enqueued.len(),
                report.moved_to_cold.len(),
                report.deleted_superseded,
                report.deleted_orphans
            );
            for (form, month) in &report.enqueued {
                println!("enqueued form {form} {month}");
            }
            publish_now(&config, &db).await;
        }
        Command::Run => {
            let grace = Duration::from_secs(config.packer_grace_seconds);
            let removed = job::clean_staging(&packer.staging_dir, grace + Duration::from_secs(3600))?;
            if removed > 0 {
                tracing::info!(removed, "removed staging files of killed packers");
            }
            let queue = rabbit(&config).await?;
            let (stop, shutdown) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                insider_bulk_core::logging::shutdown_signal("packer").await;
                let _ = stop.send(true);
            });
            let listener = std::net::TcpListener::bind(&config.packer_metrics_addr)?;
            let server = http::serve(listener, packer.metrics.clone(), db.clone())?;
            let server = tokio::spawn(server);
            // Every packer hosts a dispatcher: jobs move with no gateway up.
            let dispatcher = Dispatcher::new(
                db.clone(),
                AnyQueue::Rabbit(queue.clone()),
                &packer.metrics.registry,
                config.dispatch.clone(),
            );
            let dispatching = dispatcher.spawn(shutdown.clone());
            let worker_config = worker::WorkerConfig { prefetch: config.packer_prefetch, grace };
            let reconnects = packer.metrics.clone();
            let watched = queue.clone();
            tokio::spawn(async move {
                let mut seen = 0;
                loop {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    let now = watched.reconnects();
                    reconnects.queue_reconnects.inc_by(now.saturating_sub(seen));
                    seen = now;
                }
            });
            worker::run(packer, queue, worker_config, shutdown).await?;
            dispatching.join_all().await;
            server.abort();
            insider_bulk_core::logging::stopped("packer");
        }
    }
    Ok(())
}

/// Publishes the jobs just recorded, when a broker is configured, so that
/// a one-shot command needs no long-running host to move them. Whatever is
/// not published now stays in the outbox for the next dispatcher.
async fn publish_now(config: &Config, db: &Database) {
    let queue = match rabbit(config).await {
        Ok(queue) => AnyQueue::Rabbit(queue),
        Err(e) => {
            println!("not published now ({e:#}): a dispatcher (gateway, packer run) publishes them");
            return;
        }
    };
    let registry = prometheus::Registry::new();
    let dispatcher = Dispatcher::new(db.clone(), queue, &registry, config.dispatch.clone());
    let mut published = 0;
    loop {
        match dispatcher.relay_once().await {
            Ok(0) => break,
            Ok(n) => published += n,
            Err(e) => {
                println!("published {published}; the rest wait in the outbox for a dispatcher ({e})");
                return;
            }
        }
    }
    println!("published {published} to the queue");
}

async fn rabbit(config: &Config) -> anyhow::Result<RabbitQueue> {
    let Some(url) = config.queue_url.clone() else {
        anyhow::bail!("QUEUE_URL is not set: a standalone packer needs RabbitMQ (amqp://…)");
    };
    let rabbit = RabbitConfig { url, queue: config.queue_name.clone(), quorum: config.queue_quorum };
    Ok(RabbitQueue::connect(rabbit).await?)
}
