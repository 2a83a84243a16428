//! The seed endpoint: charge, record and queue a month's regeneration, or
//! join the month's open job, or replay an idempotent retry.

use insider_bulk_core::db::billing::{self, GenerateOrder, IdempotencyClaim, OrderOutcome};
use insider_bulk_core::db::jobs::recovery::{Recovered, StuckRules};
use insider_bulk_core::db::jobs::{self, JobRow};
use insider_bulk_core::db::{month_stats, now_utc};
use insider_bulk_core::domain::{AccountId, FormType, JobId, JobReason, Month};
use insider_bulk_core::job_message::GenerateJob;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::estimate::estimated_seconds;
use super::timestamp;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::request_id;
use crate::state::AppState;

/// The seed's response, field for field.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateResponse {
    /// The job's UUID; poll `/api/insiders/bulk/jobs/{job_id}` or the index.
    #[schema(example = "8f1a2b30-c4d5-46e7-9f01-23456789abcd")]
    pub job_id: String,
    /// When the job entered the queue (UTC, milliseconds).
    #[schema(example = "2026-05-01T20:55:12.000Z")]
    pub queued_at: String,
    /// Server-side ETA in whole seconds; re-poll at `queued_at + 1.5 × estimated_seconds`.
    #[schema(example = 3)]
    pub estimated_seconds: i64,
    /// Always `queued`: the endpoint never returns a completed job.
    #[schema(example = "queued")]
    pub status: &'static str,
}

/// A response body ready to send (the same bytes for a replay), and the
/// tokens this call took: the cost when it queued a job, else 0.
pub struct Generated {
    pub body: String,
    pub tokens_charged: i64,
}

pub async fn generate(
    state: &AppState,
    caller: &Caller,
    form: FormType,
    month: Month,
    idempotency_key: Option<&str>,
) -> Result<Generated, ApiError> {
    let idempotency = idempotency_key.map(|key| claim(key, form, month)).transpose()?;
    let (rows, ahead) = state
        .db
        .run(move |conn| {
            let rows = month_stats::get(conn, form, month)?.map_or(0, |s| s.row_count);
            Ok((rows, jobs::open_count(conn)?))
        })
        .await?;
    let estimate = estimated_seconds(rows, ahead, state.queue_stats.consumers(), state.config.estimate_rows_per_second);
    let cost = state.config.costs.generate;
    let message = GenerateJob {
        id: JobId::random(),
        form,
        month,
        reason: JobReason::OnDemand,
        requested_at: now_utc(),
        account_id: Some(AccountId::clone(&caller.account_id)),
        trace_id: Some(request_id::current()),
    };
    let job = JobRow { tokens_charged: i32::try_from(cost).unwrap_or(i32::MAX), ..message.queued_row() };
    let order = GenerateOrder {
        account_id: AccountId::clone(&caller.account_id),
        cost,
        form,
        month,
        job,
        idempotency,
        stuck_rules: StuckRules::now(state.redispatch_after, state.queue_stats.idle()),
    };
    let render = move |job: &JobRow| {
        let response = GenerateResponse {
            job_id: job.id.to_string(),
            queued_at: timestamp(job.queued_at),
            estimated_seconds: estimate,
            status: "queued",
        };
        serde_json::to_string(&response).unwrap_or_default()
    };
    // The caller's metered index calls first, so this charge sees them.
    state.meter.settle(&state.db, Some(&caller.account_id)).await?;
    let outcome = state.db.run(move |conn| billing::place_generate_order(conn, &order, render)).await?;
    let count = |outcome: &str| state.metrics.generate_outcomes.with_label_values(&[outcome]).inc();
    match outcome {
        OrderOutcome::Queued { response_body, .. } => {
            count("queued");
            state.metrics.tokens_charged.inc_by(cost as u64);
            state.relay_wake.notify_one();
            Ok(Generated { body: response_body, tokens_charged: cost })
        }
        OrderOutcome::Joined { response_body, recovered, job } => {
            count("joined");
            if let Some(reason) = recovered {
                insider_bulk_core::dispatch::record_recovered(
                    &state.metrics.dispatch,
                    &[Recovered { job_id: job.id, reason }],
                );
                state.relay_wake.notify_one();
            }
            Ok(Generated { body: response_body, tokens_charged: 0 })
        }
        OrderOutcome::Replayed { response_body, .. } => {
            count("replayed");
            Ok(Generated { body: response_body, tokens_charged: 0 })
        }
        OrderOutcome::IdempotencyConflict => {
            count("idempotency_conflict");
            Err(ApiError::IdempotencyKeyReused)
        }
        OrderOutcome::InsufficientBalance { balance, cost } => {
            count("insufficient_balance");
            Err(ApiError::PaymentRequired { balance, cost })
        }
        OrderOutcome::UnknownAccount => Err(ApiError::Unauthorized("the account no longer exists".into())),
    }
}

/// An `Idempotency-Key` is 1–255 visible ASCII characters; the request it
/// guards is the form and month.
fn claim(key: &str, form: FormType, month: Month) -> Result<IdempotencyClaim, ApiError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("Idempotency-Key", "Idempotency-Key must be 1-255 visible ASCII characters"));
    }
    let fingerprint = hex::encode(Sha256::digest(format!("POST generate form-{form} {month}").as_bytes()));
    Ok(IdempotencyClaim { key: key.to_owned(), request_fingerprint: fingerprint })
}
