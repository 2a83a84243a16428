//! The per-filing record of the live service: one line of a month's
//! `.jsonl.gz` and the output of `insider-bulk-ingest parse`, the project's
//! one JSON shape. Keys are the ownership XML's element names in
//! camelCase, each `<value>` kept as `{"value": …}` and footnote
//! references as `footnoteIds` on the element that carries them, around
//! the service's own top-level fields (`accessionNo`, `filedAt`,
//! amendment links, `isLate`, `indexUrl`, …).
//!
//! Nulls and absences: every top-level key is always present, null when
//! unknown; both tables always have both arrays. Inside a row an element
//! with neither a value nor a footnote is left out, as the XML leaves it
//! out. Yes/no boxes are JSON booleans: the relationship boxes,
//! `notSubjectToSection16` and `noSecuritiesOwned` are `false` when the
//! filer left them out (an unticked box); `aff10b5One`,
//! `form3HoldingsReported`, `form4TransactionsReported` and
//! `equitySwapInvolved` stay null (or absent) when not given, since the
//! schema of many filings has no such box. CIKs are ten-digit strings,
//! dates `YYYY-MM-DD`, `acceptedAt` UTC with milliseconds and `Z`.

mod calendar;
mod element;
mod groups;
mod links;
mod parties;
mod rows;
mod timeliness;

pub use calendar::{add_business_days, business_days_between, is_business_day, is_federal_holiday};
pub use element::{Day, Element, FootnotedOnly, UtcMillis};
pub use groups::*;
pub use links::IndexUrl;
pub use parties::*;
pub use rows::*;
pub use timeliness::{Timeliness, FORM4_BUSINESS_DAYS};

use serde::Serialize;

use crate::db::filings::Links;
use crate::domain::{AccessionNumber, DocumentType, FilingSource, Flag};
use crate::filing::{Filing, Footnote};

/// One filing as the live service publishes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilingRecord<'a> {
    /// Null only for a document inspected without one (`parse`).
    pub accession_no: Option<&'a AccessionNumber>,
    pub document_type: DocumentType,
    /// The date EDGAR filed it (US Eastern business day).
    pub filed_at: Option<Day>,
    pub accepted_at: Option<UtcMillis>,
    pub period_of_report: Day,
    pub schema_version: Option<&'a str>,
    pub date_of_original_submission: Option<Day>,
    pub not_subject_to_section16: bool,
    pub no_securities_owned: bool,
    pub form3_holdings_reported: Option<bool>,
    pub form4_transactions_reported: Option<bool>,
    /// The Rule 10b5-1 box, in schemas X0407 and later; null before.
    pub aff10b5_one: Option<bool>,
    pub is_amendment: bool,
    /// For an amendment, the filing it amends, when that is known.
    pub original_accession_no: Option<&'a str>,
    /// The latest amendment of this filing filed by the end of its month.
    pub superseded_by_accession_no: Option<&'a str>,
    pub is_superseded: bool,
    /// See [`Timeliness`]: Form 4 originals only, else null.
    pub is_late: Option<bool>,
    pub business_days_to_file: Option<i64>,
    pub issuer: IssuerRecord<'a>,
    pub reporting_owners: Vec<ReportingOwnerRecord<'a>>,
    pub non_derivative_table: Table<NonDerivativeTransactionRecord<'a>, NonDerivativeHoldingRecord<'a>>,
    pub derivative_table: Table<DerivativeTransactionRecord<'a>, DerivativeHoldingRecord<'a>>,
    pub footnotes: &'a [Footnote],
    pub remarks: Option<&'a str>,
    /// The first signature's name and date.
    pub owner_signature_name: Option<&'a str>,
    pub owner_signature_date: Option<Day>,
    pub owner_signatures: Vec<SignatureRecord<'a>>,
    pub index_url: Option<IndexUrl<'a>>,
    /// The primary document's URL: not stored (the document's name is not
    /// kept), so always null.
    pub xml_url: Option<&'a str>,
    pub source: FilingSource,
}

impl<'a> FilingRecord<'a> {
    /// `filing` with its amendment links (`None`: not linked, or not known
    /// where the filing was not read from the database).
    pub fn new(filing: &'a Filing, links: Option<&'a Links>) -> Self {
        let s = &filing.submission;
        let (amends, superseded_by) = links.map_or((None, None), |l| (l.amends.as_deref(), l.superseded_by.as_deref()));
        let timeliness = Timeliness::of(filing);
        let first_signature = filing.owner_signatures.first();
        FilingRecord {
            accession_no: Some(&s.accession_number),
            document_type: s.document_type,
            filed_at: s.filing_date.map(Day),
            accepted_at: s.accepted_at.map(UtcMillis),
            period_of_report: Day(s.period_of_report),
            schema_version: s.schema_version.as_deref(),
            date_of_original_submission: s.date_of_original_submission.map(Day),
            not_subject_to_section16: ticked(s.not_subject_to_section16),
            no_securities_owned: ticked(s.no_securities_owned),
            form3_holdings_reported: s.form3_holdings_reported.map(Flag::value),
            form4_transactions_reported: s.form4_transactions_reported.map(Flag::value),
            aff10b5_one: s.aff10b5_one.map(Flag::value),
            is_amendment: s.document_type.is_amendment,
            original_accession_no: amends.filter(|_| s.document_type.is_amendment),
            superseded_by_accession_no: superseded_by,
            is_superseded: superseded_by.is_some(),
            is_late: timeliness.is_late,
            business_days_to_file: timeliness.business_days_to_file,
            issuer: IssuerRecord::from(&s.issuer),
            reporting_owners: filing.reporting_owners.iter().map(Into::into).collect(),
            non_derivative_table: Table {
                transactions: filing.non_derivative_transactions.iter().map(Into::into).collect(),
                holdings: filing.non_derivative_holdings.iter().map(Into::into).collect(),
            },
            derivative_table: Table {
                transactions: filing.derivative_transactions.iter().map(Into::into).collect(),
                holdings: filing.derivative_holdings.iter().map(Into::into).collect(),
            },
            footnotes: &filing.footnotes,
            remarks: s.remarks.as_deref(),
            owner_signature_name: first_signature.map(|sig| sig.signature_name.as_str()),
            owner_signature_date: first_signature.and_then(|sig| sig.signature_date).map(Day),
            owner_signatures: filing.owner_signatures.iter().map(Into::into).collect(),
            index_url: Some(IndexUrl { cik: &s.issuer.cik, accession: &s.accession_number }),
            xml_url: None,
            source: s.source,
        }
    }

    /// The record of a document whose accession number is not known (a
    /// file inspected under a name that carries none): no accession, no
    /// EDGAR page.
    pub fn without_accession(self) -> Self {
        FilingRecord { accession_no: None, index_url: None, ..self }
    }
}
