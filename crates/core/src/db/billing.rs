//! Paid generation: the charge, the job row, the outbox message and the
//! idempotency record commit together or not at all, so a job is never
//! charged without being queued nor queued without being charged. Refunds
//! of jobs that fail for good are written by [`refund_job`].

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::accounts::{get as get_account, try_append_entry};
use super::jobs::recovery::{self, StuckRules};
use super::jobs::{self, JobRow};
use super::schema::{download_grants, idempotency_keys, ledger};
use super::{now_utc, write_transaction, DbConnection, DbError};
use crate::domain::{AccountId, FormType, JobId, LedgerKind, Month, RecoveryReason};
use time::PrimitiveDateTime;

/// A paid request to generate one month.
#[derive(Debug, Clone)]
pub struct GenerateOrder {
    pub account_id: AccountId,
    pub cost: i64,
    pub form: FormType,
    pub month: Month,
    /// The job to create when no open job exists for the month.
    pub job: JobRow,
    pub idempotency: Option<IdempotencyClaim>,
    /// When the month's open job counts as stuck: it is recovered then,
    /// not joined as it is.
    pub stuck_rules: StuckRules,
}

/// An `Idempotency-Key` and a fingerprint of the request it was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub key: String,
    pub request_fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OrderOutcome {
    /// Charged, recorded and queued (through the outbox).
    Queued {
        job: JobRow,
        response_body: String,
        balance: i64,
    },
    /// The month already had an open job: joined, not charged. A stuck
    /// job was queued again first (`recovered`), and its first charge
    /// stands because it now runs.
    Joined {
        job: JobRow,
        response_body: String,
        recovered: Option<RecoveryReason>,
    },
    /// A retry with a known Idempotency-Key: the first response, not charged.
    Replayed {
        job_id: JobId,
        response_body: String,
    },
    /// The key was first used with a different request.
    IdempotencyConflict,
    InsufficientBalance {
        balance: i64,
        cost: i64,
    },
    UnknownAccount,
}

/// Places an order. `render` makes the response body for the job the
/// caller ends up with; it is stored for idempotent replays.
pub fn place_generate_order(
    conn: &mut DbConnection,
    order: &GenerateOrder,
    render: impl Fn(&JobRow) -> String,
) -> Result<OrderOutcome, DbError> {
    // Two concurrent first calls for one month both find no open job; the
    // unique index stops the second at its insert, whose transaction (and
    // charge) rolls back, and the retry joins the first one's job.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match write_transaction(conn, |conn| try_place(conn, order, &render)) {
            Err(DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) if attempts < 5 => {
                continue
            }
            other => return other,
        }
    }
}

fn try_place(
    conn: &mut DbConnection,
    order: &GenerateOrder,
    render: &impl Fn(&JobRow) -> String,
) -> Result<OrderOutcome, DbError> {
    if let Some(claim) = &order.idempotency {
        let earlier = idempotency_keys::table
            .find((&order.account_id, &claim.key))
            .select((idempotency_keys::request_fingerprint, idempotency_keys::job_id, idempotency_keys::response_body))
            .first::<(String, JobId, String)>(conn)
            .optional()?;
        if let Some((fingerprint, job_id, response_body)) = earlier {
            return Ok(if fingerprint == claim.request_fingerprint {
                OrderOutcome::Replayed { job_id, response_body }
            } else {
                OrderOutcome::IdempotencyConflict
            });
        }
    }
    if let Some(open) = jobs::open_for_month(conn, order.form, order.month)? {
        let recovered = recovery::recover_if_stuck(conn, &open, &order.stuck_rules)?.map(|r| r.reason);
        let job = if recovered.is_some() { jobs::get(conn, &open.id)?.unwrap_or(open) } else { open };
        if job.account_id.as_ref() != Some(&order.account_id) {
            jobs::follow(conn, &job.id, &order.account_id)?;
        }
        let response_body = render(&job);
        remember(conn, order, &job.id, &response_body)?;
        return Ok(OrderOutcome::Joined { job, response_body, recovered });
    }
    let job = &order.job;
    let charged = try_append_entry(
        conn,
        &order.account_id,
        LedgerKind::Charge,
        -order.cost,
        Some(&job.id),
        Some(&format!("generate form {} {}", order.form, order.month)),
    )?;
    let Some(balance) = charged else {
        return Ok(match get_account(conn, &order.account_id)? {
            Some(account) => OrderOutcome::InsufficientBalance { balance: account.balance, cost: order.cost },
            None => OrderOutcome::UnknownAccount,
        });
    };
    jobs::enqueue(conn, job)?;
    let response_body = render(job);
    remember(conn, order, &job.id, &response_body)?;
    Ok(OrderOutcome::Queued { job: job.clone(), response_body, balance })
}

fn remember(
    conn: &mut DbConnection,
    order: &GenerateOrder,
    job_id: &JobId,
    response_body: &str,
) -> Result<(), DbError> {
    let Some(claim) = &order.idempotency else { return Ok(()) };
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::account_id.eq(&order.account_id),
            idempotency_keys::idempotency_key.eq(&claim.key),
            idempotency_keys::request_fingerprint.eq(&claim.request_fingerprint),
            idempotency_keys::job_id.eq(job_id),
            idempotency_keys::response_body.eq(response_body),
            idempotency_keys::created_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives back what a job was charged, once. Runs inside the transaction
/// that marks the job failed; returns the tokens refunded (0 when the job
/// was free or already refunded).
pub fn refund_job(conn: &mut DbConnection, job: &JobRow) -> Result<i64, DbError> {
    let (Some(account_id), cost) = (job.account_id.as_ref(), i64::from(job.tokens_charged)) else { return Ok(0) };
    if cost <= 0 {
        return Ok(0);
    }
    let charged: i64 = ledger::table
        .filter(ledger::job_id.eq(&job.id))
        .filter(ledger::entry_kind.eq(LedgerKind::Charge))
        .count()
        .get_result(conn)?;
    let refunded: i64 = ledger::table
        .filter(ledger::job_id.eq(&job.id))
        .filter(ledger::entry_kind.eq(LedgerKind::Refund))
        .count()
        .get_result(conn)?;
    if charged == 0 || refunded > 0 {
        return Ok(0);
    }
    try_append_entry(conn, account_id, LedgerKind::Refund, cost, Some(&job.id), Some("job failed"))?;
    Ok(cost)
}

/// Forgets idempotency keys older than `max_age`; a retry after that is a new request.
pub fn purge_idempotency_keys(conn: &mut DbConnection, max_age: std::time::Duration) -> Result<usize, DbError> {
    let cutoff = now_utc() - max_age;
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff))).execute(conn)?)
}

/// What charging one call (an index read, a download) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallCharge {
    /// Charged `cost`; `balance` is what is left.
    Charged {
        cost: i64,
        balance: i64,
    },
    /// Nothing to charge: the call is free, or already paid for.
    Free,
    InsufficientBalance {
        balance: i64,
        cost: i64,
    },
    UnknownAccount,
}

impl CallCharge {
    /// The tokens this call took, for `X-Tokens-Charged`.
    pub fn tokens(&self) -> i64 {
        match self {
            CallCharge::Charged { cost, .. } => *cost,
            _ => 0,
        }
    }
}

fn charge_in(conn: &mut DbConnection, account_id: &AccountId, cost: i64, note: &str) -> Result<CallCharge, DbError> {
    match try_append_entry(conn, account_id, LedgerKind::Charge, -cost, None, Some(note))? {
        Some(balance) => Ok(CallCharge::Charged { cost, balance }),
        None => Ok(match get_account(conn, account_id)? {
            Some(account) => CallCharge::InsufficientBalance { balance: account.balance, cost },
            None => CallCharge::UnknownAccount,
        }),
    }
}

/// A download call for `object_key`: charged once per signed URL. When the
/// caller already holds an unexpired grant for the object, the answer is
/// free and repeats that grant's expiry (so a local signed URL comes out
/// the same); else the call is charged and a grant until `expires_at` is
/// recorded, in one transaction.
pub fn charge_download(
    conn: &mut DbConnection,
    account_id: &AccountId,
    object_key: &str,
    cost: i64,
    expires_at: PrimitiveDateTime,
    note: &str,
) -> Result<(CallCharge, PrimitiveDateTime), DbError> {
    write_transaction(conn, |conn| {
        let now = now_utc();
        let held: Option<PrimitiveDateTime> = download_grants::table
            .find((account_id, object_key))
            .select(download_grants::expires_at)
            .first(conn)
            .optional()?;
        if let Some(until) = held.filter(|until| *until > now) {
            return Ok((CallCharge::Free, until));
        }
        let charge = if cost > 0 { charge_in(conn, account_id, cost, note)? } else { CallCharge::Free };
        if matches!(charge, CallCharge::Charged { .. } | CallCharge::Free) {
            crate::on_backend!(conn, c => diesel::insert_into(download_grants::table)
                .values((
                    download_grants::account_id.eq(account_id),
                    download_grants::object_key.eq(object_key),
                    download_grants::expires_at.eq(expires_at),
                ))
                .on_conflict((download_grants::account_id, download_grants::object_key))
                .do_update()
                .set(download_grants::expires_at.eq(expires_at))
                .execute(c))?;
        }
        Ok((charge, expires_at))
    })
}

/// Forgets grants whose URLs have expired.
pub fn purge_download_grants(conn: &mut DbConnection) -> Result<usize, DbError> {
    Ok(diesel::delete(download_grants::table.filter(download_grants::expires_at.le(now_utc()))).execute(conn)?)
}

/// Calls metered in memory and settled together: `calls` calls of one kind
/// (`note`, e.g. `index form 4`) costing `tokens` in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteredCalls {
    pub account_id: AccountId,
    pub note: String,
    pub calls: u64,
    pub tokens: i64,
}

/// What settling one account's metered calls left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// The balance after the charges.
    pub balance: i64,
    /// Tokens that could not be charged: the balance ran out first (another
    /// gateway spent it in the same interval). Never charged later.
    pub shortfall: i64,
}

/// Writes metered calls to the ledger in one transaction, one entry per
/// account and kind of call; returns each account's balance afterwards. A
/// balance that no longer covers a batch is charged what it holds, never
/// below zero, and the rest is reported as `shortfall`.
pub fn settle_metered(
    conn: &mut DbConnection,
    batches: &[MeteredCalls],
) -> Result<std::collections::BTreeMap<AccountId, Settled>, DbError> {
    write_transaction(conn, |conn| {
        let mut settled = std::collections::BTreeMap::new();
        for batch in batches.iter().filter(|b| b.tokens > 0) {
            let note = format!("{} ({} calls)", batch.note, batch.calls);
            let charged =
                try_append_entry(conn, &batch.account_id, LedgerKind::Charge, -batch.tokens, None, Some(&note))?;
            let entry = match charged {
                Some(balance) => Settled { balance, shortfall: 0 },
                None => {
                    let Some(account) = get_account(conn, &batch.account_id)? else { continue };
                    let payable = account.balance.clamp(0, batch.tokens);
                    let balance = if payable > 0 {
                        try_append_entry(conn, &batch.account_id, LedgerKind::Charge, -payable, None, Some(&note))?
                            .unwrap_or(account.balance)
                    } else {
                        account.balance
                    };
                    Settled { balance, shortfall: batch.tokens - payable }
                }
            };
            let total =
                settled.entry(batch.account_id.clone()).or_insert(Settled { balance: entry.balance, shortfall: 0 });
            total.balance = entry.balance;
            total.shortfall += entry.shortfall;
        }
        Ok(settled)
    })
}

/// An account's balance, `None` when there is no such account.
pub fn balance(conn: &mut DbConnection, account_id: &AccountId) -> Result<Option<i64>, DbError> {
    Ok(get_account(conn, account_id)?.map(|a| a.balance))
}
