//! The download call: a signed URL to one of a month's two files, as the
//! live service answers it. A month with no file yet (pending, or in cold
//! storage) is built on this first download: the call queues the month's
//! job through the outbox and waits up to `DOWNLOAD_WAIT_SECONDS` for it,
//! then answers with the URL, or with 202 and the job when the build takes
//! longer. The object is chosen from the validated form and month, never
//! from the request path.

use std::time::Duration;

use insider_bulk_core::db::billing::{self, CallCharge};
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::jobs::{self, JobRow};
use insider_bulk_core::db::now_utc;
use insider_bulk_core::domain::{BundleStatus, FormType, JobId, JobReason, JobState, Month};
use insider_bulk_core::job_message::GenerateJob;
use serde::Serialize;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

use super::params::{FileKind, FileName};
use super::signed_url::SignedObject;
use super::timestamp;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::request_id;
use crate::state::AppState;

/// The live service's answer, field for field.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadResponse {
    /// Signed URL of the file; needs no API key, works until `expires_at`.
    #[schema(
        example = "https://bulk.example.com/files/hot/form-4/2026/form-4-2026-04.0123456789abcdef.jsonl.gz?sha256=...&expires=1777755312&signature=..."
    )]
    pub download_url: String,
    #[schema(example = "form-4-2026-04.jsonl.gz")]
    pub filename: String,
    /// Lines of the `.jsonl.gz` (= filings); for the tar.gz, its table rows.
    #[schema(example = 28432)]
    pub row_count: i64,
    #[schema(example = 4128000)]
    pub size_bytes: i64,
    pub sha256: String,
    #[schema(example = "2026-05-02T20:55:12.000Z")]
    pub expires_at: String,
}

/// A month still being built, past the wait: poll the job, or call again.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingResponse {
    #[schema(example = "8f1a2b30-c4d5-46e7-9f01-23456789abcd")]
    pub job_id: String,
    #[schema(example = "2026-05-01T20:55:12.000Z")]
    pub queued_at: String,
    /// `queued` or `running`.
    #[schema(example = "running")]
    pub status: String,
    #[schema(example = "form-4-2026-04.jsonl.gz")]
    pub filename: String,
    /// Seconds to wait before calling again (also in `Retry-After`).
    #[schema(example = 5)]
    pub retry_after_seconds: u64,
}

pub enum DownloadAnswer {
    Ready { body: DownloadResponse, tokens_charged: i64 },
    Building(PendingResponse),
}

/// How often the wait looks at the month's row again.
const POLL: Duration = Duration::from_millis(200);
const RETRY_AFTER_SECONDS: u64 = 5;

pub async fn download(
    state: &AppState,
    caller: &Caller,
    file: FileName,
    base_url: &str,
) -> Result<DownloadAnswer, ApiError> {
    let bundle = match available(state, file.form, file.month).await? {
        Some(bundle) => bundle,
        None => match build_and_wait(state, file).await? {
            Ok(bundle) => bundle,
            Err(pending) => return Ok(DownloadAnswer::Building(pending)),
        },
    };
    let (object_key, sha256, size_bytes, row_count, filename) = match file.kind {
        FileKind::Jsonl => (
            bundle.jsonl_object_key.clone(),
            bundle.jsonl_sha256.clone(),
            bundle.jsonl_size_bytes,
            bundle.filing_count,
            bundle.jsonl_file_name(),
        ),
        FileKind::Tar => (bundle.object_key, bundle.sha256, bundle.size_bytes, bundle.row_count, bundle.file_name),
    };
    // The caller's metered index calls first, so this charge sees them.
    state.meter.settle(&state.db, Some(&caller.account_id)).await?;
    let validity = state.signed_url_validity;
    let until = now_utc() + validity;
    let (account, key, cost) = (caller.account_id.clone(), object_key.clone(), state.config.costs.download);
    let note = format!("download {filename}");
    let (charge, expires_at) =
        state.db.run(move |conn| billing::charge_download(conn, &account, &key, cost, until, &note)).await?;
    let tokens_charged = match charge {
        CallCharge::InsufficientBalance { balance, cost } => return Err(ApiError::PaymentRequired { balance, cost }),
        CallCharge::UnknownAccount => return Err(ApiError::Unauthorized("the account no longer exists".into())),
        charged => charged.tokens(),
    };
    state.metrics.tokens_charged.inc_by(tokens_charged as u64);
    let download_url = signed_url(state, base_url, &object_key, &sha256, expires_at).await?;
    let body =
        DownloadResponse { download_url, filename, row_count, size_bytes, sha256, expires_at: timestamp(expires_at) };
    Ok(DownloadAnswer::Ready { body, tokens_charged })
}

/// The month's row when its files can be downloaded now.
async fn available(state: &AppState, form: FormType, month: Month) -> Result<Option<BundleRow>, ApiError> {
    let bundle = state.db.run(move |conn| bundles::get(conn, form, month)).await?;
    Ok(bundle.filter(|b| b.status == BundleStatus::Available))
}

/// Queues the month's build (or finds its open job) and waits for the
/// files, up to the configured bound.
async fn build_and_wait(state: &AppState, file: FileName) -> Result<Result<BundleRow, PendingResponse>, ApiError> {
    let (form, month) = (file.form, file.month);
    let message = GenerateJob {
        id: JobId::random(),
        form,
        month,
        reason: JobReason::Warm,
        requested_at: now_utc(),
        account_id: None,
        trace_id: Some(request_id::current()),
    };
    let job = message.queued_row();
    let queued = state.db.run(move |conn| jobs::enqueue_unless_open(conn, &job)).await?;
    if queued {
        state.relay_wake.notify_one();
    }
    let deadline = tokio::time::Instant::now() + state.config.download_wait;
    loop {
        if let Some(bundle) = available(state, form, month).await? {
            return Ok(Ok(bundle));
        }
        if tokio::time::Instant::now() + POLL > deadline {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let open = state.db.run(move |conn| jobs::open_for_month(conn, form, month)).await?;
    Ok(Err(pending(open, file)))
}

fn pending(open: Option<JobRow>, file: FileName) -> PendingResponse {
    let filename = match file.kind {
        FileKind::Jsonl => bundles::jsonl_file_name(file.form, file.month),
        FileKind::Tar => bundles::tar_file_name(file.form, file.month),
    };
    // The job may have finished, or failed, between the last look and this
    // one: the next call finds the file, or queues a new job.
    let (job_id, queued_at, status) = match open {
        Some(job) => (job.id.into(), timestamp(job.queued_at), job.state),
        None => (String::new(), timestamp(now_utc()), JobState::Queued),
    };
    PendingResponse {
        job_id,
        queued_at,
        status: status.to_string(),
        filename,
        retry_after_seconds: RETRY_AFTER_SECONDS,
    }
}

/// The store's own presigned URL (S3), else one the gateway signs.
async fn signed_url(
    state: &AppState,
    base_url: &str,
    object_key: &str,
    sha256: &str,
    expires_at: PrimitiveDateTime,
) -> Result<String, ApiError> {
    let left = (expires_at - now_utc()).try_into().unwrap_or(Duration::from_secs(1)).max(Duration::from_secs(1));
    if let Some(url) = state.store.signed_url(object_key, left).await.map_err(|e| ApiError::Internal(e.to_string()))? {
        return Ok(url);
    }
    let object = SignedObject {
        object_key: object_key.to_owned(),
        sha256: sha256.to_owned(),
        expires: expires_at.assume_utc().unix_timestamp(),
    };
    Ok(state.url_signer.url(base_url, &object))
}
