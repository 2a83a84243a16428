//! Generation jobs: written by the gateway and the nightly run, advanced by
//! the packer. State changes are guarded so a redelivered message cannot
//! move a finished job backwards.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::jobs;
use super::{now_utc, DbConnection, DbError};
use crate::domain::{FormType, JobReason, JobState, Month};

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = jobs)]
#[diesel(treat_none_as_default_value = false)]
pub struct JobRow {
    pub id: String,
    pub form_type: i32,
    pub period_month: String,
    pub reason: String,
    pub state: String,
    pub attempts: i32,
    pub queued_at: PrimitiveDateTime,
    pub started_at: Option<PrimitiveDateTime>,
    pub finished_at: Option<PrimitiveDateTime>,
    pub rows_done: i64,
    pub rows_total: i64,
    pub error: Option<String>,
    pub tokens_charged: i32,
    pub account_id: Option<String>,
    pub trace_id: Option<String>,
    pub result_sha256: Option<String>,
}

impl JobRow {
    /// A new queued job.
    pub fn queued(id: String, form: FormType, month: Month, reason: JobReason, queued_at: PrimitiveDateTime) -> Self {
        JobRow {
            id,
            form_type: i32::from(form.number()),
            period_month: month.to_string(),
            reason: reason.as_str().to_owned(),
            state: JobState::Queued.as_str().to_owned(),
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
        }
    }

    pub fn state(&self) -> Result<JobState, DbError> {
        self.state.parse().map_err(|e| DbError::Corrupt(format!("job {}: {e}", self.id)))
    }
}

/// Jobs of an account, newest first (for an account's own job listing).
pub fn for_account(conn: &mut DbConnection, account_id: &str, limit: i64) -> Result<Vec<JobRow>, DbError> {
    Ok(jobs::table
        .filter(jobs::account_id.eq(account_id))
        .order(jobs::queued_at.desc())
        .limit(limit)
        .select(JobRow::as_select())
        .load(conn)?)
}

/// The latest job of every month of a form type, for the index.
pub fn latest_per_month(conn: &mut DbConnection, form: FormType) -> Result<Vec<JobRow>, DbError> {
    let rows: Vec<JobRow> = jobs::table
        .filter(jobs::form_type.eq(i32::from(form.number())))
        .order((jobs::period_month, jobs::queued_at))
        .select(JobRow::as_select())
        .load(conn)?;
    let mut latest: Vec<JobRow> = Vec::new();
    for row in rows {
        match latest.last_mut() {
            Some(last) if last.period_month == row.period_month => *last = row,
            _ => latest.push(row),
        }
    }
    Ok(latest)
}

pub fn insert(conn: &mut DbConnection, job: &JobRow) -> Result<(), DbError> {
    diesel::insert_into(jobs::table).values(job).execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<JobRow>, DbError> {
    Ok(jobs::table.find(id).select(JobRow::as_select()).first(conn).optional()?)
}

/// The queued or running job of a month, if any: a new request joins it.
pub fn open_for_month(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<JobRow>, DbError> {
    Ok(jobs::table
        .filter(jobs::form_type.eq(i32::from(form.number())))
        .filter(jobs::period_month.eq(month.to_string()))
        .filter(jobs::state.eq_any([JobState::Queued.as_str(), JobState::Running.as_str()]))
        .order(jobs::queued_at)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// Claims a job for a run: queued (or running, when a packer died and the
/// message came back) becomes running with one more attempt. Returns `None`
/// for a job that already finished, whose message is then only acked.
pub fn start(conn: &mut DbConnection, id: &str) -> Result<Option<JobRow>, DbError> {
    let open = [JobState::Queued.as_str(), JobState::Running.as_str()];
    let claimed = diesel::update(jobs::table.find(id).filter(jobs::state.eq_any(open)))
        .set((
            jobs::state.eq(JobState::Running.as_str()),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::started_at.eq(Some(now_utc())),
            jobs::rows_done.eq(0),
        ))
        .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

pub fn set_progress(conn: &mut DbConnection, id: &str, rows_done: i64, rows_total: i64) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((jobs::rows_done.eq(rows_done), jobs::rows_total.eq(rows_total)))
        .execute(conn)?;
    Ok(())
}

pub fn succeed(conn: &mut DbConnection, id: &str, sha256: &str) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::state.eq(JobState::Succeeded.as_str()),
            jobs::finished_at.eq(Some(now_utc())),
            jobs::result_sha256.eq(Some(sha256)),
            jobs::error.eq(None::<String>),
            jobs::rows_done.eq(jobs::rows_total),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a job failed for good and refunds what it was charged, in one
/// transaction. Returns false when it had already finished.
pub fn fail(conn: &mut DbConnection, id: &str, error: &str) -> Result<bool, DbError> {
    let open = [JobState::Queued.as_str(), JobState::Running.as_str()];
    super::write_transaction(conn, |conn| {
        let changed = diesel::update(jobs::table.find(id).filter(jobs::state.eq_any(open)))
            .set((
                jobs::state.eq(JobState::Failed.as_str()),
                jobs::finished_at.eq(Some(now_utc())),
                jobs::error.eq(Some(error)),
            ))
            .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        if let Some(job) = get(conn, id)? {
            super::billing::refund_job(conn, &job)?;
        }
        Ok(true)
    })
}

/// Jobs waiting or running, for the queue-ahead part of an estimate.
pub fn open_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    let open = [JobState::Queued.as_str(), JobState::Running.as_str()];
    Ok(jobs::table.filter(jobs::state.eq_any(open)).count().get_result(conn)?)
}

/// When the oldest job still waiting for a packer was queued.
pub fn oldest_queued_at(conn: &mut DbConnection) -> Result<Option<PrimitiveDateTime>, DbError> {
    Ok(jobs::table
        .filter(jobs::state.eq(JobState::Queued.as_str()))
        .select(diesel::dsl::min(jobs::queued_at))
        .first(conn)?)
}

/// Puts a job that failed this attempt back to queued, keeping the error
/// so that a stuck job shows why.
pub fn requeue(conn: &mut DbConnection, id: &str, error: &str) -> Result<(), DbError> {
    let open = [JobState::Queued.as_str(), JobState::Running.as_str()];
    diesel::update(jobs::table.find(id).filter(jobs::state.eq_any(open)))
        .set((jobs::state.eq(JobState::Queued.as_str()), jobs::error.eq(Some(error))))
        .execute(conn)?;
    Ok(())
}
