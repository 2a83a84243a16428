//! The months the watcher stored filings into are rebuilt soon, and not
//! too often: a month owed a regeneration gets one through the one door (a
//! job with its outbox row) at most once per debounce period, and the last
//! filing of a burst always gets one after it.

use std::time::Duration;

use insider_bulk_core::db::watch::{self, Regeneration};
use insider_bulk_core::db::{now_utc, Database, DbError};
use insider_bulk_core::domain::JobReason;
use insider_bulk_core::job_message::GenerateJob;
use tokio::sync::Notify;

use super::crash_point;
use super::metrics::WatchMetrics;

/// Marks the watcher's jobs among the system's own (no account, no charge).
pub const TRACE: &str = "edgar-watch";

/// Settles every owed month whose debounce has passed; returns the jobs queued.
pub async fn settle_owed(
    db: &Database,
    debounce: Duration,
    metrics: &WatchMetrics,
    wake: &Notify,
) -> Result<usize, DbError> {
    let owed = db.run(watch::owed_months).await?;
    let now = now_utc();
    let mut queued = 0;
    for month in owed.into_iter().filter(|m| m.due_at(debounce) <= now) {
        let (form, period) = (month.form, month.month);
        // A system job, as the nightly run queues: no account pays for it.
        let job = GenerateJob { trace_id: Some(TRACE.into()), ..GenerateJob::system(form, period, JobReason::Nightly) }
            .queued_row();
        let job_id = job.id.clone();
        match db.run(move |conn| watch::regenerate(conn, form, period, &job, now)).await? {
            Regeneration::Queued => {
                crash_point("outbox");
                wake.notify_one();
                queued += 1;
                metrics.regenerations.with_label_values(&["queued"]).inc();
                tracing::info!(%form, month = %period, job = job_id.as_str(), "queued a regeneration of the month");
            }
            Regeneration::Covered => {
                metrics.regenerations.with_label_values(&["covered"]).inc();
                tracing::debug!(%form, month = %period, "a queued job of the month covers its new filings");
            }
            Regeneration::Waiting => {}
        }
    }
    Ok(queued)
}
