//! The transactional outbox between the gateway's billing transaction and
//! the job queue. A row is written with its charge and job; a relay leases
//! rows, publishes them with confirms and deletes them. A relay that dies
//! between publish and delete publishes again later: the packer treats a
//! message for a finished job as done, so at-least-once is safe.

use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::outbox;
use super::{now_utc, write_transaction, DbConnection, DbError};

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: i64,
    pub job_id: String,
    pub payload: Vec<u8>,
    pub created_at: PrimitiveDateTime,
    pub available_at: PrimitiveDateTime,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Queues a message for the relay. Runs inside the caller's transaction.
pub fn insert(conn: &mut DbConnection, job_id: &str, payload: &[u8]) -> Result<(), DbError> {
    let now = now_utc();
    diesel::insert_into(outbox::table)
        .values((
            outbox::job_id.eq(job_id),
            outbox::payload.eq(payload),
            outbox::created_at.eq(now),
            outbox::available_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

/// Leases up to `limit` due messages, oldest first, for `lease`. Several
/// relays (one per gateway replica) never lease the same row at once.
pub fn lease(conn: &mut DbConnection, limit: i64, lease: Duration) -> Result<Vec<OutboxMessage>, DbError> {
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
        Ok(messages)
    })
}

/// The broker confirmed the message: it leaves the outbox.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), DbError> {
    diesel::delete(outbox::table.find(id)).execute(conn)?;
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
