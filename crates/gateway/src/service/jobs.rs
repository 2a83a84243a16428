//! One job's state and progress, for its owner.

use insider_bulk_core::db::jobs;
use insider_bulk_core::domain::{JobId, JobState};
use serde::Serialize;
use utoipa::ToSchema;

use super::timestamp;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub job_id: String,
    #[schema(example = "4")]
    pub form_type: String,
    pub year: i32,
    pub month: u32,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub state: String,
    /// `on_demand`, `nightly` or `warm`.
    pub reason: String,
    pub progress: Progress,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub attempts: i32,
    /// The bundle's sha256 once the job succeeded.
    pub sha256: Option<String>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    pub tokens_charged: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub rows_done: i64,
    pub rows_total: i64,
    /// 0.0 to 1.0.
    pub fraction: f64,
}

/// The job if the caller may see it: its own, one it joined, or one no
/// account started (nightly and warm-up jobs, which the index shows
/// anyway). Anything else is "not found", so nobody learns that another
/// account's job exists.
pub async fn job(state: &AppState, caller: &Caller, id: JobId) -> Result<JobView, ApiError> {
    let account = caller.account_id.clone();
    let row = state
        .db
        .run(move |conn| {
            let Some(row) = jobs::get(conn, &id)? else { return Ok(None) };
            let visible = match &row.account_id {
                None => true,
                Some(owner) => owner == &*account || jobs::is_follower(conn, &id, &account)?,
            };
            Ok(visible.then_some(row))
        })
        .await?;
    let row = row.ok_or_else(|| ApiError::NotFound("no such job".into()))?;
    // A job that found its month unchanged packs no rows, and is done all the same.
    let fraction = match (row.state, row.rows_total) {
        (JobState::Succeeded, _) => 1.0,
        (_, total) if total > 0 => row.rows_done as f64 / total as f64,
        _ => 0.0,
    };
    Ok(JobView {
        form_type: row.form_type.to_string(),
        year: row.period_month.year(),
        month: row.period_month.month(),
        progress: Progress { rows_done: row.rows_done, rows_total: row.rows_total, fraction: fraction.clamp(0.0, 1.0) },
        queued_at: timestamp(row.queued_at),
        started_at: row.started_at.map(timestamp),
        finished_at: row.finished_at.map(timestamp),
        attempts: row.attempts,
        sha256: row.result_sha256,
        error: row.error,
        tokens_charged: row.tokens_charged,
        state: row.state.to_string(),
        reason: row.reason.to_string(),
        job_id: row.id.into(),
    })
}
