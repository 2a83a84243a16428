//! Producing filings (parsing files, generating synthetic ones) on one
//! thread while the database stores the previous batch on another: on two
//! cores this keeps both busy.

use indicatif::{ProgressBar, ProgressStyle};
use insider_bulk_core::db::DbError;

use crate::batch::{BatchWriter, Item, Prepared};

/// Filings per transaction of the EDGAR crawl, which stores a day's
/// filings as they download: large enough for one COPY per table to pay
/// off, small enough that a retry after a deadlock is cheap.
pub const BATCH_SIZE: usize = 1000;

/// Filings per transaction of a bulk import ([`run`]: `load`, `synth`, SEC's
/// data sets), whose input is all at hand: fewer commits, round trips and
/// statements per filing. A batch the database refuses is retried filing by
/// filing, so one bad filing still costs only itself.
pub const BULK_BATCH_SIZE: usize = 5000;

/// The first batch of a bulk import, which the database waits for.
const FIRST_BATCH_SIZE: usize = 500;

/// Where an import's time goes: `RUST_LOG=insider_bulk_ingest::timing=debug`
/// logs each phase (reading, waiting for the producer, analyzing), as the
/// store's `insider_bulk_core::store_timing` logs each batch's.
pub(crate) fn timing(phase: &'static str, since: std::time::Instant) {
    tracing::debug!(target: "insider_bulk_ingest::timing", phase, us = since.elapsed().as_micros() as u64);
}

/// A progress bar on a terminal, nothing when output is redirected.
pub fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, eta {{eta}})"
    )) {
        bar.set_style(style);
    }
    bar
}

/// Drains `items` into `writer` in batches of [`BULK_BATCH_SIZE`], advancing
/// `progress` as it goes. The producer thread makes and hashes the next
/// batch while the database stores this one.
pub async fn run<I>(items: I, writer: &mut BatchWriter, progress: &ProgressBar) -> Result<(), DbError>
where
    I: Iterator<Item = Item> + Send + 'static,
{
    // One batch waiting beside the one being stored and the one being made.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Prepared>(1);
    let producer = std::thread::spawn(move || {
        let mut items = items.peekable();
        // A small first batch: the database starts while the rest is made.
        let mut size = FIRST_BATCH_SIZE;
        while items.peek().is_some() {
            let batch = Prepared::new(items.by_ref().take(size).collect());
            size = BULK_BATCH_SIZE;
            if tx.blocking_send(batch).is_err() {
                break; // the writer stopped on a database error
            }
        }
    });
    let mut result = Ok(());
    let mut waited = std::time::Instant::now();
    while let Some(batch) = rx.recv().await {
        // The database waited for the producer: the bottleneck where this adds up.
        timing("wait", waited);
        let n = batch.len() as u64;
        if let Err(e) = writer.write_prepared(batch).await {
            result = Err(e);
            break;
        }
        progress.inc(n);
        waited = std::time::Instant::now();
    }
    drop(rx);
    let _ = producer.join();
    progress.finish_and_clear();
    if result.is_ok() {
        let started = std::time::Instant::now();
        writer.refresh_planner_statistics().await?;
        timing("analyze", started);
    }
    result
}
