//! Row structs of the filing tables and the lossless mapping between a
//! `Filing` and its rows (the packer rebuilds `filings.jsonl` from these).

use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

use super::schema::*;
use super::DbError;
use crate::filing::*;

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = filings)]
#[diesel(treat_none_as_default_value = false)]
pub struct FilingRow {
    pub accession_number: String,
    pub form_type: i32,
    pub document_type: String,
    pub period_month: String,
    pub period_of_report: Date,
    pub filing_date: Option<Date>,
    pub date_of_original_submission: Option<Date>,
    pub schema_version: Option<String>,
    pub no_securities_owned: Option<bool>,
    pub not_subject_to_section16: Option<bool>,
    pub form3_holdings_reported: Option<bool>,
    pub form4_transactions_reported: Option<bool>,
    pub aff10b5_one: Option<bool>,
    pub issuer_cik: String,
    pub issuer_name: Option<String>,
    pub issuer_trading_symbol: Option<String>,
    pub remarks: Option<String>,
    pub first_owner_cik: Option<String>,
    pub amends_accession_number: Option<String>,
    pub content_sha256: String,
    pub row_count: i32,
    pub source: String,
    pub is_synthetic: bool,
    pub loaded_at: PrimitiveDateTime,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = reporting_owners)]
#[diesel(treat_none_as_default_value = false)]
pub struct OwnerRow {
    pub accession_number: String,
    pub seq: i32,
    pub cik: String,
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

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = non_derivative_transactions)]
#[diesel(treat_none_as_default_value = false)]
pub struct NonDerivativeTransactionRow {
    pub accession_number: String,
    pub seq: i32,
    pub security_title: Option<String>,
    pub transaction_date: Option<Date>,
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
    pub footnote_ids: String,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = non_derivative_holdings)]
#[diesel(treat_none_as_default_value = false)]
pub struct NonDerivativeHoldingRow {
    pub accession_number: String,
    pub seq: i32,
    pub security_title: Option<String>,
    pub transaction_form_type: Option<String>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: String,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = derivative_transactions)]
#[diesel(treat_none_as_default_value = false)]
pub struct DerivativeTransactionRow {
    pub accession_number: String,
    pub seq: i32,
    pub security_title: Option<String>,
    pub conversion_or_exercise_price: Option<f64>,
    pub transaction_date: Option<Date>,
    pub deemed_execution_date: Option<Date>,
    pub transaction_form_type: Option<String>,
    pub transaction_code: Option<String>,
    pub equity_swap_involved: Option<bool>,
    pub transaction_timeliness: Option<String>,
    pub shares: Option<f64>,
    pub total_value: Option<f64>,
    pub price_per_share: Option<f64>,
    pub acquired_disposed_code: Option<String>,
    pub exercise_date: Option<Date>,
    pub expiration_date: Option<Date>,
    pub underlying_security_title: Option<String>,
    pub underlying_security_shares: Option<f64>,
    pub underlying_security_value: Option<f64>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: String,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = derivative_holdings)]
#[diesel(treat_none_as_default_value = false)]
pub struct DerivativeHoldingRow {
    pub accession_number: String,
    pub seq: i32,
    pub security_title: Option<String>,
    pub conversion_or_exercise_price: Option<f64>,
    pub transaction_form_type: Option<String>,
    pub exercise_date: Option<Date>,
    pub expiration_date: Option<Date>,
    pub underlying_security_title: Option<String>,
    pub underlying_security_shares: Option<f64>,
    pub underlying_security_value: Option<f64>,
    pub shares_owned_following_transaction: Option<f64>,
    pub value_owned_following_transaction: Option<f64>,
    pub direct_or_indirect_ownership: Option<String>,
    pub nature_of_ownership: Option<String>,
    pub footnote_ids: String,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = footnotes)]
#[diesel(treat_none_as_default_value = false)]
pub struct FootnoteRow {
    pub accession_number: String,
    pub seq: i32,
    pub footnote_id: String,
    pub text: String,
}

#[derive(Insertable, Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = owner_signatures)]
#[diesel(treat_none_as_default_value = false)]
pub struct SignatureRow {
    pub accession_number: String,
    pub seq: i32,
    pub signature_name: String,
    pub signature_date: Option<Date>,
}

/// Every row of one filing, ready to insert.
#[derive(Debug, Clone, Default)]
pub struct FilingRows {
    pub filings: Vec<FilingRow>,
    pub owners: Vec<OwnerRow>,
    pub non_derivative_transactions: Vec<NonDerivativeTransactionRow>,
    pub non_derivative_holdings: Vec<NonDerivativeHoldingRow>,
    pub derivative_transactions: Vec<DerivativeTransactionRow>,
    pub derivative_holdings: Vec<DerivativeHoldingRow>,
    pub footnotes: Vec<FootnoteRow>,
    pub signatures: Vec<SignatureRow>,
}

fn footnote_json(ids: &FootnoteIds) -> String {
    serde_json::to_string(ids).expect("a map of strings always serializes")
}

fn seq(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

mod convert;
pub use convert::assemble_filings;
