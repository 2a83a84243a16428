//! The first-start sample is made-up data: it must never share a month, a
//! bundle or an index entry with real filings. Loading real filings into a
//! database that holds it removes it first, with its bundles.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use super::amendments::{relink, Groups};
use super::fingerprint_part;
use super::write::delete_filings;
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
    type SampleRow = (String, i32, Option<String>, String, i32, Option<String>, Option<String>, String);
    write_transaction(conn, |conn| {
        let sample: Vec<SampleRow> = filings::table
            .filter(filings::source.eq(FilingSource::Synthetic))
            .select((
                filings::accession_number,
                filings::form_type,
                filings::filing_month,
                filings::content_sha256,
                filings::row_count,
                filings::amends_accession_number,
                filings::superseded_by_accession_number,
                filings::issuer_cik,
            ))
            .load(conn)?;
        if sample.is_empty() {
            return Ok(RemovedSample::default());
        }
        let mut keys: BTreeSet<MonthKey> =
            sample.iter().filter_map(|s| s.2.clone().map(|month| (s.1, month))).collect();
        month_stats::ensure_and_lock(conn, &keys)?;
        let mut deltas: BTreeMap<MonthKey, MonthDelta> = BTreeMap::new();
        for (_, form, month, content, rows, amends, superseded_by, _) in &sample {
            let Some(month) = month else { continue };
            let delta = deltas.entry((*form, month.clone())).or_default();
            delta.toggle(&fingerprint_part(content, amends.as_deref(), superseded_by.as_deref()));
            delta.filings -= 1;
            delta.rows -= i64::from(*rows);
        }
        let accessions: Vec<&str> = sample.iter().map(|s| s.0.as_str()).collect();
        delete_filings(conn, &accessions)?;
        // A real filing of a sample issuer (made-up CIKs make this all but
        // impossible) must not keep a link to a deleted row.
        let groups = Groups::OfIssuers(sample.iter().map(|s| s.7.clone()).collect());
        let sample_keys = keys.clone();
        relink(conn, &groups, &mut deltas, &mut keys)?;
        month_stats::apply(conn, &deltas)?;
        let mut withdrawn = 0;
        for (form, month) in &sample_keys {
            let keys = bundles::table
                .find((*form, month))
                .select((bundles::object_key, bundles::jsonl_object_key))
                .first::<(String, String)>(conn)
                .optional()?;
            if let Some((tar, jsonl)) = keys {
                diesel::delete(bundles::table.find((*form, month))).execute(conn)?;
                superseded::record(conn, &tar)?;
                superseded::record(conn, &jsonl)?;
                withdrawn += 1;
            }
        }
        Ok(RemovedSample { filings: sample.len(), months: sample_keys.len(), bundles: withdrawn })
    })
}
