//! A packer runs a job only under a lease: its instance id and an expiry
//! that each progress write pushes forward. Every write that finishes a run
//! (success, failure, retry, release) names the lease owner, so a packer
//! whose lease the sweeper took back cannot write a result over the run
//! that replaced it.

use std::time::Duration;

use diesel::prelude::*;

use super::{get, JobRow, OPEN};
use crate::db::schema::jobs;
use crate::db::{billing, now_utc, outbox, write_transaction, DbConnection, DbError};
use crate::domain::{JobId, JobState};

/// Who holds a job, and for how long each renewal extends the hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Unique per packer process (a fresh UUID at start-up).
    pub owner: String,
    pub duration: Duration,
}

/// What a delivery found when it tried to claim its job.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Ours now: run it. The row shows the attempt this run counts as.
    Started(Box<JobRow>),
    /// Another packer holds a live lease: it will finish the job, or the
    /// lease will run out and the sweeper will queue the job again.
    HeldElsewhere,
    /// Succeeded or failed already: a duplicate message.
    Finished,
    /// No such job: a message that no door wrote.
    Missing,
}

/// Claims a queued job, or a running one whose lease has run out, counting
/// one more attempt. One statement, so two deliveries of one job never
/// both start it.
pub fn claim(conn: &mut DbConnection, id: &JobId, lease: &Lease) -> Result<Claim, DbError> {
    let now = now_utc();
    let claimable = jobs::state
        .eq(JobState::Queued)
        .or(jobs::state.eq(JobState::Running).and(jobs::lease_expires_at.is_null().or(jobs::lease_expires_at.lt(now))));
    let claimed = diesel::update(jobs::table.find(id).filter(claimable))
        .set((
            jobs::state.eq(JobState::Running),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::started_at.eq(Some(now)),
            jobs::rows_done.eq(0),
            jobs::lease_owner.eq(Some(&lease.owner)),
            jobs::lease_expires_at.eq(Some(now + lease.duration)),
        ))
        .execute(conn)?;
    let Some(row) = get(conn, id)? else { return Ok(Claim::Missing) };
    if claimed == 1 {
        return Ok(Claim::Started(Box::new(row)));
    }
    Ok(match row.state {
        JobState::Succeeded | JobState::Failed => Claim::Finished,
        JobState::Queued | JobState::Running => Claim::HeldElsewhere,
    })
}

/// Writes progress and extends the lease. False when the lease is no
/// longer ours (the sweeper took the job back): the run must stop.
pub fn renew(
    conn: &mut DbConnection,
    id: &JobId,
    lease: &Lease,
    rows_done: i64,
    rows_total: i64,
) -> Result<bool, DbError> {
    let renewed = diesel::update(held(id, &lease.owner))
        .set((
            jobs::rows_done.eq(rows_done),
            jobs::rows_total.eq(rows_total),
            jobs::lease_expires_at.eq(Some(now_utc() + lease.duration)),
        ))
        .execute(conn)?;
    Ok(renewed == 1)
}

/// Marks the job succeeded, if `owner` still holds it. Runs inside the
/// transaction that switches the index row, which rolls back when false.
pub fn succeed(conn: &mut DbConnection, id: &JobId, owner: &str, sha256: &str) -> Result<bool, DbError> {
    let done = diesel::update(held(id, owner))
        .set((
            jobs::state.eq(JobState::Succeeded),
            jobs::finished_at.eq(Some(now_utc())),
            jobs::result_sha256.eq(Some(sha256)),
            jobs::error.eq(None::<String>),
            jobs::rows_done.eq(jobs::rows_total),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<time::PrimitiveDateTime>),
        ))
        .execute(conn)?;
    Ok(done == 1)
}

/// Fails the job for good and refunds its charge in one transaction.
/// `owner` limits it to the lease holder; `None` fails any open job (an
/// operator's decision, or a test). False when nothing changed.
pub fn fail(conn: &mut DbConnection, id: &JobId, owner: Option<&str>, error: &str) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        let target = jobs::table.find(id).filter(jobs::state.eq_any(OPEN)).into_boxed();
        let target = match owner {
            Some(owner) => target.filter(jobs::lease_owner.eq(owner)),
            None => target,
        };
        let ids: Vec<JobId> = target.select(jobs::id).load(conn)?;
        if ids.is_empty() {
            return Ok(false);
        }
        diesel::update(jobs::table.find(id))
            .set((
                jobs::state.eq(JobState::Failed),
                jobs::finished_at.eq(Some(now_utc())),
                jobs::error.eq(Some(error)),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_expires_at.eq(None::<time::PrimitiveDateTime>),
            ))
            .execute(conn)?;
        // The outbox may still hold a retry of it: that message would only be acked.
        outbox::delete_for_job(conn, id)?;
        if let Some(job) = get(conn, id)? {
            billing::refund_job(conn, &job)?;
        }
        Ok(true)
    })
}

/// This run failed but another may succeed: back to queued, with its
/// message in the outbox for `delay` from now. Returns false when the lease
/// was no longer ours (the sweeper queued it already).
pub fn retry_later(
    conn: &mut DbConnection,
    id: &JobId,
    owner: &str,
    error: &str,
    delay: Duration,
) -> Result<bool, DbError> {
    requeue_held(conn, id, owner, Some(error), delay)
}

/// The packer is stopping before the run finished: queue the job again
/// now, for the next packer. The run already counted as an attempt.
pub fn release(conn: &mut DbConnection, id: &JobId, owner: &str) -> Result<bool, DbError> {
    requeue_held(conn, id, owner, None, Duration::ZERO)
}

fn requeue_held(
    conn: &mut DbConnection,
    id: &JobId,
    owner: &str,
    error: Option<&str>,
    delay: Duration,
) -> Result<bool, DbError> {
    write_transaction(conn, |conn| {
        let requeued = diesel::update(held(id, owner))
            .set((
                jobs::state.eq(JobState::Queued),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_expires_at.eq(None::<time::PrimitiveDateTime>),
                jobs::dispatched_at.eq(None::<time::PrimitiveDateTime>),
            ))
            .execute(conn)?;
        if requeued == 0 {
            return Ok(false);
        }
        if let Some(error) = error {
            diesel::update(jobs::table.find(id)).set(jobs::error.eq(Some(error))).execute(conn)?;
        }
        outbox::insert_after(conn, id, delay)?;
        Ok(true)
    })
}

type RunningJob<'a> =
    diesel::dsl::Filter<diesel::dsl::Find<jobs::table, &'a JobId>, diesel::dsl::Eq<jobs::state, JobState>>;
type HeldJob<'a> = diesel::dsl::Filter<RunningJob<'a>, diesel::dsl::Eq<jobs::lease_owner, &'a str>>;

/// The job `id` while `owner` runs it.
fn held<'a>(id: &'a JobId, owner: &'a str) -> HeldJob<'a> {
    jobs::table.find(id).filter(jobs::state.eq(JobState::Running)).filter(jobs::lease_owner.eq(owner))
}
