//! The data side of a migration that moves filings between months: every
//! amendment link and every month's statistics recomputed from the filings
//! themselves, so that a migrated database ends as a fresh import of the
//! same filings would.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use super::amendments::{self, Groups};
use crate::db::month_stats;
use crate::db::schema::{filings, month_stats as month_stats_table};
use crate::db::{now_utc, DbConnection, DbError};

/// What a repartition recomputed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Repartitioned {
    pub months: usize,
    pub filings: i64,
}

/// Relinks every amendment and recounts every month, in the caller's
/// transaction. The months' statistics are replaced whole.
pub fn repartition(conn: &mut DbConnection) -> Result<Repartitioned, DbError> {
    let groups = Groups::OfIssuers(amendments::issuers_with_amendments(conn)?);
    let (mut deltas, mut locked) = (BTreeMap::new(), BTreeSet::new());
    amendments::relink(conn, &groups, &mut deltas, &mut locked)?;

    diesel::delete(month_stats_table::table).execute(conn)?;
    let months: Vec<(i32, Option<String>)> = filings::table
        .filter(filings::filing_month.is_not_null())
        .select((filings::form_type, filings::filing_month))
        .distinct()
        .load(conn)?;
    let now = now_utc();
    let mut done = Repartitioned::default();
    for (form_type, month) in months {
        let Some(month) = month else { continue };
        let (fingerprint, filing_count, row_count) = month_stats::recount_key(conn, &(form_type, month.clone()))?;
        month_stats::insert_recounted(conn, (form_type, month), fingerprint, (filing_count, row_count), now)?;
        done.months += 1;
        done.filings += filing_count;
    }
    Ok(done)
}
