//! Links an amendment (3/A, 4/A, 5/A) to the filing it amends: same form
//! family, issuer, first reporting owner and period of report, and the
//! original's filing date equal to the amendment's dateOfOriginalSubmission
//! where both are known. Either side may arrive first.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use time::Date;

use super::fingerprint_part;
use crate::db::month_stats::{MonthDelta, MonthKey};
use crate::db::schema::filings;
use crate::db::{DbConnection, DbError};
use crate::filing::Filing;

#[derive(Queryable, Debug)]
struct Candidate {
    accession_number: String,
    form_type: i32,
    document_type: String,
    period_month: String,
    period_of_report: Date,
    filing_date: Option<Date>,
    date_of_original_submission: Option<Date>,
    issuer_cik: String,
    first_owner_cik: Option<String>,
    content_sha256: String,
    amends_accession_number: Option<String>,
}

impl Candidate {
    fn is_amendment(&self) -> bool {
        self.document_type.ends_with("/A")
    }

    fn could_amend(&self, original: &Candidate) -> bool {
        !original.is_amendment()
            && original.form_type == self.form_type
            && original.issuer_cik == self.issuer_cik
            && original.first_owner_cik == self.first_owner_cik
            && original.period_of_report == self.period_of_report
            && match (self.date_of_original_submission, original.filing_date) {
                (Some(wanted), Some(filed)) => wanted == filed,
                _ => true,
            }
    }
}

macro_rules! candidate_columns {
    () => {
        (
            filings::accession_number,
            filings::form_type,
            filings::document_type,
            filings::period_month,
            filings::period_of_report,
            filings::filing_date,
            filings::date_of_original_submission,
            filings::issuer_cik,
            filings::first_owner_cik,
            filings::content_sha256,
            filings::amends_accession_number,
        )
    };
}

pub(super) fn link(
    conn: &mut DbConnection,
    stored: &[&Filing],
    deltas: &mut BTreeMap<MonthKey, MonthDelta>,
) -> Result<(), DbError> {
    let issuers: BTreeSet<&str> = stored.iter().map(|f| f.submission.issuer.cik.as_str()).collect();
    if issuers.is_empty() {
        return Ok(());
    }
    // Unlinked amendments of these issuers: the batch's own and older ones
    // whose original may just have arrived (a partial index keeps this cheap).
    let amendments: Vec<Candidate> = filings::table
        .filter(filings::issuer_cik.eq_any(&issuers))
        .filter(filings::amends_accession_number.is_null())
        .filter(filings::document_type.like("%/A"))
        .select(candidate_columns!())
        .order(filings::accession_number)
        .load(conn)?;
    if amendments.is_empty() {
        return Ok(());
    }
    let wanted_issuers: BTreeSet<&str> = amendments.iter().map(|a| a.issuer_cik.as_str()).collect();
    let wanted_periods: BTreeSet<Date> = amendments.iter().map(|a| a.period_of_report).collect();
    let originals: Vec<Candidate> = filings::table
        .filter(filings::issuer_cik.eq_any(&wanted_issuers))
        .filter(filings::period_of_report.eq_any(&wanted_periods))
        .filter(filings::document_type.not_like("%/A"))
        .select(candidate_columns!())
        .order(filings::accession_number)
        .load(conn)?;
    for amendment in &amendments {
        let mut matches: Vec<&Candidate> = originals.iter().filter(|o| amendment.could_amend(o)).collect();
        // An exact filing-date match beats a match on unknown dates; then
        // the earliest accession.
        matches.sort_by_key(|o| (o.filing_date != amendment.date_of_original_submission, &o.accession_number));
        let Some(original) = matches.first() else { continue };
        diesel::update(filings::table.find(&amendment.accession_number))
            .set(filings::amends_accession_number.eq(&original.accession_number))
            .execute(conn)?;
        let delta = deltas.entry((amendment.form_type, amendment.period_month.clone())).or_default();
        delta.toggle(&fingerprint_part(&amendment.content_sha256, amendment.amends_accession_number.as_deref()));
        delta.toggle(&fingerprint_part(&amendment.content_sha256, Some(&original.accession_number)));
    }
    Ok(())
}
