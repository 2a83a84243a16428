use diesel::prelude::*;

use crate::db::rows::{self, *};
use crate::db::schema::*;
use crate::db::{DbConnection, DbError};
use crate::domain::{FormType, Month};

/// The accession numbers of a month's filings, in accession order (the
/// order of `filings.jsonl`).
pub fn month_accessions(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Vec<String>, DbError> {
    Ok(filings::table
        .filter(filings::form_type.eq(i32::from(form.number())))
        .filter(filings::period_month.eq(month.to_string()))
        .order(filings::accession_number)
        .select(filings::accession_number)
        .load(conn)?)
}

/// Rebuilds the given filings from their rows, in accession order. Callers
/// page through a month with `month_accessions` so memory stays bounded.
pub fn load_filings(conn: &mut DbConnection, accessions: &[String]) -> Result<Vec<crate::filing::Filing>, DbError> {
    let rows = FilingRows {
        filings: filings::table
            .filter(filings::accession_number.eq_any(accessions))
            .order(filings::accession_number)
            .select(FilingRow::as_select())
            .load(conn)?,
        owners: reporting_owners::table
            .filter(reporting_owners::accession_number.eq_any(accessions))
            .order((reporting_owners::accession_number, reporting_owners::seq))
            .select(OwnerRow::as_select())
            .load(conn)?,
        non_derivative_transactions: non_derivative_transactions::table
            .filter(non_derivative_transactions::accession_number.eq_any(accessions))
            .order((non_derivative_transactions::accession_number, non_derivative_transactions::seq))
            .select(NonDerivativeTransactionRow::as_select())
            .load(conn)?,
        non_derivative_holdings: non_derivative_holdings::table
            .filter(non_derivative_holdings::accession_number.eq_any(accessions))
            .order((non_derivative_holdings::accession_number, non_derivative_holdings::seq))
            .select(NonDerivativeHoldingRow::as_select())
            .load(conn)?,
        derivative_transactions: derivative_transactions::table
            .filter(derivative_transactions::accession_number.eq_any(accessions))
            .order((derivative_transactions::accession_number, derivative_transactions::seq))
            .select(DerivativeTransactionRow::as_select())
            .load(conn)?,
        derivative_holdings: derivative_holdings::table
            .filter(derivative_holdings::accession_number.eq_any(accessions))
            .order((derivative_holdings::accession_number, derivative_holdings::seq))
            .select(DerivativeHoldingRow::as_select())
            .load(conn)?,
        footnotes: footnotes::table
            .filter(footnotes::accession_number.eq_any(accessions))
            .order((footnotes::accession_number, footnotes::seq))
            .select(FootnoteRow::as_select())
            .load(conn)?,
        signatures: owner_signatures::table
            .filter(owner_signatures::accession_number.eq_any(accessions))
            .order((owner_signatures::accession_number, owner_signatures::seq))
            .select(SignatureRow::as_select())
            .load(conn)?,
    };
    rows::assemble_filings(rows)
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

/// The amendment links among `accessions`: amendment → the filing it amends.
pub fn amendment_links(
    conn: &mut DbConnection,
    accessions: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    Ok(filings::table
        .filter(filings::accession_number.eq_any(accessions))
        .filter(filings::amends_accession_number.is_not_null())
        .select((filings::accession_number, filings::amends_accession_number.assume_not_null()))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// How many of a month's filings were made by `synth` rather than loaded
/// from EDGAR; a bundle says so in its manifest.
pub fn month_synthetic_count(conn: &mut DbConnection, form: FormType, month: Month) -> Result<i64, DbError> {
    Ok(filings::table
        .filter(filings::form_type.eq(i32::from(form.number())))
        .filter(filings::period_month.eq(month.to_string()))
        .filter(filings::is_synthetic.eq(true))
        .count()
        .get_result(conn)?)
}
