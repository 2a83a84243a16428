//! The current-filings watcher's state: every accession it has seen in
//! EDGAR's feed (its dedupe set and its to-do list in one table) and the
//! months it owes a regeneration. The feed is only a hint; these rows are
//! what survives a restart.

use std::collections::HashSet;
use std::time::Duration;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::jobs::{self, JobRow};
use super::schema::{edgar_days, filings, watch_filings, watch_months};
use super::{write_transaction, DbConnection, DbError};
use crate::domain::{FormType, JobState, Month};

/// An accession as the feed showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenFiling {
    pub accession_number: String,
    pub document_type: String,
    /// `Archives/edgar/data/{cik}/{accession without dashes}/{accession}.txt`.
    pub archive_path: String,
}

/// A seen accession whose document is not stored yet.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = watch_filings)]
pub struct PendingFiling {
    pub accession_number: String,
    pub document_type: String,
    pub archive_path: String,
    pub first_seen_at: PrimitiveDateTime,
    pub attempts: i32,
}

/// Of `accessions`, those seen before (in any state).
pub fn known(conn: &mut DbConnection, accessions: &[String]) -> Result<HashSet<String>, DbError> {
    Ok(watch_filings::table
        .filter(watch_filings::accession_number.eq_any(accessions))
        .select(watch_filings::accession_number)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Records accessions as seen and due now; those already recorded are left
/// as they are. Returns how many were new.
pub fn record_seen(conn: &mut DbConnection, seen: &[SeenFiling], now: PrimitiveDateTime) -> Result<usize, DbError> {
    let rows: Vec<_> = seen
        .iter()
        .map(|s| {
            (
                watch_filings::accession_number.eq(&s.accession_number),
                watch_filings::document_type.eq(&s.document_type),
                watch_filings::archive_path.eq(&s.archive_path),
                watch_filings::first_seen_at.eq(now),
                watch_filings::attempts.eq(0),
                watch_filings::next_attempt_at.eq(now),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(crate::on_backend!(conn, c => diesel::insert_into(watch_filings::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?)
}

/// Pending accessions due by `now`, the longest-waiting first.
pub fn due(conn: &mut DbConnection, now: PrimitiveDateTime, limit: i64) -> Result<Vec<PendingFiling>, DbError> {
    Ok(watch_filings::table
        .filter(watch_filings::stored_at.is_null())
        .filter(watch_filings::left_at.is_null())
        .filter(watch_filings::next_attempt_at.le(now))
        .order((watch_filings::next_attempt_at, watch_filings::accession_number))
        .limit(limit)
        .select(PendingFiling::as_select())
        .load(conn)?)
}

/// How many accessions wait for their document.
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(watch_filings::table
        .filter(watch_filings::stored_at.is_null())
        .filter(watch_filings::left_at.is_null())
        .count()
        .get_result(conn)?)
}

/// A fetch failed: counted, and tried again at `next_attempt_at`.
pub fn retry_at(
    conn: &mut DbConnection,
    accession: &str,
    error: &str,
    next_attempt_at: PrimitiveDateTime,
) -> Result<(), DbError> {
    diesel::update(watch_filings::table.find(accession))
        .set((
            watch_filings::attempts.eq(watch_filings::attempts + 1),
            watch_filings::last_error.eq(Some(error)),
            watch_filings::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Retries used up: the nightly reconciliation loads it from the day's
/// form index. The row stays, so the feed listing it again changes nothing.
pub fn leave(conn: &mut DbConnection, accession: &str, error: &str, now: PrimitiveDateTime) -> Result<(), DbError> {
    diesel::update(watch_filings::table.find(accession))
        .set((
            watch_filings::attempts.eq(watch_filings::attempts + 1),
            watch_filings::last_error.eq(Some(error)),
            watch_filings::left_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The document is stored: the accession is done and its month, when it
/// has one, owes a regeneration. One transaction, so that a watcher killed
/// before it fetches the document again (storing it again is a no-op) and
/// one killed after it finds the month owed.
///
/// The filing's `first_seen_at` becomes `seen_at`, when the feed showed it,
/// if that is earlier than when the store first held it.
pub fn mark_stored(
    conn: &mut DbConnection,
    pending: &PendingFiling,
    month: Option<(FormType, Month)>,
    now: PrimitiveDateTime,
) -> Result<(), DbError> {
    let (accession, seen_at) = (pending.accession_number.as_str(), pending.first_seen_at);
    write_transaction(conn, |conn| {
        diesel::update(watch_filings::table.find(accession))
            .set(watch_filings::stored_at.eq(Some(now)))
            .execute(conn)?;
        diesel::update(
            filings::table
                .filter(filings::accession_number.eq(accession))
                .filter(filings::first_seen_at.is_null().or(filings::first_seen_at.gt(seen_at))),
        )
        .set(filings::first_seen_at.eq(Some(seen_at)))
        .execute(conn)?;
        if let Some((form, month)) = month {
            let key = (
                watch_months::form_type.eq(i32::from(form.number())),
                watch_months::period_month.eq(month.to_string()),
            );
            crate::on_backend!(conn, c => diesel::insert_into(watch_months::table)
                .values((key.0, key.1, watch_months::dirty_since.eq(Some(now))))
                .on_conflict((watch_months::form_type, watch_months::period_month))
                .do_update()
                .set(watch_months::dirty_since.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
                >("COALESCE(watch_months.dirty_since, excluded.dirty_since)")))
                .execute(c))?;
        }
        Ok(())
    })
}

/// A month owed a regeneration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedMonth {
    pub form: FormType,
    pub month: Month,
    pub dirty_since: PrimitiveDateTime,
    pub last_queued_at: Option<PrimitiveDateTime>,
}

impl OwedMonth {
    /// When the debounce lets its next regeneration be queued.
    pub fn due_at(&self, debounce: Duration) -> PrimitiveDateTime {
        self.last_queued_at.map_or(self.dirty_since, |last| (last + debounce).max(self.dirty_since))
    }
}

pub fn owed_months(conn: &mut DbConnection) -> Result<Vec<OwedMonth>, DbError> {
    let rows: Vec<(i32, String, Option<PrimitiveDateTime>, Option<PrimitiveDateTime>)> = watch_months::table
        .filter(watch_months::dirty_since.is_not_null())
        .order((watch_months::form_type, watch_months::period_month))
        .select((
            watch_months::form_type,
            watch_months::period_month,
            watch_months::dirty_since,
            watch_months::last_queued_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(form, month, dirty_since, last_queued_at)| {
            let corrupt = |what: String| DbError::Corrupt(format!("watch_months: {what}"));
            let form = FormType::from_number(i64::from(form)).map_err(|e| corrupt(e.to_string()))?;
            let month = month.parse().map_err(|e: crate::domain::InvalidValue| corrupt(e.to_string()))?;
            let dirty_since = dirty_since.ok_or_else(|| corrupt("dirty_since is null".into()))?;
            Ok(OwedMonth { form, month, dirty_since, last_queued_at })
        })
        .collect()
}

/// What [`regenerate`] did for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regeneration {
    /// A job and its outbox row were written.
    Queued,
    /// A job of the month is queued and has not started: it reads the
    /// filings when it runs, so it covers what was stored before.
    Covered,
    /// A job of the month is running and may have read the month before
    /// the filing: the month stays owed until it ends.
    Waiting,
}

/// Settles an owed month: through the one door (a job with its outbox
/// row) unless an open job already covers it. The month's row is locked
/// first, so the mark and the job agree.
pub fn regenerate(
    conn: &mut DbConnection,
    form: FormType,
    month: Month,
    job: &JobRow,
    now: PrimitiveDateTime,
) -> Result<Regeneration, DbError> {
    let id = (i32::from(form.number()), month.to_string());
    let key = || watch_months::table.find(id.clone());
    write_transaction(conn, |conn| {
        if let DbConnection::Postgres(pg) = conn {
            key().select(watch_months::form_type).for_update().load::<i32>(pg)?;
        }
        let outcome = match jobs::open_for_month(conn, form, month)? {
            Some(open) if open.state == JobState::Queued => Regeneration::Covered,
            Some(_) => return Ok(Regeneration::Waiting),
            None => {
                jobs::enqueue(conn, job)?;
                Regeneration::Queued
            }
        };
        let settled = watch_months::dirty_since.eq(None::<PrimitiveDateTime>);
        if outcome == Regeneration::Queued {
            diesel::update(key()).set((settled, watch_months::last_queued_at.eq(Some(now)))).execute(conn)?;
        } else {
            diesel::update(key()).set(settled).execute(conn)?;
        }
        Ok(outcome)
    })
}

/// Forgets accessions settled (stored or left) before `before`: the feed
/// lists a filing for minutes to hours, so old rows dedupe nothing.
pub fn prune(conn: &mut DbConnection, before: PrimitiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(
        watch_filings::table
            .filter(watch_filings::first_seen_at.lt(before))
            .filter(watch_filings::stored_at.is_not_null().or(watch_filings::left_at.is_not_null())),
    )
    .execute(conn)?)
}

/// Of a day's listed `accessions`, those not in the store yet: what a
/// reconciliation run loads that the feed did not bring. Empty when no
/// watcher runs on this database (a backfill misses nothing).
pub fn unseen_by_watch(conn: &mut DbConnection, accessions: &[String]) -> Result<Vec<String>, DbError> {
    let watching: i64 = watch_filings::table.count().get_result(conn)?;
    if watching == 0 {
        return Ok(Vec::new());
    }
    let stored: HashSet<String> = filings::table
        .filter(filings::accession_number.eq_any(accessions))
        .select(filings::accession_number)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(accessions.iter().filter(|a| !stored.contains(*a)).cloned().collect())
}

/// After a reconciliation run stored a day: those of `unseen` now stored
/// are the feed's misses, added to the day's count, and marked on the
/// watcher's rows of them. Returns how many.
pub fn record_missed(
    conn: &mut DbConnection,
    day: time::Date,
    unseen: &[String],
    now: PrimitiveDateTime,
) -> Result<i64, DbError> {
    if unseen.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let missed: Vec<String> = filings::table
            .filter(filings::accession_number.eq_any(unseen))
            .select(filings::accession_number)
            .load(conn)?;
        let n = missed.len() as i32;
        diesel::update(edgar_days::table.find(day))
            .set(edgar_days::missed_by_watch.eq(edgar_days::missed_by_watch + n))
            .execute(conn)?;
        diesel::update(watch_filings::table.filter(watch_filings::accession_number.eq_any(&missed)))
            .set(watch_filings::reconciled_at.eq(Some(now)))
            .execute(conn)?;
        Ok(i64::from(n))
    })
}

/// Every filing the reconciliation found the feed had missed, all days.
pub fn missed_total(conn: &mut DbConnection) -> Result<i64, DbError> {
    let total: Option<i64> = edgar_days::table.select(diesel::dsl::sum(edgar_days::missed_by_watch)).first(conn)?;
    Ok(total.unwrap_or(0))
}

/// The month's latest job, whatever its state: whether a filing stored
/// before it started is in index.json yet.
pub fn latest_job(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<JobRow>, DbError> {
    use super::schema::{jobs as jobs_table, month_latest_jobs};
    Ok(month_latest_jobs::table
        .inner_join(jobs_table::table.on(jobs_table::id.eq(month_latest_jobs::job_id)))
        .filter(month_latest_jobs::form_type.eq(form))
        .filter(month_latest_jobs::period_month.eq(month))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}
