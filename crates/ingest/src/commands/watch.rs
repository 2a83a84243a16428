//! `insider-bulk-ingest watch`: the watcher as a long-running process. It
//! hosts a dispatcher, so the regenerations it queues are published with
//! no other host up, and serves its metrics.

use std::process::ExitCode;
use std::sync::Arc;

use insider_bulk_core::config::Config;
use insider_bulk_core::db::Database;
use insider_bulk_core::dispatch::Dispatcher;
use insider_bulk_core::queue::{AnyQueue, RabbitConfig, RabbitQueue};
use tokio::sync::Notify;

use crate::watch::config::WatchConfig;
use crate::watch::lock::WatchLock;
use crate::watch::metrics::WatchMetrics;
use crate::watch::{http, Watcher};

#[derive(clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    edgar: super::EdgarAccess,
}

pub async fn run(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let watch_config = WatchConfig::from_env()?;
    let client = args.edgar.client()?;
    let db = Database::open(&config.database_url, config.database_max_connections).await?;
    let (stop, mut shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        insider_bulk_core::logging::shutdown_signal("watcher").await;
        let _ = stop.send(true);
    });
    let metrics = Arc::new(WatchMetrics::new());
    let listener = std::net::TcpListener::bind(&watch_config.metrics_addr)?;
    let server = tokio::spawn(http::serve(listener, metrics.clone(), db.clone())?);
    let wake = Arc::new(Notify::new());
    let dispatching = match &config.queue_url {
        Some(url) => {
            let rabbit =
                RabbitConfig { url: url.clone(), queue: config.queue_name.clone(), quorum: config.queue_quorum };
            let queue = AnyQueue::Rabbit(RabbitQueue::connect(rabbit).await?);
            let dispatcher = Dispatcher::with_parts(
                db.clone(),
                queue,
                Arc::new(insider_bulk_core::dispatch::DispatchMetrics::register(&metrics.registry)),
                wake.clone(),
                Default::default(),
                config.dispatch.clone(),
            );
            Some(dispatcher.spawn(shutdown.clone()))
        }
        None => {
            tracing::warn!("QUEUE_URL is not set: regenerations wait in the outbox for another host's dispatcher");
            None
        }
    };
    let outcome = match WatchLock::acquire(&config.database_url, &mut shutdown).await? {
        Some(lock) => Watcher::new(db, client, watch_config, metrics, wake).run(&lock, shutdown).await,
        None => Ok(()),
    };
    if let Some(mut dispatching) = dispatching {
        // After an error nothing asked the dispatcher to stop: it goes with the process.
        if outcome.is_err() {
            dispatching.abort_all();
        }
        while dispatching.join_next().await.is_some() {}
    }
    server.abort();
    outcome?;
    insider_bulk_core::logging::stopped("watcher");
    Ok(ExitCode::SUCCESS)
}
