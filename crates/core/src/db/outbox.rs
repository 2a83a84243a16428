//! The transactional outbox between the transactions that write jobs and
//! the job queue. A row names a job to publish; it is written with the job
//! ([`super::jobs::enqueue`]), with a retry, or by the sweeper. A relay
//! leases rows, builds each message from its job row, publishes it with a
//! confirm, and then deletes the row and stamps the job's `dispatched_at`.
//! A relay that dies between publish and delete publishes again later: the
//! packer claims a job once, so at-least-once is safe. A transaction that
//! writes both a job and its outbox rows locks the job's row first.

use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::jobs::JobRow;
use super::schema::{jobs, outbox};
use super::{now_utc, write_transaction, DbConnection, DbError};
use crate::domain::JobId;

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: i64,
    pub job_id: JobId,
    pub created_at: PrimitiveDateTime,
    pub available_at: PrimitiveDateTime,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Queues the job's message for the relay now. Runs inside the caller's transaction.
pub fn insert(conn: &mut DbConnection, job_id: &JobId) -> Result<(), DbError> {
    insert_after(conn, job_id, Duration::ZERO)
}

/// Queues the job's message for the relay `delay` from now (a retry's backoff).
pub fn insert_after(conn: &mut DbConnection, job_id: &JobId, delay: Duration) -> Result<(), DbError> {
    let now = now_utc();
    diesel::insert_into(outbox::table)
        .values((
            outbox::job_id.eq(job_id),
            outbox::created_at.eq(now),
            outbox::available_at.eq(now + delay),
            outbox::attempts.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

/// Leases up to `limit` due messages, oldest first, for `lease`, each with
/// its job as it stands now. Several relays (one per gateway replica) never
/// lease the same row at once. A row whose job is gone is dropped.
pub fn lease(
    conn: &mut DbConnection,
    limit: i64,
    lease: Duration,
) -> Result<Vec<(OutboxMessage, Option<JobRow>)>, DbError> {
    write_transaction(conn, |conn| {
        let now = now_utc();
        let due = || outbox::table.filter(outbox::available_at.le(now)).order(outbox::id).limit(limit);
        let messages = match conn {
            // Skip rows another relay is leasing right now instead of waiting for it.
            DbConnection::Postgres(pg) => {
                due().for_update().skip_locked().select(OutboxMessage::as_select()).load(pg)?
            }
            DbConnection::Sqlite(lite) => due().select(OutboxMessage::as_select()).load(lite)?,
        };
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::available_at.eq(now + lease))
            .execute(conn)?;
        let job_ids: Vec<&JobId> = messages.iter().map(|m| &m.job_id).collect();
        let mut rows: std::collections::HashMap<JobId, JobRow> = jobs::table
            .filter(jobs::id.eq_any(&job_ids))
            .select(JobRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        Ok(messages
            .into_iter()
            .map(|m| {
                let row = rows.remove(&m.job_id);
                (m, row)
            })
            .collect())
    })
}

/// The broker confirmed the message: it leaves the outbox, and the job
/// records when it was dispatched (what the sweeper measures loss from):
/// `dispatched_at`, taken by the relay before it published the batch.
pub fn confirmed(
    conn: &mut DbConnection,
    id: i64,
    job_id: &JobId,
    dispatched_at: PrimitiveDateTime,
) -> Result<(), DbError> {
    write_transaction(conn, |conn| {
        // The job's row first, then the outbox's: the order every writer of
        // both takes (failing a job deletes its outbox rows after updating
        // it), so that two of them never wait on each other.
        diesel::update(jobs::table.find(job_id)).set(jobs::dispatched_at.eq(Some(dispatched_at))).execute(conn)?;
        diesel::delete(outbox::table.find(id)).execute(conn)?;
        Ok(())
    })
}

/// A message that need not be published (its job is gone or finished).
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), DbError> {
    diesel::delete(outbox::table.find(id)).execute(conn)?;
    Ok(())
}

/// Drops any message still waiting for a job that just finished for good.
pub fn delete_for_job(conn: &mut DbConnection, job_id: &JobId) -> Result<(), DbError> {
    diesel::delete(outbox::table.filter(outbox::job_id.eq(job_id))).execute(conn)?;
    Ok(())
}

/// Publishing failed: try again after `retry_in`, keeping the reason.
pub fn record_failure(conn: &mut DbConnection, id: i64, error: &str, retry_in: Duration) -> Result<(), DbError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(Some(error)),
            outbox::available_at.eq(now_utc() + retry_in),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many messages wait, and since when the oldest has: the backlog an
/// operator alerts on when the broker is down.
pub fn backlog(conn: &mut DbConnection) -> Result<(i64, Option<PrimitiveDateTime>), DbError> {
    let count = outbox::table.count().get_result(conn)?;
    let oldest = outbox::table.select(diesel::dsl::min(outbox::created_at)).first(conn)?;
    Ok((count, oldest))
}
