//! Generation jobs: written by the gateway, the nightly run and operator
//! backfills through one door ([`enqueue`]), run by packers under a lease
//! ([`lease`]), and put back into the queue by the sweeper when a lease runs
//! out or a message is lost ([`recovery`]). The database is the truth about
//! a job; a queue message only says "look at this job now".
//!
//! Attempts: every hand-out of a job counts one, either a packer's claim or
//! a re-publish of a message that was lost before any packer claimed it, so
//! `PACKER_MAX_ATTEMPTS` ends a job that keeps failing however it fails.

pub mod lease;
pub mod recovery;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::{job_followers, jobs, month_latest_jobs};
use super::{now_utc, outbox, write_transaction, DbConnection, DbError};
use crate::domain::{AccountId, FormType, JobId, JobReason, JobState, Month};

/// Queued and running: the states of an open job.
const OPEN: [JobState; 2] = [JobState::Queued, JobState::Running];

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = jobs)]
#[diesel(treat_none_as_default_value = false)]
pub struct JobRow {
    pub id: JobId,
    pub form_type: FormType,
    pub period_month: Month,
    pub reason: JobReason,
    pub state: JobState,
    pub attempts: i32,
    pub queued_at: PrimitiveDateTime,
    pub started_at: Option<PrimitiveDateTime>,
    pub finished_at: Option<PrimitiveDateTime>,
    pub rows_done: i64,
    pub rows_total: i64,
    pub error: Option<String>,
    pub tokens_charged: i32,
    pub account_id: Option<AccountId>,
    pub trace_id: Option<String>,
    pub result_sha256: Option<String>,
    /// The packer instance running the job, while it runs.
    pub lease_owner: Option<String>,
    /// When that packer's claim runs out unless it renews it.
    pub lease_expires_at: Option<PrimitiveDateTime>,
    /// When the relay's last publish of the job's message was confirmed.
    pub dispatched_at: Option<PrimitiveDateTime>,
}

impl JobRow {
    /// A new queued job.
    pub fn queued(id: JobId, form: FormType, month: Month, reason: JobReason, queued_at: PrimitiveDateTime) -> Self {
        JobRow {
            id,
            form_type: form,
            period_month: month,
            reason,
            state: JobState::Queued,
            attempts: 0,
            queued_at,
            started_at: None,
            finished_at: None,
            rows_done: 0,
            rows_total: 0,
            error: None,
            tokens_charged: 0,
            account_id: None,
            trace_id: None,
            result_sha256: None,
            lease_owner: None,
            lease_expires_at: None,
            dispatched_at: None,
        }
    }
}

/// The latest job of each month of `form` that has had one, by month: one
/// row per month (`month_latest_jobs`), however many jobs the months had.
pub fn latest_per_month(conn: &mut DbConnection, form: FormType) -> Result<Vec<JobRow>, DbError> {
    Ok(month_latest_jobs::table
        .inner_join(jobs::table.on(jobs::id.eq(month_latest_jobs::job_id)))
        .filter(month_latest_jobs::form_type.eq(form))
        .order(month_latest_jobs::period_month)
        .select(JobRow::as_select())
        .load(conn)?)
}

/// The one door into the queue: writes the job and its outbox row inside
/// the caller's transaction, so a job is committed with its message or not
/// at all. Only the relay publishes, from the outbox.
pub fn enqueue(conn: &mut DbConnection, job: &JobRow) -> Result<(), DbError> {
    insert(conn, job)?;
    outbox::insert(conn, &job.id)
}

/// [`enqueue`] unless the month already has an open job; false then. For
/// jobs no account asked for (nightly, backfills, the first-start sample).
pub fn enqueue_unless_open(conn: &mut DbConnection, job: &JobRow) -> Result<bool, DbError> {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    let (form, month) = (job.form_type, job.period_month);
    let placed = write_transaction(conn, |conn| {
        if open_for_month(conn, form, month)?.is_some() {
            return Ok(false);
        }
        enqueue(conn, job)?;
        Ok(true)
    });
    match placed {
        // Another writer opened a job for the month between our read and insert.
        Err(DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => Ok(false),
        other => other,
    }
}

/// A job row without its message: only for a run that is not queued at all
/// (`insider-bulk-packer pack`, which claims and runs the job itself).
pub fn insert(conn: &mut DbConnection, job: &JobRow) -> Result<(), DbError> {
    write_transaction(conn, |conn| {
        diesel::insert_into(jobs::table).values(job).execute(conn)?;
        // The newest job is the month's latest: the index reads it from here.
        let latest = (
            month_latest_jobs::form_type.eq(job.form_type),
            month_latest_jobs::period_month.eq(job.period_month),
            month_latest_jobs::job_id.eq(&job.id),
        );
        crate::on_backend!(conn, c => diesel::insert_into(month_latest_jobs::table)
            .values(latest)
            .on_conflict((month_latest_jobs::form_type, month_latest_jobs::period_month))
            .do_update()
            .set(month_latest_jobs::job_id.eq(&job.id))
            .execute(c))?;
        Ok(())
    })
}

/// An account joined another account's open job: it may now see it.
pub fn follow(conn: &mut DbConnection, job_id: &JobId, account_id: &AccountId) -> Result<(), DbError> {
    crate::on_backend!(conn, c => diesel::insert_into(job_followers::table)
        .values((
            job_followers::job_id.eq(job_id),
            job_followers::account_id.eq(account_id),
            job_followers::joined_at.eq(now_utc()),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Whether `account_id` joined the job (its owner is `JobRow::account_id`).
pub fn is_follower(conn: &mut DbConnection, job_id: &JobId, account_id: &AccountId) -> Result<bool, DbError> {
    let found: i64 = job_followers::table
        .filter(job_followers::job_id.eq(job_id))
        .filter(job_followers::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

pub fn get(conn: &mut DbConnection, id: &JobId) -> Result<Option<JobRow>, DbError> {
    Ok(jobs::table.find(id).select(JobRow::as_select()).first(conn).optional()?)
}

/// The queued or running job of a month, if any: a new request joins it.
pub fn open_for_month(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<JobRow>, DbError> {
    Ok(jobs::table
        .filter(jobs::form_type.eq(form))
        .filter(jobs::period_month.eq(month))
        .filter(jobs::state.eq_any(OPEN))
        .order(jobs::queued_at)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// Jobs waiting or running, for the queue-ahead part of an estimate.
pub fn open_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(jobs::table.filter(jobs::state.eq_any(OPEN)).count().get_result(conn)?)
}

/// When the oldest job still open (queued or running) was queued.
pub fn oldest_open_queued_at(conn: &mut DbConnection) -> Result<Option<PrimitiveDateTime>, DbError> {
    Ok(jobs::table.filter(jobs::state.eq_any(OPEN)).select(diesel::dsl::min(jobs::queued_at)).first(conn)?)
}
