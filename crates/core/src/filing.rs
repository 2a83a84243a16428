//! The normalized filing: one EDGAR ownership document (Form 3, 4 or 5 or
//! an amendment) with every row of every table. Field names are the XML
//! element names in snake_case. This is what the database stores (each
//! struct below is one table's row, through diesel, so a new column is this
//! file, `db/schema.rs` and one migration per backend) and what the content
//! hash reads (its serde JSON); users see it as `record::FilingRecord`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, PrimitiveDateTime};

use crate::db::schema::*;
use crate::domain::{AccessionNumber, Cik, DocumentType, FilingSource, Flag, Month};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");
time::serde::format_description!(utc_second, PrimitiveDateTime, "[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `Option`s of the formats above for the fields of [`Submission`], which is
/// flattened into [`Filing`]: through `flatten` a JSON null reaches the
/// `time` crate's own option visitor as a unit, which it refuses, so the
/// option is read by serde's `Option` around the plain format.
macro_rules! flattened_option {
    ($name:ident, $format:ident, $t:ty) => {
        mod $name {
            use serde::{Deserialize, Deserializer, Serializer};

            struct Plain($t);

            impl<'de> Deserialize<'de> for Plain {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    super::$format::deserialize(d).map(Plain)
                }
            }

            pub fn serialize<S: Serializer>(value: &Option<$t>, s: S) -> Result<S::Ok, S::Error> {
                super::$format::option::serialize(value, s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                Ok(Option::<Plain>::deserialize(d)?.map(|p| p.0))
            }
        }
    };
}

flattened_option!(iso_date_opt, iso_date, time::Date);
flattened_option!(utc_second_opt, utc_second, time::PrimitiveDateTime);

/// Footnote references of one row, keyed by the JSON name of the field the
/// `<footnoteId>` was attached to (`"shares": ["F2", "F3"]`). A `BTreeMap`
/// keeps the JSON and the content hash in a stable order; the column holds
/// the same JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, diesel::AsExpression, diesel::FromSqlRow)]
#[serde(transparent)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct FootnoteIds(BTreeMap<String, Vec<String>>);

impl FootnoteIds {
    pub fn new() -> Self {
        Self::default()
    }
}

impl FromIterator<(String, Vec<String>)> for FootnoteIds {
    fn from_iter<I: IntoIterator<Item = (String, Vec<String>)>>(iter: I) -> Self {
        FootnoteIds(iter.into_iter().collect())
    }
}

impl Deref for FootnoteIds {
    type Target = BTreeMap<String, Vec<String>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for FootnoteIds {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The column's text: the JSON object.
impl fmt::Display for FootnoteIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(&self.0).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for FootnoteIds {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map(FootnoteIds)
    }
}

/// A filing: its SUBMISSION row and the rows of the other seven tables, in
/// document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    #[serde(flatten)]
    pub submission: Submission,
    pub reporting_owners: Vec<ReportingOwner>,
    pub non_derivative_transactions: Vec<NonDerivativeTransaction>,
    pub non_derivative_holdings: Vec<NonDerivativeHolding>,
    pub derivative_transactions: Vec<DerivativeTransaction>,
    pub derivative_holdings: Vec<DerivativeHolding>,
    pub footnotes: Vec<Footnote>,
    pub owner_signatures: Vec<OwnerSignature>,
}

/// The filing's own fields: SEC's SUBMISSION row, and when and from where
/// the filing became known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = filings)]
#[diesel(treat_none_as_default_value = false)]
pub struct Submission {
    pub accession_number: AccessionNumber,
    pub document_type: DocumentType,
    pub schema_version: Option<String>,
    #[serde(with = "iso_date")]
    pub period_of_report: Date,
    /// The date EDGAR filed it: from the SEC header of a full submission or
    /// from SEC's data set; `None` for a bare XML document.
    #[serde(with = "iso_date_opt")]
    pub filing_date: Option<Date>,
    /// When EDGAR accepted the filing, which is when it became public: the
    /// header's `ACCEPTANCE-DATETIME` (US Eastern), in UTC to the second.
    /// `None` where no header was read (a bare XML, SEC's data sets); never
    /// guessed from the filing date.
    #[serde(with = "utc_second_opt")]
    pub accepted_at: Option<PrimitiveDateTime>,
    #[serde(with = "iso_date_opt")]
    pub date_of_original_submission: Option<Date>,
    pub no_securities_owned: Option<Flag>,
    pub not_subject_to_section16: Option<Flag>,
    pub form3_holdings_reported: Option<Flag>,
    pub form4_transactions_reported: Option<Flag>,
    /// The Rule 10b5-1 plan flag (`aff10b5One`; seen from schema X0407 on).
    pub aff10b5_one: Option<Flag>,
    #[diesel(embed)]
    pub issuer: Issuer,
    pub remarks: Option<String>,
    pub source: FilingSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = filings)]
#[diesel(treat_none_as_default_value = false)]
pub struct Issuer {
    #[diesel(column_name = issuer_cik)]
    pub cik: Cik,
    #[diesel(column_name = issuer_name)]
    pub name: Option<String>,
    #[diesel(column_name = issuer_trading_symbol)]
    pub trading_symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = reporting_owners)]
#[diesel(treat_none_as_default_value = false)]
pub struct ReportingOwner {
    pub cik: Cik,
    pub name: Option<String>,
    pub street1: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub state_description: Option<String>,
    pub is_director: Option<Flag>,
    pub is_officer: Option<Flag>,
    pub is_ten_percent_owner: Option<Flag>,
    pub is_other: Option<Flag>,
    pub officer_title: Option<String>,
    pub other_text: Option<String>,
    /// The owner's SEC file number (`SEC FILE NUMBER` of its `REPORTING-OWNER`
    /// section in the header, SEC's `FILE_NUMBER`); not in the XML.
    pub file_number: Option<String>,
}

/// A row of Table I, "Non-Derivative Securities Acquired, Disposed of, or
/// Beneficially Owned": a transaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = non_derivative_transactions)]
#[diesel(treat_none_as_default_value = false)]
pub struct NonDerivativeTransaction {
    pub security_title: Option<String>,
    #[serde(with = "iso_date::option")]
    pub transaction_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub deemed_execution_date: Option<Date>,
    pub transaction_form_type: Option<String>,
    pub transaction_code: Option<String>,
    pub equity_swap_involved: Option<Flag>,
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = non_derivative_holdings)]
#[diesel(treat_none_as_default_value = false)]
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = derivative_transactions)]
#[diesel(treat_none_as_default_value = false)]
pub struct DerivativeTransaction {
    pub security_title: Option<String>,
    pub conversion_or_exercise_price: Option<f64>,
    #[serde(with = "iso_date::option")]
    pub transaction_date: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub deemed_execution_date: Option<Date>,
    pub transaction_form_type: Option<String>,
    pub transaction_code: Option<String>,
    pub equity_swap_involved: Option<Flag>,
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = derivative_holdings)]
#[diesel(treat_none_as_default_value = false)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = footnotes)]
#[diesel(treat_none_as_default_value = false)]
pub struct Footnote {
    #[diesel(column_name = footnote_id)]
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Insertable, Queryable, Selectable)]
#[diesel(table_name = owner_signatures)]
#[diesel(treat_none_as_default_value = false)]
pub struct OwnerSignature {
    pub signature_name: String,
    #[serde(with = "iso_date::option")]
    pub signature_date: Option<Date>,
}

impl Filing {
    /// The month whose bundle carries this filing: the month EDGAR filed
    /// it in (its filing date), for amendments too. `None` while the filing
    /// date is unknown: such a filing is stored and in no month, never
    /// placed by a guess from its period or signature.
    pub fn month(&self) -> Option<Month> {
        self.submission.filing_date.map(Month::containing)
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
