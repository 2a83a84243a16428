//! One generation job, start to finish: claim it under a lease, then
//! confirm, hydrate or re-pack the month, store the file, and publish the
//! index row in the same transaction that marks the job succeeded, which
//! only the lease holder can do. A failed attempt goes back to the queue
//! through the outbox; the queue's own retry is never used.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use insider_bulk_core::bundle_store::{jsonl_object_key, object_key, BundleStore, StoreError};
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::jobs::lease::{self, Claim, Lease};
use insider_bulk_core::db::month_stats::{self, EMPTY_FINGERPRINT};
use insider_bulk_core::db::{now_utc as now, Database, DbError};
use insider_bulk_core::domain::{BundleStatus, JobId, StorageTier};
pub use insider_bulk_core::job_message::{GenerateJob, InvalidJobMessage};
use uuid::Uuid;

use crate::bundle::{self, BuildError, BuiltBundle};
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("the job's lease was lost: another packer runs it now, or will")]
    LeaseLost,
}

impl JobError {
    /// A job that can never succeed fails at once (and is refunded), where
    /// anything else is retried up to `PACKER_MAX_ATTEMPTS`.
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Build(e) if e.is_permanent())
    }
}

/// What a delivery led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The job had already finished (a duplicate message): nothing done.
    AlreadyFinished,
    /// Another packer holds the job's lease: nothing done.
    HeldElsewhere,
    /// No job row: a message no door wrote. Nothing to run.
    UnknownJob,
    /// Fingerprint unchanged: `generated_at` refreshed, same sha256.
    Unchanged { sha256: String },
    /// Restored from the cold tier and verified.
    Hydrated { sha256: String },
    /// Built and stored a new file.
    Packed { sha256: String, size: u64, rows: u64 },
    /// This attempt failed; the job waits in the outbox for another.
    Retrying { error: String },
    /// Failed for good (and refunded).
    Failed { error: String },
    /// The lease ran out mid-run; the result was not written.
    LeaseLost,
}

impl Outcome {
    /// Whether the job now has a new result (for the log and the metrics).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::AlreadyFinished | Outcome::HeldElsewhere | Outcome::UnknownJob => "duplicate",
            Outcome::Unchanged { .. } | Outcome::Hydrated { .. } | Outcome::Packed { .. } => "succeeded",
            Outcome::Retrying { .. } => "retried",
            Outcome::Failed { .. } => "failed",
            Outcome::LeaseLost => "lease_lost",
        }
    }
}

/// Everything a job needs, shared by the worker's jobs.
#[derive(Clone)]
pub struct Packer {
    pub db: Database,
    pub store: BundleStore,
    pub metrics: Arc<Metrics>,
    /// Where packed files are written before upload.
    pub staging_dir: std::path::PathBuf,
    /// This packer's claim on the jobs it runs (`JOB_LEASE_SECONDS`).
    pub lease: Lease,
    /// `PACKER_MAX_ATTEMPTS`: a job handed out this often fails for good.
    pub max_attempts: u32,
}

impl Packer {
    /// A lease owner unique to this process.
    pub fn new_lease(duration: std::time::Duration) -> Lease {
        Lease { owner: format!("packer-{}", Uuid::new_v4()), duration }
    }

    /// Claims the job and runs it under the lease. Only a database that
    /// cannot be reached for the claim or the result is an error; the
    /// caller gives the message back to the queue then.
    pub async fn run(&self, job: &GenerateJob) -> Result<Outcome, JobError> {
        let started = Instant::now();
        let (id, lease) = (job.id.clone(), self.lease.clone());
        let row = match self.db.run(move |conn| lease::claim(conn, &id, &lease)).await? {
            Claim::Started(row) => row,
            Claim::HeldElsewhere => return Ok(Outcome::HeldElsewhere),
            Claim::Finished => return Ok(Outcome::AlreadyFinished),
            Claim::Missing => return Ok(Outcome::UnknownJob),
        };
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        if attempts > self.max_attempts {
            let error =
                format!("gave up after {} attempts; last error: {}", self.max_attempts, row.error.unwrap_or_default());
            return self.fail(job, error, started).await;
        }
        let _in_flight = self.metrics.in_flight();
        let progress = Arc::new(Progress::default());
        let keeper = keep_lease(self.db.clone(), job.id.clone(), self.lease.clone(), progress.clone());
        let result = tokio::select! {
            result = self.produce(job, &progress) => result,
            lost = keeper => Err(lost),
        };
        match result {
            Ok(outcome) => {
                self.metrics.job_finished(outcome.label(), started.elapsed());
                Ok(outcome)
            }
            Err(JobError::LeaseLost) => {
                tracing::warn!(job = %job.id, "lease lost mid-run: stopped, result not written");
                self.metrics.job_finished("lease_lost", started.elapsed());
                Ok(Outcome::LeaseLost)
            }
            Err(e) if e.is_permanent() || attempts >= self.max_attempts => self.fail(job, e.to_string(), started).await,
            Err(e) => {
                let (id, owner, error) = (job.id.clone(), self.lease.owner.clone(), e.to_string());
                let backoff = std::time::Duration::from_millis(200 * u64::from(attempts.min(20)));
                tracing::warn!(job = %job.id, attempt = attempts, error = %error, ?backoff, "job failed; retrying");
                let requeued = {
                    let error = error.clone();
                    self.db.run(move |conn| lease::retry_later(conn, &id, &owner, &error, backoff)).await?
                };
                self.metrics.job_finished(if requeued { "retried" } else { "lease_lost" }, started.elapsed());
                Ok(if requeued { Outcome::Retrying { error } } else { Outcome::LeaseLost })
            }
        }
    }

    /// Runs a job here and now instead of queueing it (`packer pack`, the
    /// first-start sample): its row is written without an outbox message.
    pub async fn run_now(&self, job: &GenerateJob) -> Result<Outcome, JobError> {
        let row = job.queued_row();
        self.db.run(move |conn| insider_bulk_core::db::jobs::insert(conn, &row)).await?;
        self.run(job).await
    }

    async fn fail(&self, job: &GenerateJob, error: String, started: Instant) -> Result<Outcome, JobError> {
        tracing::error!(job = %job.id, error = %error, "job failed for good");
        let (id, owner) = (job.id.clone(), self.lease.owner.clone());
        let failed = {
            let error = error.clone();
            self.db.run(move |conn| lease::fail(conn, &id, Some(&owner), &error)).await?
        };
        self.metrics.job_finished(if failed { "failed" } else { "lease_lost" }, started.elapsed());
        Ok(if failed { Outcome::Failed { error } } else { Outcome::LeaseLost })
    }

    /// Gives a job back to the queue now: the packer is stopping before it
    /// finished. False when the lease was no longer ours.
    pub async fn release(&self, job_id: &JobId) -> Result<bool, DbError> {
        let (id, owner) = (job_id.clone(), self.lease.owner.clone());
        self.db.run(move |conn| lease::release(conn, &id, &owner)).await
    }

    async fn produce(&self, job: &GenerateJob, progress: &Arc<Progress>) -> Result<Outcome, JobError> {
        let (form, month) = (job.form, job.month);
        let (current, stats) = self
            .db
            .run(move |conn| Ok((bundles::get(conn, form, month)?, month_stats::get(conn, form, month)?)))
            .await?;
        let fingerprint = stats.map_or(EMPTY_FINGERPRINT.to_owned(), |s| s.fingerprint);
        if let Some(bundle) = current.filter(|b| b.source_fingerprint == fingerprint) {
            if bundle.storage == StorageTier::Cold {
                let hot_key = object_key(StorageTier::Hot, form, month, &bundle.sha256, Uuid::new_v4());
                self.store.copy_verified(&bundle.object_key, &hot_key, &bundle.sha256).await?;
                let hot_jsonl = jsonl_object_key(StorageTier::Hot, form, month, &bundle.jsonl_sha256, Uuid::new_v4());
                self.store.copy_verified(&bundle.jsonl_object_key, &hot_jsonl, &bundle.jsonl_sha256).await?;
                self.metrics.hydrations.inc();
                let sha256 = bundle.sha256.clone();
                self.publish(job, BundleRow { object_key: hot_key, jsonl_object_key: hot_jsonl, ..bundle }).await?;
                return Ok(Outcome::Hydrated { sha256 });
            }
            let tar_there = self.store.size(&bundle.object_key).await? == Some(bundle.size_bytes as u64);
            let jsonl_there = self.store.size(&bundle.jsonl_object_key).await? == Some(bundle.jsonl_size_bytes as u64);
            if tar_there && jsonl_there {
                self.metrics.cache_hits.inc();
                let sha256 = bundle.sha256.clone();
                self.publish(job, bundle).await?;
                return Ok(Outcome::Unchanged { sha256 });
            }
            tracing::warn!(key = %bundle.object_key, "indexed bundle missing from the store; re-packing");
        }
        // The previous object, if any, is superseded when the row switches.
        self.pack(job, progress).await
    }

    async fn pack(&self, job: &GenerateJob, progress: &Arc<Progress>) -> Result<Outcome, JobError> {
        let (form, month) = (job.form, job.month);
        std::fs::create_dir_all(&self.staging_dir).map_err(StoreError::from)?;
        let staged = tempfile::NamedTempFile::new_in(&self.staging_dir).map_err(StoreError::from)?;
        let staged_jsonl = tempfile::NamedTempFile::new_in(&self.staging_dir).map_err(StoreError::from)?;
        let files = (staged.reopen().map_err(StoreError::from)?, staged_jsonl.reopen().map_err(StoreError::from)?);
        let progress = progress.clone();
        let built: BuiltBundle = self
            .db
            .run_with_spare(move |conn, second| {
                // The lease keeper writes these with each renewal; these
                // connections hold the month's read-only snapshot.
                let mut report = |done: u64, total: u64| progress.set(done, total);
                Ok(bundle::build_to_files(conn, second, form, month, files, &mut report))
            })
            .await??;
        // Both objects are in the store before the row names either; an
        // upload that fails leaves the other for the orphan sweep.
        let key = object_key(StorageTier::Hot, form, month, &built.sha256, Uuid::new_v4());
        let jsonl_key = jsonl_object_key(StorageTier::Hot, form, month, &built.jsonl.sha256, Uuid::new_v4());
        self.store.put_file(&jsonl_key, staged_jsonl.path()).await?;
        self.store.put_file(&key, staged.path()).await?;
        self.metrics.rows_packed.inc_by(built.row_count);
        self.metrics.bytes_packed.inc_by(built.size + built.jsonl.size);
        let row = BundleRow {
            form_type: form,
            period_month: month,
            status: BundleStatus::Available,
            storage: StorageTier::Hot,
            file_name: bundle::file_name(form, month),
            object_key: key,
            generated_at: now(),
            sha256: built.sha256.clone(),
            size_bytes: built.size as i64,
            filing_count: built.filing_count as i64,
            row_count: built.row_count as i64,
            source_fingerprint: built.source_fingerprint.clone(),
            last_job_id: None,
            synthetic: built.synthetic,
            jsonl_object_key: jsonl_key,
            jsonl_sha256: built.jsonl.sha256.clone(),
            jsonl_size_bytes: built.jsonl.size as i64,
        };
        self.publish(job, row).await?;
        Ok(Outcome::Packed { sha256: built.sha256, size: built.size, rows: built.row_count })
    }

    /// The index row and the job's success, in one transaction, after the
    /// file is durable in the store.
    async fn publish(&self, job: &GenerateJob, row: BundleRow) -> Result<(), JobError> {
        let row = BundleRow {
            status: BundleStatus::Available,
            storage: StorageTier::Hot,
            generated_at: now(),
            last_job_id: Some(job.id.clone()),
            ..row
        };
        let (id, owner) = (job.id.clone(), self.lease.owner.clone());
        let published = self
            .db
            .run(move |conn| {
                insider_bulk_core::db::write_transaction(conn, |conn| {
                    // Only the lease holder writes a result; a packer whose
                    // lease was taken back leaves its upload for the orphan sweep.
                    if !lease::succeed(conn, &id, &owner, &row.sha256)? {
                        return Ok(false);
                    }
                    bundles::upsert(conn, &row)?;
                    Ok(true)
                })
            })
            .await?;
        if published {
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }
}

/// Rows done and in all, as the build reports them; the keeper writes them.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    fn set(&self, done: u64, total: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn get(&self) -> (i64, i64) {
        let read = |n: &AtomicU64| i64::try_from(n.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        (read(&self.done), read(&self.total))
    }
}

/// Renews the lease with a progress write every half lease, and resolves
/// only when the lease is lost: taken back (the sweeper queued the job
/// again), or not renewed before it ran out (the database was out of reach).
async fn keep_lease(db: Database, id: JobId, lease: Lease, progress: Arc<Progress>) -> JobError {
    let every = lease.duration / 2;
    // The claim just set the expiry; measured from here it is a little early.
    let mut expires = Instant::now() + lease.duration;
    let mut wait = every;
    loop {
        tokio::time::sleep(wait).await;
        let asked = Instant::now();
        let Some(remaining) = expires.checked_duration_since(asked).filter(|r| !r.is_zero()) else {
            return JobError::LeaseLost;
        };
        let (done, total) = progress.get();
        let (job_id, lease_now) = (id.clone(), lease.clone());
        let renewal = db.run(move |conn| lease::renew(conn, &job_id, &lease_now, done, total));
        match tokio::time::timeout(remaining, renewal).await {
            Ok(Ok(true)) => {
                expires = asked + lease.duration;
                wait = every;
            }
            Ok(Ok(false)) => return JobError::LeaseLost,
            Ok(Err(e)) => {
                tracing::warn!(job = %id, error = %e, "cannot renew the job's lease; retrying");
                wait = std::time::Duration::from_millis(500).min(remaining);
            }
            Err(_) => return JobError::LeaseLost,
        }
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
