//! What the EDGAR ingest has done, day by day, so that gaps are visible and
//! `ingested_through` can be published.

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use super::schema::{edgar_days, edgar_mark, ingest_failures};
use super::{now_utc, write_transaction, DbConnection, DbError};

#[derive(Queryable, Selectable, Insertable, AsChangeset, Debug, Clone, PartialEq)]
#[diesel(table_name = edgar_days)]
#[diesel(treat_none_as_default_value = false)]
pub struct EdgarDay {
    pub day: Date,
    pub filings_found: i32,
    pub loaded: i32,
    pub unchanged: i32,
    /// Filings that failed to parse or store: the same bytes fail the same
    /// way, so they do not hold `ingested_through`.
    pub failed: i32,
    pub completed_at: PrimitiveDateTime,
    /// Filings that could not be downloaded: until a run fetches them the
    /// day does not count as ingested.
    pub failed_downloads: i32,
}

impl EdgarDay {
    /// A day EDGAR published no index for: a weekend or a holiday.
    pub fn without_index(day: Date, completed_at: PrimitiveDateTime) -> Self {
        EdgarDay { day, filings_found: 0, loaded: 0, unchanged: 0, failed: 0, completed_at, failed_downloads: 0 }
    }

    /// Whether the day counts towards `ingested_through`.
    pub fn is_complete(&self) -> bool {
        self.failed_downloads == 0
    }
}

/// Records a processed day; re-running a day replaces its record. The mark
/// moves in the same transaction, so it always agrees with the days.
pub fn record_day(conn: &mut DbConnection, day: &EdgarDay) -> Result<(), DbError> {
    write_transaction(conn, |conn| {
        // Recorders take turns here, so each recomputes the mark from the
        // days the others committed (SQLite's write lock already serializes).
        if let DbConnection::Postgres(pg) = conn {
            diesel::sql_query("SELECT id FROM edgar_mark FOR UPDATE").execute(pg)?;
        }
        crate::on_backend!(conn, c => diesel::insert_into(edgar_days::table)
            .values(day)
            .on_conflict(edgar_days::day)
            .do_update()
            .set(day)
            .execute(c))?;
        // A write path, once per crawled day: reading the complete days'
        // dates (one per business day since 2003) here keeps every reader of
        // the mark at one row.
        let days: Vec<Date> = edgar_days::table
            .filter(edgar_days::failed_downloads.eq(0))
            .order(edgar_days::day)
            .select(edgar_days::day)
            .load(conn)?;
        let through = unbroken_through(days);
        crate::on_backend!(conn, c => diesel::insert_into(edgar_mark::table)
            .values((edgar_mark::id.eq(MARK_ROW), edgar_mark::ingested_through.eq(through)))
            .on_conflict(edgar_mark::id)
            .do_update()
            .set(edgar_mark::ingested_through.eq(through))
            .execute(c))?;
        Ok(())
    })
}

/// The one row of `edgar_mark`.
const MARK_ROW: i32 = 1;

pub fn list_days(conn: &mut DbConnection) -> Result<Vec<EdgarDay>, DbError> {
    Ok(edgar_days::table.order(edgar_days::day).select(EdgarDay::as_select()).load(conn)?)
}

/// The last day of the unbroken run of complete days that starts at the
/// first one: a day missing in the middle, or one with failed downloads,
/// holds the mark back.
/// [`record_day`] keeps it, so this reads one row.
pub fn ingested_through(conn: &mut DbConnection) -> Result<Option<Date>, DbError> {
    Ok(edgar_mark::table
        .find(MARK_ROW)
        .select(edgar_mark::ingested_through)
        .first::<Option<Date>>(conn)
        .optional()?
        .flatten())
}

/// The latest day recorded with an index: one EDGAR is known to serve.
pub fn latest_day_with_index(conn: &mut DbConnection) -> Result<Option<Date>, DbError> {
    Ok(edgar_days::table
        .filter(edgar_days::filings_found.gt(0))
        .select(diesel::dsl::max(edgar_days::day))
        .first::<Option<Date>>(conn)?)
}

/// [`ingested_through`] of complete days already read, in ascending order.
pub fn unbroken_through(days: impl IntoIterator<Item = Date>) -> Option<Date> {
    let mut through = None;
    for day in days {
        match through {
            Some(prev) if Some(day) != Date::next_day(prev) => break,
            _ => through = Some(day),
        }
    }
    through
}

/// Remembers a document that could not be loaded, with the reason.
pub fn record_failure(conn: &mut DbConnection, source: &str, day: Option<Date>, reason: &str) -> Result<(), DbError> {
    let row = (
        ingest_failures::source.eq(source),
        ingest_failures::edgar_day.eq(day),
        ingest_failures::reason.eq(reason),
        ingest_failures::failed_at.eq(now_utc()),
    );
    crate::on_backend!(conn, c => diesel::insert_into(ingest_failures::table)
        .values(row)
        .on_conflict(ingest_failures::source)
        .do_update()
        .set((ingest_failures::reason.eq(reason), ingest_failures::failed_at.eq(now_utc())))
        .execute(c))?;
    Ok(())
}

/// Forgets earlier failures of documents that have now loaded.
pub fn clear_failures(conn: &mut DbConnection, sources: &[&str]) -> Result<(), DbError> {
    diesel::delete(ingest_failures::table.filter(ingest_failures::source.eq_any(sources))).execute(conn)?;
    Ok(())
}

pub fn failure_count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(ingest_failures::table.count().get_result(conn)?)
}
