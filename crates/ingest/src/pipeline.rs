//! Producing filings (parsing files, generating synthetic ones) on one
//! thread while the database stores the previous batch on another: on two
//! cores this keeps both busy.

use indicatif::{ProgressBar, ProgressStyle};
use insider_bulk_core::db::DbError;

use crate::store::{BatchWriter, Item};

/// Filings per transaction: large enough for multi-row inserts to pay off,
/// small enough that a retry after a deadlock is cheap.
pub const BATCH_SIZE: usize = 1000;

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

/// Drains `items` into `writer` in batches, advancing `progress` as it goes.
pub async fn run<I>(items: I, writer: &mut BatchWriter, progress: &ProgressBar) -> Result<(), DbError>
where
    I: Iterator<Item = Item> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(2);
    let producer = std::thread::spawn(move || {
        let mut items = items.peekable();
        while items.peek().is_some() {
            let batch: Vec<Item> = items.by_ref().take(BATCH_SIZE).collect();
            if tx.blocking_send(batch).is_err() {
                break; // the writer stopped on a database error
            }
        }
    });
    let mut result = Ok(());
    while let Some(batch) = rx.recv().await {
        let n = batch.len() as u64;
        if let Err(e) = writer.write(batch).await {
            result = Err(e);
            break;
        }
        progress.inc(n);
    }
    drop(rx);
    let _ = producer.join();
    progress.finish_and_clear();
    if result.is_ok() && writer.report.loaded() >= 1_000 {
        writer.refresh_planner_statistics().await?;
    }
    result
}
