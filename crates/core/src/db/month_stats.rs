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

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = month_stats)]
#[diesel(treat_none_as_default_value = false)]
pub struct MonthStats {
    pub form_type: i32,
    pub period_month: String,
    pub fingerprint: String,
    pub filing_count: i64,
    pub row_count: i64,
    pub updated_at: PrimitiveDateTime,
}

pub fn get(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<MonthStats>, DbError> {
    Ok(month_stats::table
        .find((i32::from(form.number()), month.to_string()))
        .select(MonthStats::as_select())
        .first(conn)
        .optional()?)
}

/// Every month of a form type that has ever held a filing, oldest first.
pub fn list(conn: &mut DbConnection, form: FormType) -> Result<Vec<MonthStats>, DbError> {
    Ok(month_stats::table
        .filter(month_stats::form_type.eq(i32::from(form.number())))
        .order(month_stats::period_month)
        .select(MonthStats::as_select())
        .load(conn)?)
}

pub(crate) type MonthKey = (i32, String);

/// A change to one month, accumulated over a batch and applied once.
#[derive(Debug, Default, Clone)]
pub(crate) struct MonthDelta {
    pub xor: [u8; 32],
    pub filings: i64,
    pub rows: i64,
}

impl MonthDelta {
    pub fn toggle(&mut self, part: &[u8; 32]) {
        self.xor.iter_mut().zip(part).for_each(|(a, b)| *a ^= b);
    }
}

/// Creates the months' rows if missing and, on PostgreSQL, locks them in key
/// order so that concurrent loaders of one month queue up instead of losing
/// each other's deltas (SQLite already serializes writers).
pub(crate) fn ensure_and_lock(conn: &mut DbConnection, keys: &BTreeSet<MonthKey>) -> Result<(), DbError> {
    let now = now_utc();
    let fresh: Vec<MonthStats> = keys
        .iter()
        .map(|(form_type, month)| MonthStats {
            form_type: *form_type,
            period_month: month.clone(),
            fingerprint: EMPTY_FINGERPRINT.to_owned(),
            filing_count: 0,
            row_count: 0,
            updated_at: now,
        })
        .collect();
    crate::on_backend!(conn, c => diesel::insert_into(month_stats::table)
        .values(&fresh)
        .on_conflict_do_nothing()
        .execute(c))?;
    if let DbConnection::Postgres(pg) = conn {
        for (form_type, month) in keys {
            month_stats::table
                .find((*form_type, month))
                .select(month_stats::form_type)
                .for_update()
                .first::<i32>(pg)?;
        }
    }
    Ok(())
}

/// Applies accumulated deltas; rows must exist and be locked.
pub(crate) fn apply(conn: &mut DbConnection, deltas: &BTreeMap<MonthKey, MonthDelta>) -> Result<(), DbError> {
    let now = now_utc();
    for ((form_type, month), delta) in deltas {
        if delta.filings == 0 && delta.rows == 0 && delta.xor == [0; 32] {
            continue;
        }
        let current: MonthStats =
            month_stats::table.find((*form_type, month)).select(MonthStats::as_select()).first(conn)?;
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
                month_stats::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
