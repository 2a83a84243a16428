use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::rows::ReadRows;
use crate::db::schema::*;
use crate::db::{DbConnection, DbError};
use crate::domain::{FormType, Month};
use crate::filing::*;

/// The accession numbers of a month's filings, in accession order (the
/// order of the month's `.jsonl.gz`).
pub fn month_accessions(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Vec<String>, DbError> {
    Ok(filings::table
        .filter(filings::form_type.eq(i32::from(form.number())))
        .filter(filings::filing_month.eq(month.to_string()))
        .order(filings::accession_number)
        .select(filings::accession_number)
        .load(conn)?)
}

/// Reads a table's rows of the given filings, each with its accession, in
/// document order.
macro_rules! children {
    ($conn:expr, $table:ident, $row:ty, $accessions:expr) => {
        $table::table
            .filter($table::accession_number.eq_any($accessions))
            .order(($table::accession_number, $table::seq))
            .select(($table::accession_number, <$row>::as_select()))
            .load($conn)?
    };
}

/// Rebuilds the given filings from their rows, in accession order. Callers
/// page through a month with `month_accessions` so memory stays bounded.
pub fn load_filings(conn: &mut DbConnection, accessions: &[String]) -> Result<Vec<Filing>, DbError> {
    let rows = ReadRows {
        submissions: filings::table
            .filter(filings::accession_number.eq_any(accessions))
            .order(filings::accession_number)
            .select(Submission::as_select())
            .load(conn)?,
        owners: children!(conn, reporting_owners, ReportingOwner, accessions),
        non_derivative_transactions: children!(conn, non_derivative_transactions, NonDerivativeTransaction, accessions),
        non_derivative_holdings: children!(conn, non_derivative_holdings, NonDerivativeHolding, accessions),
        derivative_transactions: children!(conn, derivative_transactions, DerivativeTransaction, accessions),
        derivative_holdings: children!(conn, derivative_holdings, DerivativeHolding, accessions),
        footnotes: children!(conn, footnotes, Footnote, accessions),
        signatures: children!(conn, owner_signatures, OwnerSignature, accessions),
    };
    rows.assemble()
}

/// The accession of the filing that `accession` amends, when it is an
/// amendment whose original has been linked.
pub fn amended_filing(conn: &mut DbConnection, accession: &str) -> Result<Option<String>, DbError> {
    Ok(filings::table
        .find(accession)
        .select(filings::amends_accession_number)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// A filing's two links, as its month's bundle publishes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// The filing this amendment amends.
    pub amends: Option<String>,
    /// Its latest amendment filed by the end of the filing's own month.
    pub superseded_by: Option<String>,
}

/// The links of those of `accessions` that have any.
pub fn amendment_links(
    conn: &mut DbConnection,
    accessions: &[String],
) -> Result<std::collections::HashMap<String, Links>, DbError> {
    Ok(filings::table
        .filter(filings::accession_number.eq_any(accessions))
        .filter(
            filings::amends_accession_number.is_not_null().or(filings::superseded_by_accession_number.is_not_null()),
        )
        .select((filings::accession_number, filings::amends_accession_number, filings::superseded_by_accession_number))
        .load::<(String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(acc, amends, superseded_by)| (acc, Links { amends, superseded_by }))
        .collect())
}

/// Those of `accessions` stored with no filing date (and so in no month).
pub fn undated_filings(
    conn: &mut DbConnection,
    accessions: &[String],
) -> Result<std::collections::HashSet<String>, DbError> {
    Ok(filings::table
        .filter(filings::accession_number.eq_any(accessions))
        .filter(filings::filing_date.is_null())
        .select(filings::accession_number)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// The newest acceptance time among the stored filings of `form`: how
/// fresh the data is, as the index publishes it. `None` when no filing of
/// the form carries one (bare XML documents and data-set rows do not).
pub fn latest_accepted_at(conn: &mut DbConnection, form: FormType) -> Result<Option<PrimitiveDateTime>, DbError> {
    Ok(filings::table
        .filter(filings::form_type.eq(i32::from(form.number())))
        .select(diesel::dsl::max(filings::accepted_at))
        .first::<Option<PrimitiveDateTime>>(conn)?)
}

/// Those of `accessions` stored from EDGAR's full submission text: nothing
/// about them is left to fetch (an accepted submission never changes; a
/// correction is a new accession), so a reconciliation skips them.
pub fn stored_from_edgar(
    conn: &mut DbConnection,
    accessions: &[String],
) -> Result<std::collections::HashSet<String>, DbError> {
    let mut stored = std::collections::HashSet::new();
    for chunk in accessions.chunks(500) {
        stored.extend(
            filings::table
                .filter(filings::accession_number.eq_any(chunk))
                .filter(filings::source.eq(crate::domain::FilingSource::EdgarSubmission))
                .select(filings::accession_number)
                .load::<String>(conn)?,
        );
    }
    Ok(stored)
}
