//! Per-(form type, month) stats: the source fingerprint a bundle is built
//! from, with filing and row counts. Only the filing store writes them, in
//! the transaction that changes the month's filings.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::month_stats;
use super::{now_utc, DbConnection, DbError};
use crate::domain::{FormType, Month};

/// The fingerprint of a month with no filings.
pub const EMPTY_FINGERPRINT: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A month's statistics, as the index and the packer read them.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = month_stats)]
pub struct MonthStats {
    pub form_type: FormType,
    pub period_month: Month,
    pub fingerprint: String,
    pub filing_count: i64,
    pub row_count: i64,
    pub updated_at: PrimitiveDateTime,
    /// Changes to the month's own filings after its last day (corrections,
    /// data-set rows replaced by their EDGAR documents).
    pub changed_after_close: i64,
}

/// The row as the write path keeps it: keyed by the tables' own values,
/// which the store's deltas are grouped by without parsing them back.
#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = month_stats)]
#[diesel(treat_none_as_default_value = false)]
struct StoredStats {
    form_type: i32,
    period_month: String,
    fingerprint: String,
    filing_count: i64,
    row_count: i64,
    updated_at: PrimitiveDateTime,
    changed_after_close: i64,
}

pub fn get(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<MonthStats>, DbError> {
    Ok(month_stats::table.find((form, month)).select(MonthStats::as_select()).first(conn).optional()?)
}

/// Every month of a form type that has ever held a filing, oldest first.
pub fn list(conn: &mut DbConnection, form: FormType) -> Result<Vec<MonthStats>, DbError> {
    Ok(month_stats::table
        .filter(month_stats::form_type.eq(form))
        .order(month_stats::period_month)
        .select(MonthStats::as_select())
        .load(conn)?)
}

/// A month's fingerprint and counts recomputed from its filings, in one
/// pass over them: what its stats row must hold (a check of the deltas the
/// store applies, for tests, and the recount of a repartition).
pub fn recount(conn: &mut DbConnection, form: FormType, month: Month) -> Result<(String, i64, i64), DbError> {
    recount_key(conn, &(i32::from(form.number()), month.to_string()))
}

/// [`recount`] of a month as the tables key it.
pub(crate) fn recount_key(conn: &mut DbConnection, key: &MonthKey) -> Result<(String, i64, i64), DbError> {
    use super::schema::filings;
    let (form_type, month) = key;
    let rows: Vec<(String, Option<String>, Option<String>, i32)> = filings::table
        .filter(filings::form_type.eq(*form_type))
        .filter(filings::filing_month.eq(month))
        .select((
            filings::content_sha256,
            filings::amends_accession_number,
            filings::superseded_by_accession_number,
            filings::row_count,
        ))
        .load(conn)?;
    let mut delta = MonthDelta::default();
    for (content, amends, superseded_by, row_count) in &rows {
        delta.toggle(&super::filings::fingerprint_part(content, amends.as_deref(), superseded_by.as_deref()));
        delta.filings += 1;
        delta.rows += i64::from(*row_count);
    }
    Ok((hex::encode(delta.xor), delta.filings, delta.rows))
}

/// Writes a recounted month's row (the stats were cleared before).
pub(crate) fn insert_recounted(
    conn: &mut DbConnection,
    (form_type, period_month): MonthKey,
    fingerprint: String,
    (filing_count, row_count): (i64, i64),
    now: PrimitiveDateTime,
) -> Result<(), DbError> {
    let row = StoredStats {
        form_type,
        period_month,
        fingerprint,
        filing_count,
        row_count,
        updated_at: now,
        changed_after_close: 0,
    };
    crate::on_backend!(conn, c => diesel::insert_into(month_stats::table).values(&row).execute(c))?;
    Ok(())
}

/// The month still open to new filings, `YYYY-MM`: EDGAR's filing dates
/// are US Eastern days, so the month closes at midnight Eastern (taken as
/// UTC-5; in summer a change in the hour after midnight counts as late).
pub(crate) fn open_month() -> String {
    let eastern = time::OffsetDateTime::now_utc() - time::Duration::hours(5);
    Month::containing(eastern.date()).to_string()
}

/// The months from `from` on whose stats differ from their bundle's (or
/// that hold filings and have no bundle): all that a nightly run has to
/// look at, found in one query however long the history.
pub fn changed_since_bundle(conn: &mut DbConnection, form: FormType, from: Month) -> Result<Vec<Month>, DbError> {
    use super::schema::bundles;
    let months: Vec<String> =
        month_stats::table
            .left_join(bundles::table.on(
                bundles::form_type.eq(month_stats::form_type).and(bundles::period_month.eq(month_stats::period_month)),
            ))
            .filter(month_stats::form_type.eq(i32::from(form.number())))
            .filter(month_stats::period_month.ge(from.to_string()))
            .filter(
                bundles::source_fingerprint
                    .nullable()
                    .ne(month_stats::fingerprint.nullable())
                    .or(bundles::source_fingerprint.is_null().and(month_stats::filing_count.gt(0))),
            )
            .order(month_stats::period_month)
            .select(month_stats::period_month)
            .load(conn)?;
    months.iter().map(|m| m.parse::<Month>().map_err(|e| DbError::Corrupt(format!("month_stats: {e}")))).collect()
}

/// Changes to closed months, per form type, since the statistics were
/// last recounted: what `insider_bulk_closed_month_changes` reports.
pub fn changed_after_close(conn: &mut DbConnection) -> Result<BTreeMap<i32, i64>, DbError> {
    let rows: Vec<(i32, i64)> = month_stats::table
        .filter(month_stats::changed_after_close.gt(0))
        .select((month_stats::form_type, month_stats::changed_after_close))
        .load(conn)?;
    let mut sums = BTreeMap::new();
    for (form, n) in rows {
        *sums.entry(form).or_default() += n;
    }
    Ok(sums)
}

pub(crate) type MonthKey = (i32, String);

/// A change to one month, accumulated over a batch and applied once.
#[derive(Debug, Default, Clone)]
pub(crate) struct MonthDelta {
    pub xor: [u8; 32],
    pub filings: i64,
    pub rows: i64,
    pub changed_after_close: i64,
}

impl MonthDelta {
    pub fn toggle(&mut self, part: &[u8; 32]) {
        self.xor.iter_mut().zip(part).for_each(|(a, b)| *a ^= b);
    }
}

/// The month_stats rows of exactly these keys, as a query to refine.
fn of_keys<'a>(keys: impl IntoIterator<Item = &'a MonthKey>) -> month_stats::BoxedQuery<'a, diesel::pg::Pg> {
    let mut query = month_stats::table.into_boxed().filter(diesel::dsl::sql::<diesel::sql_types::Bool>("FALSE"));
    for (form_type, month) in keys {
        query = query.or_filter(month_stats::form_type.eq(*form_type).and(month_stats::period_month.eq(month)));
    }
    query
}

/// Creates the months' rows if missing and, on PostgreSQL, locks them in key
/// order (one `SELECT … ORDER BY key FOR UPDATE`: rows are locked as the
/// sort returns them) so that concurrent loaders of one month queue up
/// instead of losing each other's deltas (SQLite already serializes writers).
pub(crate) fn ensure_and_lock(conn: &mut DbConnection, keys: &BTreeSet<MonthKey>) -> Result<(), DbError> {
    if keys.is_empty() {
        return Ok(());
    }
    let now = now_utc();
    let fresh: Vec<StoredStats> = keys
        .iter()
        .map(|(form_type, month)| StoredStats {
            form_type: *form_type,
            period_month: month.clone(),
            fingerprint: EMPTY_FINGERPRINT.to_owned(),
            filing_count: 0,
            row_count: 0,
            updated_at: now,
            changed_after_close: 0,
        })
        .collect();
    crate::on_backend!(conn, c => diesel::insert_into(month_stats::table)
        .values(&fresh)
        .on_conflict_do_nothing()
        .execute(c))?;
    if let DbConnection::Postgres(pg) = conn {
        use diesel::sql_types::{Array, Integer, Text};
        let (forms, months): (Vec<i32>, Vec<&str>) = keys.iter().map(|(f, m)| (*f, m.as_str())).unzip();
        let locked = diesel::sql_query(
            "SELECT form_type FROM month_stats \
             WHERE (form_type, period_month) IN (SELECT * FROM unnest($1::integer[], $2::text[])) \
             ORDER BY form_type, period_month FOR UPDATE",
        )
        .bind::<Array<Integer>, _>(forms)
        .bind::<Array<Text>, _>(months)
        .execute(pg)?;
        if locked != keys.len() {
            return Err(DbError::Corrupt(format!("month_stats: locked {locked} of {} months", keys.len())));
        }
    }
    Ok(())
}

/// Applies accumulated deltas; rows must exist and be locked.
pub(crate) fn apply(conn: &mut DbConnection, deltas: &BTreeMap<MonthKey, MonthDelta>) -> Result<(), DbError> {
    let changed: BTreeMap<&MonthKey, &MonthDelta> = deltas
        .iter()
        .filter(|(_, d)| d.filings != 0 || d.rows != 0 || d.xor != [0; 32] || d.changed_after_close != 0)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let current: Vec<StoredStats> = match conn {
        DbConnection::Postgres(pg) => of_keys(changed.keys().copied()).select(StoredStats::as_select()).load(pg)?,
        DbConnection::Sqlite(_) => {
            // One indexed lookup per month costs no round trip in-process.
            let mut rows = Vec::with_capacity(changed.len());
            for (form_type, month) in changed.keys() {
                rows.push(month_stats::table.find((*form_type, month)).select(StoredStats::as_select()).first(conn)?);
            }
            rows
        }
    };
    if current.len() != changed.len() {
        return Err(DbError::Corrupt(format!("month_stats: found {} of {} months", current.len(), changed.len())));
    }
    let now = now_utc();
    for current in current {
        let key = (current.form_type, current.period_month.clone());
        let (form_type, month) = &key;
        let delta = changed
            .get(&key)
            .ok_or_else(|| DbError::Corrupt(format!("month_stats {form_type} {month}: not asked for")))?;
        let mut fingerprint: [u8; 32] = hex::decode(&current.fingerprint)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DbError::Corrupt(format!("month_stats {form_type} {month}: bad fingerprint")))?;
        fingerprint.iter_mut().zip(&delta.xor).for_each(|(a, b)| *a ^= b);
        diesel::update(month_stats::table.find((*form_type, month)))
            .set((
                month_stats::fingerprint.eq(hex::encode(fingerprint)),
                month_stats::filing_count.eq(current.filing_count + delta.filings),
                month_stats::row_count.eq(current.row_count + delta.rows),
                month_stats::changed_after_close.eq(current.changed_after_close + delta.changed_after_close),
                month_stats::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
