//! The caller's own account: tier, balance, rate limits and recent ledger.
//! Only ever the caller's: the account comes from the credentials, never
//! from the request.

use insider_bulk_core::db::accounts;
use serde::Serialize;
use utoipa::ToSchema;

use super::timestamp;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rate_limit::Decision;
use crate::state::AppState;

/// Ledger entries returned, newest first.
pub const LEDGER_ENTRIES: i64 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub account_id: String,
    pub name: String,
    /// `free`, `pro` or `enterprise`: sets the rate limits.
    #[schema(example = "pro")]
    pub tier: String,
    /// Tokens left.
    #[schema(example = 975)]
    pub balance: i64,
    /// Tokens a generate call charges (joining a month's open job is free).
    #[schema(example = 25)]
    pub generate_cost: i64,
    /// Tokens an index.json answer charges (a 304 is free).
    #[schema(example = 25)]
    pub index_cost: i64,
    /// Tokens a download call charges (a repeat call for the same file
    /// while its URL is valid is free).
    #[schema(example = 25)]
    pub download_cost: i64,
    pub rate_limits: Vec<RateLimitView>,
    /// The latest ledger entries, newest first (at most 50).
    pub ledger: Vec<LedgerView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitView {
    /// `requests` (every call) or `generate` (generate calls).
    #[schema(example = "requests")]
    pub policy: String,
    pub quota: u64,
    pub window_seconds: u64,
    /// Requests left in the current window, this one counted; null for a
    /// budget this call does not draw on (`generate`).
    pub remaining: Option<u64>,
    /// Seconds until the window resets; null as for `remaining`.
    pub reset_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub id: i64,
    /// `grant`, `charge` or `refund`.
    #[schema(example = "charge")]
    pub kind: String,
    /// Tokens added (positive) or taken (negative).
    #[schema(example = -25)]
    pub amount: i64,
    pub balance_after: i64,
    /// The generate job a charge or refund was for.
    pub job_id: Option<String>,
    pub note: Option<String>,
    pub created_at: String,
}

/// The rate-limit decisions the guard made for this request: the request
/// budget's, and the generate budget's on a generate call.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckedLimits {
    pub requests: Option<Decision>,
    pub generate: Option<Decision>,
}

pub async fn account(state: &AppState, caller: &Caller, checked: &CheckedLimits) -> Result<AccountView, ApiError> {
    // The caller's own metered calls are in the balance and ledger shown.
    state.meter.settle(&state.db, Some(&caller.account_id)).await?;
    let id = caller.account_id.clone();
    let (account, ledger) = state
        .db
        .run(move |conn| Ok((accounts::get(conn, &id)?, accounts::recent_ledger(conn, &id, LEDGER_ENTRIES)?)))
        .await?;
    // The guard authenticated this account a moment ago; gone now means deleted since.
    let account =
        account.ok_or_else(|| ApiError::Unauthorized("the account of these credentials no longer exists".into()))?;
    let (requests, generate) = state.config.limits.for_tier(caller.tier).clone();
    let rate_limits = [(requests, checked.requests), (generate, checked.generate)]
        .into_iter()
        .map(|(policy, decision)| RateLimitView {
            remaining: decision.map(|d| d.remaining),
            reset_seconds: decision.map(|d| d.reset_seconds),
            policy: policy.name,
            quota: policy.quota,
            window_seconds: policy.window_seconds,
        })
        .collect();
    Ok(AccountView {
        account_id: account.id.into(),
        name: account.name,
        tier: account.tier.to_string(),
        balance: account.balance,
        generate_cost: state.config.costs.generate,
        index_cost: state.config.costs.index,
        download_cost: state.config.costs.download,
        rate_limits,
        ledger: ledger
            .into_iter()
            .map(|e| LedgerView {
                id: e.id,
                kind: e.entry_kind.to_string(),
                amount: e.amount,
                balance_after: e.balance_after,
                job_id: e.job_id.map(String::from),
                note: e.note,
                created_at: timestamp(e.created_at),
            })
            .collect(),
    })
}
