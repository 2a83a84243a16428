//! The seen filings whose turn has come: each document fetched, and then
//! stored, asked for again later, or left to the nightly reconciliation.

use std::sync::Arc;

use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::db::watch::{self, PendingFiling};
use insider_bulk_core::db::{edgar_days, now_utc, Database, DbError};
use insider_bulk_core::domain::{FormType, Month};
use time::PrimitiveDateTime;
use tokio::sync::Semaphore;

use super::config::WatchConfig;
use super::crash_point;
use super::document::{fetch, Fetched};
use super::metrics::WatchMetrics;
use crate::batch::BatchWriter;
use crate::edgar::EdgarClient;

/// Seen filings taken per round; the rate limit paces them.
const ROUND: i64 = 64;
/// Documents in flight at once (the rate limit still applies to all).
const IN_FLIGHT: usize = 4;

/// What a round did: filings stored (form, month, acceptance, when), and
/// whether EDGAR said to slow down.
#[derive(Debug, Default)]
pub struct Round {
    pub stored: Vec<(FormType, Month, PrimitiveDateTime, PrimitiveDateTime)>,
    pub throttled: bool,
}

pub async fn fetch_due(
    db: &Database,
    client: &EdgarClient,
    config: &WatchConfig,
    metrics: &WatchMetrics,
) -> Result<Round, DbError> {
    let due = db.run(|conn| watch::due(conn, now_utc(), ROUND)).await?;
    let mut round = Round::default();
    if due.is_empty() {
        return Ok(round);
    }
    let limit = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut fetches = tokio::task::JoinSet::new();
    for pending in due {
        let (client, limit) = (client.clone(), limit.clone());
        fetches.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let fetched = fetch(&client, &pending).await;
            (pending, fetched)
        });
    }
    while let Some(done) = fetches.join_next().await {
        let (pending, fetched) = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        round.throttled |= fetched.is_throttled();
        match fetched {
            Fetched::Filing(filing) => {
                round.stored.extend(store(db, metrics, &pending, *filing).await?);
            }
            Fetched::Retry { reason, detail } => {
                metrics.retries.with_label_values(&[reason]).inc();
                // A 429 is counted by the client, on each answer.
                if reason == "throttled" && detail.contains("HTTP 403") {
                    metrics.throttled.inc();
                }
                retry_or_leave(db, config, metrics, &pending, &detail).await?;
            }
            Fetched::Malformed(reason) => malformed(db, metrics, &pending, reason).await?,
        }
    }
    Ok(round)
}

/// Stores the filing as the crawl does and marks it done, its month owed.
async fn store(
    db: &Database,
    metrics: &WatchMetrics,
    pending: &PendingFiling,
    filing: FilingToStore,
) -> Result<Option<(FormType, Month, PrimitiveDateTime, PrimitiveDateTime)>, DbError> {
    let form = filing.filing.submission.document_type.form_type;
    let month = filing.filing.month().map(|m| (form, m));
    let accepted_at = filing.filing.submission.accepted_at;
    // The first-start sample and real filings never share a month.
    crate::sample::make_way_for_real_filings(db).await?;
    let mut writer = BatchWriter::new(db.clone());
    writer.write(vec![Ok(filing)]).await?;
    if let Some(failure) = writer.report.failed.pop() {
        // The database refused it: the same filing fails the same way.
        return malformed(db, metrics, pending, failure.reason).await.map(|()| None);
    }
    crash_point("filing");
    let to_mark = pending.clone();
    let stored_at = now_utc();
    db.run(move |conn| watch::mark_stored(conn, &to_mark, month, stored_at)).await?;
    metrics.stored.inc();
    if let Some(accepted) = accepted_at {
        let lag = now_utc() - accepted;
        metrics.acceptance_to_store.observe(lag.as_seconds_f64().max(0.0));
    }
    tracing::info!(
        accession = pending.accession_number,
        form = pending.document_type,
        month = ?month.map(|(_, m)| m.to_string()),
        accepted_at = ?accepted_at,
        "stored a filing from the feed"
    );
    Ok(month.zip(accepted_at).map(|((form, month), accepted)| (form, month, accepted, stored_at)))
}

async fn retry_or_leave(
    db: &Database,
    config: &WatchConfig,
    metrics: &WatchMetrics,
    pending: &PendingFiling,
    detail: &str,
) -> Result<(), DbError> {
    let attempts = pending.attempts as u32 + 1;
    let (acc, error) = (pending.accession_number.clone(), detail.to_owned());
    if attempts >= config.document_attempts {
        metrics.left.inc();
        tracing::warn!(
            accession = acc,
            attempts,
            last = detail,
            "gave up on the document for now: the nightly reconciliation loads it from the day's index"
        );
        return db.run(move |conn| watch::leave(conn, &acc, &error, now_utc())).await;
    }
    let wait = config.retry_after(attempts);
    tracing::info!(
        accession = acc,
        attempts,
        ?wait,
        reason = detail,
        "the document is not there yet: asking again later"
    );
    db.run(move |conn| watch::retry_at(conn, &acc, &error, now_utc() + wait)).await
}

/// A whole document that does not parse: recorded as the crawl records one,
/// and left (the reconciliation reports it the same way).
async fn malformed(
    db: &Database,
    metrics: &WatchMetrics,
    pending: &PendingFiling,
    reason: String,
) -> Result<(), DbError> {
    metrics.malformed.inc();
    tracing::warn!(
        accession = pending.accession_number,
        reason,
        "the document does not parse; recorded in ingest_failures"
    );
    let (acc, source) =
        (pending.accession_number.clone(), pending.archive_path.trim_start_matches("Archives/").to_owned());
    db.run(move |conn| {
        edgar_days::record_failure(conn, &source, None, &reason)?;
        watch::leave(conn, &acc, &reason, now_utc())
    })
    .await
}
