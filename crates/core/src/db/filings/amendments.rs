//! Links an amendment (3/A, 4/A, 5/A) to the filing it amends: same form
//! family, issuer, first reporting owner and period of report, and the
//! original's filing date equal to the amendment's dateOfOriginalSubmission
//! where both are known. Either side may arrive first.

use std::collections::{BTreeMap, BTreeSet};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
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

/// Links the unlinked amendments of the stored filings' issuers (the batch's
/// own and older ones whose original may just have arrived) to their
/// originals: one query finds every amendment with its candidate originals
/// (a partial index finds the unlinked amendments; the issuer and period
/// index their candidates), one statement writes the links.
pub(super) fn link(
    conn: &mut DbConnection,
    stored: &[&Filing],
    deltas: &mut BTreeMap<MonthKey, MonthDelta>,
) -> Result<(), DbError> {
    let issuers: BTreeSet<&str> = stored.iter().map(|f| f.submission.issuer.cik.as_str()).collect();
    if issuers.is_empty() {
        return Ok(());
    }
    let originals = diesel::alias!(filings as originals);
    let pairs: Vec<(Candidate, Candidate)> = filings::table
        .inner_join(
            originals.on(originals
                .field(filings::issuer_cik)
                .eq(filings::issuer_cik)
                .and(originals.field(filings::period_of_report).eq(filings::period_of_report))
                .and(originals.field(filings::form_type).eq(filings::form_type))
                .and(sql::<Bool>(r#""originals"."document_type" NOT LIKE '%/A'"#))),
        )
        .filter(filings::issuer_cik.eq_any(&issuers))
        .filter(filings::amends_accession_number.is_null())
        // A literal, not a bound pattern: only then does the planner (of
        // either backend) see that the partial index of unlinked amendments
        // applies.
        .filter(sql::<Bool>(r#""filings"."document_type" LIKE '%/A'"#))
        .select((candidate_columns!(), originals.fields(candidate_columns!())))
        .order((filings::accession_number, originals.field(filings::accession_number)))
        .load(conn)?;

    let mut links: Vec<(String, String)> = Vec::new();
    for group in pairs.chunk_by(|a, b| a.0.accession_number == b.0.accession_number) {
        let amendment = &group[0].0;
        let mut matches: Vec<&Candidate> = group.iter().map(|(_, o)| o).filter(|o| amendment.could_amend(o)).collect();
        // An exact filing-date match beats a match on unknown dates; then
        // the earliest accession.
        matches.sort_by_key(|o| (o.filing_date != amendment.date_of_original_submission, &o.accession_number));
        let Some(original) = matches.first() else { continue };
        let delta = deltas.entry((amendment.form_type, amendment.period_month.clone())).or_default();
        delta.toggle(&fingerprint_part(&amendment.content_sha256, amendment.amends_accession_number.as_deref()));
        delta.toggle(&fingerprint_part(&amendment.content_sha256, Some(&original.accession_number)));
        links.push((amendment.accession_number.clone(), original.accession_number.clone()));
    }
    write_links(conn, &links)
}

/// Sets `amends_accession_number` of each (amendment, original) pair.
fn write_links(conn: &mut DbConnection, links: &[(String, String)]) -> Result<(), DbError> {
    if links.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, Text};
            let (amendments, originals): (Vec<&str>, Vec<&str>) =
                links.iter().map(|(a, o)| (a.as_str(), o.as_str())).unzip();
            diesel::sql_query(
                "UPDATE filings SET amends_accession_number = links.original \
                 FROM unnest($1::text[], $2::text[]) AS links (accession, original) \
                 WHERE filings.accession_number = links.accession",
            )
            .bind::<Array<Text>, _>(amendments)
            .bind::<Array<Text>, _>(originals)
            .execute(pg)?;
        }
        // In-process statements cost no round trip.
        DbConnection::Sqlite(lite) => {
            for (amendment, original) in links {
                diesel::update(filings::table.find(amendment))
                    .set(filings::amends_accession_number.eq(original))
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}
