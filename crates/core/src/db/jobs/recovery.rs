//! The sweeper's side of "no job is lost": finds open jobs that nothing
//! will move on its own and queues them again through the outbox.
//!
//! A job is stuck when it is
//! - running under a lease that ran out (its packer died, lost its
//!   database, or hung), or
//! - queued with no outbox row, dispatched (or, never dispatched, queued:
//!   a `run_now` whose process died before its claim) longer than
//!   `redispatch_after` ago, and either the queue holds no waiting message (so the message is
//!   not still in line) or a job dispatched clearly after it (by more than
//!   a few seconds) was claimed longer than `redispatch_after` ago (the
//!   queue is first-in first-out, so this one's message should have come
//!   first).
//!
//! A false "lost" costs one duplicate message, which the packer's claim
//! turns into a no-op, and one counted attempt.
//!
//! On PostgreSQL a pass is one statement (select with `SKIP LOCKED`, update,
//! outbox insert), so several gateways sweeping at once recover a job once.
//! SQLite has one writer at a time; there a pass is one write transaction.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::db::schema::jobs;
use crate::db::{now_utc, outbox, write_transaction, DbConnection, DbError};
use crate::domain::{JobId, JobState, RecoveryReason};

/// When a queued job counts as lost.
#[derive(Debug, Clone, Copy)]
pub struct StuckRules {
    pub now: PrimitiveDateTime,
    /// How long a dispatched message may go undelivered (`JOB_REDISPATCH_SECONDS`).
    pub redispatch_after: Duration,
    /// The queue reported no waiting message at this pass.
    pub queue_idle: bool,
}

impl StuckRules {
    pub fn now(redispatch_after: Duration, queue_idle: bool) -> Self {
        StuckRules { now: now_utc(), redispatch_after, queue_idle }
    }
}

/// One job put back into the queue, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub job_id: JobId,
    pub reason: RecoveryReason,
}

#[derive(QueryableByName)]
struct StuckRow {
    #[diesel(sql_type = Text)]
    job_id: JobId,
    #[diesel(sql_type = Text)]
    reason: RecoveryReason,
}

/// Which jobs are stuck. Binds, in order: `now`, `cutoff`, `queue_idle`,
/// `cutoff`, then the optional job id.
const STUCK: &str = "
    SELECT j.id AS job_id,
           CASE WHEN j.state = 'running' THEN 'lease_expired' ELSE 'message_lost' END AS reason
    FROM jobs j
    WHERE ((j.state = 'running' AND (j.lease_expires_at IS NULL OR j.lease_expires_at < ?))
        OR (j.state = 'queued'
            AND COALESCE(j.dispatched_at, j.queued_at) < ?
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)
            AND (? OR EXISTS (SELECT 1 FROM jobs later
                              WHERE later.dispatched_at > {SLACKED_DISPATCH}
                                AND later.state <> 'queued'
                                AND later.started_at < ?))))
      AND (? IS NULL OR j.id = ?)";

/// How much later another job's dispatch must be to count as later in the
/// queue: relays on several gateways publish at once, each stamping its
/// batch with the time it began, so stamps this close may be in either
/// order in the queue.
const FIFO_SLACK_SECONDS: u32 = 5;

/// The statement for a backend: its own timestamp arithmetic for the slack.
fn stuck_sql(postgres: bool) -> String {
    let dispatch = "COALESCE(j.dispatched_at, j.queued_at)";
    let slacked = if postgres {
        format!("({dispatch} + interval '{FIFO_SLACK_SECONDS} seconds')")
    } else {
        // Text timestamps: SQLite's own date arithmetic, in the stored format.
        format!("strftime('%Y-%m-%d %H:%M:%f', {dispatch}, '+{FIFO_SLACK_SECONDS} seconds')")
    };
    STUCK.replace("{SLACKED_DISPATCH}", &slacked)
}

/// Binds [`STUCK`]'s parameters, in its order, on either backend's query.
macro_rules! bind_stuck {
    ($query:expr, $rules:expr, $cutoff:expr, $only:expr) => {
        $query
            .bind::<Timestamp, _>($rules.now)
            .bind::<Timestamp, _>($cutoff)
            .bind::<Bool, _>($rules.queue_idle)
            .bind::<Timestamp, _>($cutoff)
            .bind::<Nullable<Text>, _>($only.clone())
            .bind::<Nullable<Text>, _>($only)
    };
}

/// One sweep pass over at most `limit` stuck jobs.
pub fn sweep(conn: &mut DbConnection, rules: &StuckRules, limit: i64) -> Result<Vec<Recovered>, DbError> {
    recover(conn, rules, None, limit)
}

/// The same rules for one job: a generate call for a month whose open job
/// is stuck recovers it instead of joining a dead job. The row in hand
/// rules out a healthy job without another statement (a live lease, or a
/// recent dispatch); only a candidate is checked, and recovered, in SQL.
pub fn recover_if_stuck(
    conn: &mut DbConnection,
    job: &super::JobRow,
    rules: &StuckRules,
) -> Result<Option<Recovered>, DbError> {
    let cutoff = rules.now - rules.redispatch_after;
    let candidate = match job.state {
        JobState::Running => job.lease_expires_at.is_none_or(|expiry| expiry < rules.now),
        JobState::Queued => job.dispatched_at.unwrap_or(job.queued_at) < cutoff,
        JobState::Succeeded | JobState::Failed => false,
    };
    if !candidate {
        return Ok(None);
    }
    Ok(recover(conn, rules, Some(&job.id), 1)?.pop())
}

fn recover(
    conn: &mut DbConnection,
    rules: &StuckRules,
    only: Option<&JobId>,
    limit: i64,
) -> Result<Vec<Recovered>, DbError> {
    let cutoff = rules.now - rules.redispatch_after;
    let only = only.cloned();
    let rows: Vec<StuckRow> = match conn {
        DbConnection::Postgres(pg) => {
            let sql = format!(
                "WITH stuck AS ({} ORDER BY j.queued_at LIMIT {limit} FOR UPDATE OF j SKIP LOCKED),
                 recovered AS (
                    UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                        dispatched_at = NULL,
                        attempts = jobs.attempts + CASE WHEN stuck.reason = 'message_lost' THEN 1 ELSE 0 END
                    FROM stuck WHERE jobs.id = stuck.job_id
                    RETURNING jobs.id AS job_id, stuck.reason AS reason),
                 published AS (
                    INSERT INTO outbox (job_id, created_at, available_at, attempts)
                    SELECT job_id, $7, $7, 0 FROM recovered)
                 SELECT job_id, reason FROM recovered",
                stuck_sql(true)
            );
            bind_stuck!(diesel::sql_query(numbered(&sql)), rules, cutoff, only)
                .bind::<Timestamp, _>(rules.now)
                .load(pg)?
        }
        DbConnection::Sqlite(_) => write_transaction(conn, |conn| {
            let DbConnection::Sqlite(lite) = conn else { unreachable!("the backend of a connection does not change") };
            let query = diesel::sql_query(format!("{} ORDER BY j.queued_at LIMIT {limit}", stuck_sql(false)));
            let stuck: Vec<StuckRow> = bind_stuck!(query, rules, cutoff, only).load(lite)?;
            for row in &stuck {
                requeue(conn, &row.job_id, row.reason == RecoveryReason::MessageLost)?;
            }
            Ok(stuck)
        })?,
    };
    Ok(rows.into_iter().map(|row| Recovered { job_id: row.job_id, reason: row.reason }).collect())
}

/// At the start of the one-process service, whose in-process queue died
/// with its previous run: every open job without an outbox row is queued
/// again. Nothing else runs jobs from that queue, so no lease is live.
pub fn recover_after_restart(conn: &mut DbConnection) -> Result<Vec<Recovered>, DbError> {
    write_transaction(conn, |conn| {
        let waiting = crate::db::schema::outbox::table.select(crate::db::schema::outbox::job_id);
        let lost: Vec<(JobId, JobState)> = jobs::table
            .filter(jobs::state.eq_any(super::OPEN))
            .filter(jobs::id.ne_all(waiting))
            .select((jobs::id, jobs::state))
            .load(conn)?;
        for (id, state) in &lost {
            requeue(conn, id, *state == JobState::Queued)?;
        }
        Ok(lost.into_iter().map(|(job_id, _)| Recovered { job_id, reason: RecoveryReason::ProcessRestart }).collect())
    })
}

/// Back to queued with a fresh outbox row. A lost message counts as an
/// attempt; a run whose lease ran out was counted when it was claimed.
fn requeue(conn: &mut DbConnection, id: &JobId, count_attempt: bool) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::state.eq(JobState::Queued),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<PrimitiveDateTime>),
            jobs::dispatched_at.eq(None::<PrimitiveDateTime>),
            jobs::attempts.eq(jobs::attempts + i32::from(count_attempt)),
        ))
        .execute(conn)?;
    outbox::insert(conn, id)
}

/// PostgreSQL numbers its placeholders: `?` becomes `$1`, `$2`, … in order
/// (the statement's own `$n` continue the count).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(super::numbered("a < ? AND (? OR b = ?)"), "a < $1 AND ($2 OR b = $3)");
    }
}
