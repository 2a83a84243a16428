//! The nightly run: for every form type, enqueue a job for each of the last
//! 12 months whose fingerprint changed since its bundle, and move bundles
//! older than that to the cold tier. A month holds what EDGAR filed in it,
//! so a closed month changes only when one of its own filings is corrected:
//! in the steady state the run packs the current month and, in the first
//! days of a month, the one before (filings of its last days that the
//! crawl loads the next morning). Running it twice enqueues nothing new:
//! a month with an open job is skipped. Jobs enter the queue through the
//! outbox, which the gateways' relays publish.

use insider_bulk_core::bundle_store::{jsonl_object_key, object_key};
use insider_bulk_core::db::{bundles, jobs, maintenance, month_stats, superseded};
use insider_bulk_core::domain::{FormType, JobReason, Month, StorageTier};

use crate::job::{GenerateJob, Packer};

/// Months counted as recent, the current one included.
pub const HOT_MONTHS: usize = 12;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NightlyReport {
    pub enqueued: Vec<(FormType, Month)>,
    pub moved_to_cold: Vec<(FormType, Month)>,
    /// Objects deleted because no index row had pointed to them for
    /// [`superseded_retention`].
    pub deleted_superseded: usize,
    /// Objects deleted because nothing in the database named them.
    pub deleted_orphans: usize,
}

/// How long an object stays after the index moves off it: an hour longer
/// than the gateway's signed download URLs live (`DOWNLOAD_URL_SECONDS`),
/// so a URL handed out just before a switch still works to its end.
pub fn superseded_retention(download_url_validity: std::time::Duration) -> std::time::Duration {
    download_url_validity + std::time::Duration::from_secs(3600)
}

/// Deletes the objects superseded for longer than `retention`; each key is
/// forgotten only once its object is gone, so a failure is retried next run.
pub async fn delete_superseded(packer: &Packer, retention: std::time::Duration) -> anyhow::Result<usize> {
    let before = insider_bulk_core::db::now_utc() - retention;
    let due = packer.db.run(move |conn| superseded::due(conn, before)).await?;
    for key in &due {
        packer.store.delete(key).await?;
        let key = key.clone();
        packer.db.run(move |conn| superseded::remove(conn, &key)).await?;
    }
    Ok(due.len())
}

/// Deletes the objects written longer than `retention` ago that neither the
/// index nor the superseded list names: what a packer killed between its
/// upload and the index switch leaves behind. The age spares an upload
/// whose switch is still to come.
pub async fn delete_orphans(packer: &Packer, retention: std::time::Duration) -> anyhow::Result<usize> {
    let written = packer.store.keys_written_before(time::OffsetDateTime::now_utc() - retention).await?;
    let known = packer.db.run(superseded::known_keys).await?;
    let orphans: Vec<String> = written.into_iter().filter(|key| !known.contains(key)).collect();
    for key in &orphans {
        tracing::info!(key, "deleting an object nothing names");
        packer.store.delete(key).await?;
    }
    Ok(orphans.len())
}

/// The first month that is still hot when `current` is the current month.
pub fn oldest_hot_month(current: Month) -> Month {
    (1..HOT_MONTHS).fold(current, |m, _| m.previous().unwrap_or(m))
}

/// The nightly duties for `current`; superseded objects are kept for
/// `retention` (see [`superseded_retention`]).
pub async fn run(packer: &Packer, current: Month, retention: std::time::Duration) -> anyhow::Result<NightlyReport> {
    let mut report = NightlyReport::default();
    let oldest_hot = oldest_hot_month(current);
    for form in FormType::ALL {
        let (changed, index) = packer
            .db
            .run(move |conn| {
                Ok((month_stats::changed_since_bundle(conn, form, oldest_hot)?, bundles::list(conn, form)?))
            })
            .await?;
        for month in changed {
            if enqueue(packer, form, month, JobReason::Nightly).await? {
                report.enqueued.push((form, month));
            }
        }
        for bundle in &index {
            let month = bundle.period_month;
            if month >= oldest_hot || bundle.storage == StorageTier::Cold {
                continue;
            }
            let cold = object_key(StorageTier::Cold, form, month, &bundle.sha256, uuid::Uuid::new_v4());
            packer.store.copy_verified(&bundle.object_key, &cold, &bundle.sha256).await?;
            let cold_jsonl =
                jsonl_object_key(StorageTier::Cold, form, month, &bundle.jsonl_sha256, uuid::Uuid::new_v4());
            packer.store.copy_verified(&bundle.jsonl_object_key, &cold_jsonl, &bundle.jsonl_sha256).await?;
            packer
                .db
                .run(move |conn| bundles::set_tier(conn, form, month, StorageTier::Cold, (&cold, &cold_jsonl)))
                .await?;
            packer.metrics.moved_to_cold.inc();
            report.moved_to_cold.push((form, month));
        }
    }
    report.deleted_superseded = delete_superseded(packer, retention).await?;
    report.deleted_orphans = delete_orphans(packer, retention).await?;
    packer.db.run(|conn| maintenance::record_run(conn, maintenance::NIGHTLY)).await?;
    Ok(report)
}

/// Records a job no account asked for (nightly, backfill) with its outbox
/// row, unless the month already has an open job; a gateway's relay
/// publishes it. A run killed at any point leaves either nothing or a job
/// with its message on the way.
pub async fn enqueue(packer: &Packer, form: FormType, month: Month, reason: JobReason) -> anyhow::Result<bool> {
    let row = GenerateJob::system(form, month, reason).queued_row();
    Ok(packer.db.run(move |conn| jobs::enqueue_unless_open(conn, &row)).await?)
}
