//! The first-start sample is made-up data: it must never share a month, a
//! bundle or an index entry with real filings. Loading real filings into a
//! database that holds it removes it first, with its bundles.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use super::fingerprint_part;
use super::store::delete_filings;
use crate::db::month_stats::{self, MonthDelta, MonthKey};
use crate::db::schema::{bundles, filings};
use crate::db::{superseded, write_transaction, DbConnection, DbError};
use crate::domain::FilingSource;

/// What removing the sample took away.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemovedSample {
    pub filings: usize,
    /// (form, month) pairs that held sample filings.
    pub months: usize,
    /// Their bundles, withdrawn from the index (the objects are purged as
    /// superseded ones are, once no download can be reading them).
    pub bundles: usize,
}

/// Whether any filing of the database is synthetic (one indexed lookup).
pub fn holds_sample(conn: &mut DbConnection) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(filings::table.filter(filings::source.eq(FilingSource::Synthetic))))
        .get_result(conn)?)
}

/// Whether any filing of the database is real, i.e. not synthetic.
pub fn holds_real_filings(conn: &mut DbConnection) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(filings::table.filter(filings::source.ne(FilingSource::Synthetic))))
        .get_result(conn)?)
}

/// Removes every synthetic filing and the bundles built from them, in one
/// transaction, keeping the months' stats exact: their fingerprints change,
/// so a month that also has real filings is packed again from those alone.
pub fn remove_sample(conn: &mut DbConnection) -> Result<RemovedSample, DbError> {
    write_transaction(conn, |conn| {
        let sample: Vec<(String, i32, String, String, i32, Option<String>)> = filings::table
            .filter(filings::source.eq(FilingSource::Synthetic))
            .select((
                filings::accession_number,
                filings::form_type,
                filings::period_month,
                filings::content_sha256,
                filings::row_count,
                filings::amends_accession_number,
            ))
            .load(conn)?;
        if sample.is_empty() {
            return Ok(RemovedSample::default());
        }
        let keys: BTreeSet<MonthKey> = sample.iter().map(|s| (s.1, s.2.clone())).collect();
        month_stats::ensure_and_lock(conn, &keys)?;
        let mut deltas: BTreeMap<MonthKey, MonthDelta> = BTreeMap::new();
        for (_, form, month, content, rows, amends) in &sample {
            let delta = deltas.entry((*form, month.clone())).or_default();
            delta.toggle(&fingerprint_part(content, amends.as_deref()));
            delta.filings -= 1;
            delta.rows -= i64::from(*rows);
        }
        let accessions: Vec<&str> = sample.iter().map(|s| s.0.as_str()).collect();
        unlink_real_amendments(conn, &accessions, &mut deltas)?;
        delete_filings(conn, &accessions)?;
        month_stats::apply(conn, &deltas)?;
        let mut withdrawn = 0;
        for (form, month) in &keys {
            let key =
                bundles::table.find((*form, month)).select(bundles::object_key).first::<String>(conn).optional()?;
            if let Some(key) = key {
                diesel::delete(bundles::table.find((*form, month))).execute(conn)?;
                superseded::record(conn, &key)?;
                withdrawn += 1;
            }
        }
        Ok(RemovedSample { filings: sample.len(), months: keys.len(), bundles: withdrawn })
    })
}

/// A real amendment linked to a sample filing (made-up CIKs make this all
/// but impossible, but a link to a deleted row must not remain) loses the link.
fn unlink_real_amendments(
    conn: &mut DbConnection,
    sample: &[&str],
    deltas: &mut BTreeMap<MonthKey, MonthDelta>,
) -> Result<(), DbError> {
    for chunk in sample.chunks(10_000) {
        let linked: Vec<(String, i32, String, String, String)> = filings::table
            .filter(filings::source.ne(FilingSource::Synthetic))
            .filter(filings::amends_accession_number.eq_any(chunk))
            .select((
                filings::accession_number,
                filings::form_type,
                filings::period_month,
                filings::content_sha256,
                filings::amends_accession_number.assume_not_null(),
            ))
            .load(conn)?;
        for (acc, form, month, content, original) in linked {
            month_stats::ensure_and_lock(conn, &BTreeSet::from([(form, month.clone())]))?;
            let delta = deltas.entry((form, month)).or_default();
            delta.toggle(&fingerprint_part(&content, Some(&original)));
            delta.toggle(&fingerprint_part(&content, None));
            diesel::update(filings::table.find(&acc))
                .set(filings::amends_accession_number.eq(None::<String>))
                .execute(conn)?;
        }
    }
    Ok(())
}
