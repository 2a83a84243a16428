//! One generation job, start to finish: claim it, then confirm, hydrate or
//! re-pack the month, store the file, and publish the index row in the same
//! transaction that marks the job succeeded.

use std::sync::Arc;
use std::time::Instant;

use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::month_stats::{self, EMPTY_FINGERPRINT};
use insider_bulk_core::db::{jobs, now_utc as now, Database, DbError};
use insider_bulk_core::domain::{BundleStatus, StorageTier};
pub use insider_bulk_core::job_message::{GenerateJob, InvalidJobMessage};
use insider_bulk_core::store::{object_key, BundleStore, StoreError};
use uuid::Uuid;

use crate::bundle::{self, BuildError, BuiltBundle};
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Undecodable(#[from] InvalidJobMessage),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl JobError {
    /// A message that can never succeed goes straight to the dead letters.
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Undecodable(_))
    }
}

/// What a finished job did to its month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The job had already finished (a redelivery): nothing done.
    AlreadyFinished,
    /// Fingerprint unchanged: `generated_at` refreshed, same sha256.
    Unchanged { sha256: String },
    /// Restored from the cold tier and verified.
    Hydrated { sha256: String },
    /// Built and stored a new file.
    Packed { sha256: String, size: u64, rows: u64 },
}

/// Everything a job needs, shared by the worker's jobs.
#[derive(Clone)]
pub struct Packer {
    pub db: Database,
    pub store: BundleStore,
    pub metrics: Arc<Metrics>,
    /// Where packed files are written before upload.
    pub staging_dir: std::path::PathBuf,
}

impl Packer {
    pub async fn run(&self, job: &GenerateJob) -> Result<Outcome, JobError> {
        let started = Instant::now();
        let row = jobs::JobRow::queued(job.id.clone(), job.form, job.month, job.reason, job.requested_at);
        let (id, account, trace) = (job.id.clone(), job.account_id.clone(), job.trace_id.clone());
        let claimed = self
            .db
            .run(move |conn| {
                // A message published by the nightly run or by hand may have no row yet.
                if jobs::get(conn, &id)?.is_none() {
                    jobs::insert(conn, &jobs::JobRow { account_id: account, trace_id: trace, ..row })?;
                }
                jobs::start(conn, &id)
            })
            .await?;
        if claimed.is_none() {
            return Ok(Outcome::AlreadyFinished);
        }
        let _in_flight = self.metrics.in_flight();
        let outcome = self.produce(job).await?;
        self.metrics.job_finished("succeeded", started.elapsed());
        Ok(outcome)
    }

    async fn produce(&self, job: &GenerateJob) -> Result<Outcome, JobError> {
        let (form, month) = (job.form, job.month);
        let (current, stats) = self
            .db
            .run(move |conn| Ok((bundles::get(conn, form, month)?, month_stats::get(conn, form, month)?)))
            .await?;
        let fingerprint = stats.map_or(EMPTY_FINGERPRINT.to_owned(), |s| s.fingerprint);
        if let Some(bundle) = current.filter(|b| b.source_fingerprint == fingerprint) {
            if bundle.storage()? == StorageTier::Cold {
                let hot_key = object_key(StorageTier::Hot, form, month, &bundle.sha256, Uuid::new_v4());
                self.store.copy_verified(&bundle.object_key, &hot_key, &bundle.sha256).await?;
                self.metrics.hydrations.inc();
                let sha256 = bundle.sha256.clone();
                self.publish(job, BundleRow { object_key: hot_key, ..bundle }).await?;
                return Ok(Outcome::Hydrated { sha256 });
            }
            if self.store.size(&bundle.object_key).await? == Some(bundle.size_bytes as u64) {
                self.metrics.cache_hits.inc();
                let sha256 = bundle.sha256.clone();
                self.publish(job, bundle).await?;
                return Ok(Outcome::Unchanged { sha256 });
            }
            tracing::warn!(key = %bundle.object_key, "indexed bundle missing from the store; re-packing");
        }
        // The previous object, if any, is superseded when the row switches.
        self.pack(job).await
    }

    async fn pack(&self, job: &GenerateJob) -> Result<Outcome, JobError> {
        let (form, month, id) = (job.form, job.month, job.id.clone());
        std::fs::create_dir_all(&self.staging_dir).map_err(StoreError::from)?;
        let staged = tempfile::NamedTempFile::new_in(&self.staging_dir).map_err(StoreError::from)?;
        let file = staged.reopen().map_err(StoreError::from)?;
        let progress_db = self.db.clone();
        let runtime = tokio::runtime::Handle::current();
        let built: BuiltBundle = self
            .db
            .run(move |conn| {
                let mut last_report = Instant::now();
                let mut report = |done: u64, total: u64| {
                    // Progress goes through another pooled connection: this one
                    // holds the month's read-only snapshot.
                    if last_report.elapsed().as_millis() >= 250 || done == total {
                        last_report = Instant::now();
                        let (db, id) = (progress_db.clone(), id.clone());
                        runtime.spawn(async move {
                            let _ = db.run(move |c| jobs::set_progress(c, &id, done as i64, total as i64)).await;
                        });
                    }
                };
                let writer = std::io::BufWriter::with_capacity(1 << 16, file);
                let (writer, built) = bundle::build(conn, form, month, writer, &mut report)
                    .map_err(|e| DbError::Corrupt(e.to_string()))?;
                let file = writer.into_inner().map_err(|e| DbError::Corrupt(e.to_string()))?;
                file.sync_all().map_err(|e| DbError::Corrupt(e.to_string()))?;
                Ok(built)
            })
            .await?;
        let key = object_key(StorageTier::Hot, form, month, &built.sha256, Uuid::new_v4());
        self.store.put_file(&key, staged.path()).await?;
        self.metrics.rows_packed.inc_by(built.row_count);
        self.metrics.bytes_packed.inc_by(built.size);
        let row = BundleRow {
            form_type: i32::from(form.number()),
            period_month: month.to_string(),
            status: BundleStatus::Available.as_str().into(),
            storage: StorageTier::Hot.as_str().into(),
            file_name: bundle::file_name(form, month),
            object_key: key,
            generated_at: now(),
            sha256: built.sha256.clone(),
            size_bytes: built.size as i64,
            filing_count: built.filing_count as i64,
            row_count: built.row_count as i64,
            source_fingerprint: built.source_fingerprint.clone(),
            last_job_id: None,
        };
        self.publish(job, row).await?;
        Ok(Outcome::Packed { sha256: built.sha256, size: built.size, rows: built.row_count })
    }

    /// The index row and the job's success, in one transaction, after the
    /// file is durable in the store.
    async fn publish(&self, job: &GenerateJob, row: BundleRow) -> Result<(), JobError> {
        let row = BundleRow {
            status: BundleStatus::Available.as_str().into(),
            storage: StorageTier::Hot.as_str().into(),
            generated_at: now(),
            last_job_id: Some(job.id.clone()),
            ..row
        };
        let id = job.id.clone();
        self.db
            .run(move |conn| {
                use diesel::Connection;
                conn.transaction(|conn| {
                    bundles::upsert(conn, &row)?;
                    jobs::succeed(conn, &id, &row.sha256)
                })
            })
            .await?;
        Ok(())
    }
}

/// Removes staging files left by packers that were killed mid-job. Only
/// files older than `older_than` go, so a live packer sharing the directory
/// keeps its current file.
pub fn clean_staging(dir: &std::path::Path, older_than: std::time::Duration) -> std::io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry.metadata()?.modified()?.elapsed().is_ok_and(|age| age > older_than);
        if stale && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
