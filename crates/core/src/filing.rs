//! The normalized filing: one EDGAR ownership document (Form 3, 4 or 5 or
//! an amendment) with every row of every table. Field names are the XML
//! element names in snake_case; this is the JSON of `insider-bulk-ingest
//! parse`, of `filings.jsonl` in a bundle, and what the database stores.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::domain::{AccessionNumber, Cik, DocumentType, Month};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Footnote references of one row, keyed by the JSON name of the field the
/// `<footnoteId>` was attached to (`"shares": ["F2", "F3"]`). A `BTreeMap`
/// keeps the JSON and the content hash in a stable order.
pub type FootnoteIds = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    pub accession_number: AccessionNumber,
    pub document_type: DocumentType,
    pub schema_version: Option<String>,
    #[serde(with = "iso_date")]
    pub period_of_report: Date,
    /// From the SEC header of a full submission; `None` for a bare XML document.
    #[serde(with = "iso_date::option")]
    pub filing_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub date_of_original_submission: Option<Date>,
    pub no_securities_owned: Option<bool>,
    pub not_subject_to_section16: Option<bool>,
    pub form3_holdings_reported: Option<bool>,
    pub form4_transactions_reported: Option<bool>,
    /// The Rule 10b5-1 plan flag (`aff10b5One`; seen from schema X0407 on).
    pub aff10b5_one: Option<bool>,
    pub issuer: Issuer,
    pub reporting_owners: Vec<ReportingOwner>,
    pub non_derivative_transactions: Vec<NonDerivativeTransaction>,
    pub non_derivative_holdings: Vec<NonDerivativeHolding>,
    pub derivative_transactions: Vec<DerivativeTransaction>,
    pub derivative_holdings: Vec<DerivativeHolding>,
    pub footnotes: Vec<Footnote>,
    pub remarks: Option<String>,
    pub owner_signatures: Vec<OwnerSignature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issuer {
    pub cik: Cik,
    pub name: Option<String>,
    pub trading_symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportingOwner {
    pub cik: Cik,
    pub name: Option<String>,
    pub street1: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub state_description: Option<String>,
    pub is_director: Option<bool>,
    pub is_officer: Option<bool>,
    pub is_ten_percent_owner: Option<bool>,
    pub is_other: Option<bool>,
    pub officer_title: Option<String>,
    pub other_text: Option<String>,
}

/// A row of Table I, "Non-Derivative Securities Acquired, Disposed of, or
/// Beneficially Owned": a transaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NonDerivativeTransaction {
    pub security_title: Option<String>,
    #[serde(with = "iso_date::option")]
    pub transaction_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub deemed_execution_date: Option<Date>,
    pub transaction_form_type: Option<String>,
    pub transaction_code: Option<String>,
    pub equity_swap_involved: Option<bool>,
    pub transaction_timeliness: Option<String>,
    pub shares: Option<f64>,
    pub price_per_share: Option<f64>,
    pub acquired_disposed_code: Option<String>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: FootnoteIds,
}

/// A row of Table I that reports a holding, not a transaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NonDerivativeHolding {
    pub security_title: Option<String>,
    pub transaction_form_type: Option<String>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: FootnoteIds,
}

/// A row of Table II, "Derivative Securities Acquired, Disposed of, or
/// Beneficially Owned": a transaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DerivativeTransaction {
    pub security_title: Option<String>,
    pub conversion_or_exercise_price: Option<f64>,
    #[serde(with = "iso_date::option")]
    pub transaction_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub deemed_execution_date: Option<Date>,
    pub transaction_form_type: Option<String>,
    pub transaction_code: Option<String>,
    pub equity_swap_involved: Option<bool>,
    pub transaction_timeliness: Option<String>,
    pub shares: Option<f64>,
    pub total_value: Option<f64>,
    pub price_per_share: Option<f64>,
    pub acquired_disposed_code: Option<String>,
    #[serde(with = "iso_date::option")]
    pub exercise_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub expiration_date: Option<Date>,
    pub underlying_security_title: Option<String>,
    pub underlying_security_shares: Option<f64>,
    pub underlying_security_value: Option<f64>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: FootnoteIds,
}

/// A row of Table II that reports a holding.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DerivativeHolding {
    pub security_title: Option<String>,
    pub conversion_or_exercise_price: Option<f64>,
    pub transaction_form_type: Option<String>,
    #[serde(with = "iso_date::option")]
    pub exercise_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub expiration_date: Option<Date>,
    pub underlying_security_title: Option<String>,
    pub underlying_security_shares: Option<f64>,
    pub underlying_security_value: Option<f64>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: FootnoteIds,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Footnote {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerSignature {
    pub signature_name: String,
    #[serde(with = "iso_date::option")]
    pub signature_date: Option<Date>,
}

impl Filing {
    /// The month whose bundle carries this filing: that of its period of
    /// report, for amendments too.
    pub fn month(&self) -> Month {
        Month::containing(self.period_of_report)
    }

    /// Rows this filing contributes to SEC's eight data-set tables
    /// (SUBMISSION counts one). This is the `row_count` of a month.
    pub fn row_count(&self) -> usize {
        1 + self.reporting_owners.len()
            + self.non_derivative_transactions.len()
            + self.non_derivative_holdings.len()
            + self.derivative_transactions.len()
            + self.derivative_holdings.len()
            + self.footnotes.len()
            + self.owner_signatures.len()
    }

    /// SHA-256 of the canonical JSON: equal content, equal hash. The month
    /// fingerprint is built from these, so a reload of the same document
    /// changes nothing and any edit changes its month.
    pub fn content_sha256(&self) -> [u8; 32] {
        let json = serde_json::to_vec(self).expect("a Filing always serializes");
        Sha256::digest(&json).into()
    }
}
