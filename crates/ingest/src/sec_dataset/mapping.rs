//! One table row → one model struct, column by column: the inverse of
//! crates/packer/src/bundle/sec_tables.rs. A column's `*_FN` goes to the
//! footnote ids of the model field the packer reads it from; where the
//! packer gathers several fields into one column (EQUITY_SWAP_TRANS_CD_FN:
//! transaction code, equity swap, form type) the ids go to
//! `transaction_code`, the XML's `transactionCoding` footnote, so that
//! writing back gives the same column.

use std::str::FromStr;

use insider_bulk_core::domain::{Cik, FilingSource, Flag};
use insider_bulk_core::filing::{
    DerivativeHolding, DerivativeTransaction, Footnote, FootnoteIds, Issuer, NonDerivativeHolding,
    NonDerivativeTransaction, OwnerSignature, ReportingOwner, Submission,
};
use time::Date;

use super::tsv::{FieldError, Row};
use super::values;

/// The metadata file names NONDERIV_TRANS's column EQUITY_SWAP_INVOLVED_FN;
/// SEC's TSVs and readme say EQUITY_SWAP_TRANS_CD_FN.
const SWAP_FN: &[&str] = &["EQUITY_SWAP_TRANS_CD_FN", "EQUITY_SWAP_INVOLVED_FN"];
/// DERIV_TRANS spells it EXCERCISE_DATE; read the right spelling too.
const DT_EXERCISE: &[&str] = &["EXCERCISE_DATE", "EXERCISE_DATE"];
const DT_EXERCISE_FN: &[&str] = &["EXCERCISE_DATE_FN", "EXERCISE_DATE_FN"];

/// Typed access to one row's columns, gathering footnote ids as it goes.
struct Fields<'r, 'a> {
    row: &'r Row<'a>,
    ids: FootnoteIds,
}

impl<'r, 'a> Fields<'r, 'a> {
    fn new(row: &'r Row<'a>) -> Self {
        Fields { row, ids: FootnoteIds::new() }
    }

    fn parsed<T>(&self, columns: &[&str], parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, FieldError> {
        match self.row.get_any(columns)? {
            None => Ok(None),
            Some(v) => parse(&v).map(Some).map_err(|reason| FieldError::new(columns[0], reason)),
        }
    }

    fn text(&self, column: &str) -> Result<Option<String>, FieldError> {
        Ok(self.row.get(column)?.map(|v| v.into_owned()))
    }

    fn required<T>(&self, column: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, FieldError> {
        self.parsed(&[column], parse)?.ok_or_else(|| FieldError::new(column, "missing"))
    }

    fn date(&self, column: &str) -> Result<Option<Date>, FieldError> {
        self.parsed(&[column], values::date)
    }

    fn num(&self, column: &str) -> Result<Option<f64>, FieldError> {
        self.parsed(&[column], values::number)
    }

    fn flag(&self, column: &str) -> Result<Option<Flag>, FieldError> {
        self.parsed(&[column], values::flag)
    }

    /// The ids of `columns` (its spellings), on `field`.
    fn fns(&mut self, columns: &[&str], field: &str) -> Result<(), FieldError> {
        if let Some(v) = self.row.get_any(columns)? {
            let ids = values::footnote_ids(&v);
            if !ids.is_empty() {
                self.ids.entry(field.to_owned()).or_default().extend(ids);
            }
        }
        Ok(())
    }

    /// A value column followed by its `_FN` column, as most of SEC's are.
    fn with_fn<T>(
        &mut self,
        column: &str,
        field: &str,
        read: impl Fn(&Self, &str) -> Result<Option<T>, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        let value = read(self, column)?;
        self.fns(&[&format!("{column}_FN")], field)?;
        Ok(value)
    }
}

fn parse_as<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| e.to_string())
}

/// SUBMISSION; PERIOD_OF_REPORT places the filing in its month, so a row
/// without one cannot be stored.
pub fn submission(row: &Row<'_>) -> Result<Submission, FieldError> {
    let f = Fields::new(row);
    Ok(Submission {
        accession_number: f.required("ACCESSION_NUMBER", parse_as)?,
        document_type: f.required("DOCUMENT_TYPE", parse_as)?,
        schema_version: None,
        period_of_report: f.required("PERIOD_OF_REPORT", values::date)?,
        filing_date: f.date("FILING_DATE")?,
        // Data sets carry no acceptance time, and it is never guessed.
        accepted_at: None,
        date_of_original_submission: f.date("DATE_OF_ORIG_SUB")?,
        no_securities_owned: f.flag("NO_SECURITIES_OWNED")?,
        not_subject_to_section16: f.flag("NOT_SUBJECT_SEC16")?,
        form3_holdings_reported: f.flag("FORM3_HOLDINGS_REPORTED")?,
        form4_transactions_reported: f.flag("FORM4_TRANS_REPORTED")?,
        aff10b5_one: f.flag("AFF10B5ONE")?,
        issuer: Issuer {
            cik: f.required("ISSUERCIK", parse_as::<Cik>)?,
            name: f.text("ISSUERNAME")?,
            trading_symbol: f.text("ISSUERTRADINGSYMBOL")?,
        },
        remarks: f.text("REMARKS")?,
        source: FilingSource::SecDataset,
    })
}

pub fn reporting_owner(row: &Row<'_>) -> Result<ReportingOwner, FieldError> {
    let f = Fields::new(row);
    let roles = f.parsed(&["RPTOWNER_RELATIONSHIP"], values::roles)?.unwrap_or_default();
    Ok(ReportingOwner {
        cik: f.required("RPTOWNERCIK", parse_as::<Cik>)?,
        name: f.text("RPTOWNERNAME")?,
        street1: f.text("RPTOWNER_STREET1")?,
        street2: f.text("RPTOWNER_STREET2")?,
        city: f.text("RPTOWNER_CITY")?,
        state: f.text("RPTOWNER_STATE")?,
        zip_code: f.text("RPTOWNER_ZIPCODE")?,
        state_description: f.text("RPTOWNER_STATE_DESC")?,
        is_director: roles.director,
        is_officer: roles.officer,
        is_ten_percent_owner: roles.ten_percent_owner,
        is_other: roles.other,
        officer_title: f.text("RPTOWNER_TITLE")?,
        other_text: f.text("RPTOWNER_TXT")?,
        file_number: f.text("FILE_NUMBER")?,
    })
}

pub fn non_derivative_transaction(row: &Row<'_>) -> Result<NonDerivativeTransaction, FieldError> {
    let mut f = Fields::new(row);
    let mut t = NonDerivativeTransaction {
        security_title: f.with_fn("SECURITY_TITLE", "security_title", Fields::text)?,
        transaction_date: f.with_fn("TRANS_DATE", "transaction_date", Fields::date)?,
        deemed_execution_date: f.with_fn("DEEMED_EXECUTION_DATE", "deemed_execution_date", Fields::date)?,
        transaction_form_type: f.text("TRANS_FORM_TYPE")?,
        transaction_code: f.text("TRANS_CODE")?,
        equity_swap_involved: f.flag("EQUITY_SWAP_INVOLVED")?,
        transaction_timeliness: f.with_fn("TRANS_TIMELINESS", "transaction_timeliness", Fields::text)?,
        shares: f.with_fn("TRANS_SHARES", "shares", Fields::num)?,
        price_per_share: f.with_fn("TRANS_PRICEPERSHARE", "price_per_share", Fields::num)?,
        acquired_disposed_code: f.with_fn("TRANS_ACQUIRED_DISP_CD", "acquired_disposed_code", Fields::text)?,
        ..Default::default()
    };
    f.fns(SWAP_FN, "transaction_code")?;
    (t.shares_owned_following_transaction, t.value_owned_following_transaction) = owned_following(&mut f)?;
    (t.direct_or_indirect_ownership, t.nature_of_ownership) = ownership(&mut f)?;
    t.footnote_ids = f.ids;
    Ok(t)
}

pub fn non_derivative_holding(row: &Row<'_>) -> Result<NonDerivativeHolding, FieldError> {
    let mut f = Fields::new(row);
    let mut h = NonDerivativeHolding {
        security_title: f.with_fn("SECURITY_TITLE", "security_title", Fields::text)?,
        transaction_form_type: f.with_fn("TRANS_FORM_TYPE", "transaction_form_type", Fields::text)?,
        ..Default::default()
    };
    (h.shares_owned_following_transaction, h.value_owned_following_transaction) = owned_following(&mut f)?;
    (h.direct_or_indirect_ownership, h.nature_of_ownership) = ownership(&mut f)?;
    h.footnote_ids = f.ids;
    Ok(h)
}

pub fn derivative_transaction(row: &Row<'_>) -> Result<DerivativeTransaction, FieldError> {
    let mut f = Fields::new(row);
    let mut t = DerivativeTransaction {
        security_title: f.with_fn("SECURITY_TITLE", "security_title", Fields::text)?,
        conversion_or_exercise_price: f.with_fn("CONV_EXERCISE_PRICE", "conversion_or_exercise_price", Fields::num)?,
        transaction_date: f.with_fn("TRANS_DATE", "transaction_date", Fields::date)?,
        deemed_execution_date: f.with_fn("DEEMED_EXECUTION_DATE", "deemed_execution_date", Fields::date)?,
        transaction_form_type: f.text("TRANS_FORM_TYPE")?,
        transaction_code: f.text("TRANS_CODE")?,
        equity_swap_involved: f.flag("EQUITY_SWAP_INVOLVED")?,
        transaction_timeliness: f.with_fn("TRANS_TIMELINESS", "transaction_timeliness", Fields::text)?,
        shares: f.with_fn("TRANS_SHARES", "shares", Fields::num)?,
        total_value: f.with_fn("TRANS_TOTAL_VALUE", "total_value", Fields::num)?,
        price_per_share: f.with_fn("TRANS_PRICEPERSHARE", "price_per_share", Fields::num)?,
        acquired_disposed_code: f.with_fn("TRANS_ACQUIRED_DISP_CD", "acquired_disposed_code", Fields::text)?,
        exercise_date: f.parsed(DT_EXERCISE, values::date)?,
        ..Default::default()
    };
    f.fns(SWAP_FN, "transaction_code")?;
    f.fns(DT_EXERCISE_FN, "exercise_date")?;
    t.expiration_date = f.with_fn("EXPIRATION_DATE", "expiration_date", Fields::date)?;
    (t.underlying_security_title, t.underlying_security_shares, t.underlying_security_value) = underlying(&mut f)?;
    (t.shares_owned_following_transaction, t.value_owned_following_transaction) = owned_following(&mut f)?;
    (t.direct_or_indirect_ownership, t.nature_of_ownership) = ownership(&mut f)?;
    t.footnote_ids = f.ids;
    Ok(t)
}

pub fn derivative_holding(row: &Row<'_>) -> Result<DerivativeHolding, FieldError> {
    let mut f = Fields::new(row);
    let mut h = DerivativeHolding {
        security_title: f.with_fn("SECURITY_TITLE", "security_title", Fields::text)?,
        conversion_or_exercise_price: f.with_fn("CONV_EXERCISE_PRICE", "conversion_or_exercise_price", Fields::num)?,
        transaction_form_type: f.with_fn("TRANS_FORM_TYPE", "transaction_form_type", Fields::text)?,
        exercise_date: f.with_fn("EXERCISE_DATE", "exercise_date", Fields::date)?,
        expiration_date: f.with_fn("EXPIRATION_DATE", "expiration_date", Fields::date)?,
        ..Default::default()
    };
    (h.underlying_security_title, h.underlying_security_shares, h.underlying_security_value) = underlying(&mut f)?;
    (h.shares_owned_following_transaction, h.value_owned_following_transaction) = owned_following(&mut f)?;
    (h.direct_or_indirect_ownership, h.nature_of_ownership) = ownership(&mut f)?;
    h.footnote_ids = f.ids;
    Ok(h)
}

pub fn footnote(row: &Row<'_>) -> Result<Footnote, FieldError> {
    let f = Fields::new(row);
    Ok(Footnote {
        id: f.required("FOOTNOTE_ID", |s| Ok(s.to_owned()))?,
        text: f.text("FOOTNOTE_TXT")?.unwrap_or_default(),
    })
}

pub fn owner_signature(row: &Row<'_>) -> Result<OwnerSignature, FieldError> {
    let f = Fields::new(row);
    Ok(OwnerSignature {
        signature_name: f.text("OWNERSIGNATURENAME")?.unwrap_or_default(),
        signature_date: f.date("OWNERSIGNATUREDATE")?,
    })
}

type Underlying = (Option<String>, Option<f64>, Option<f64>);

fn underlying(f: &mut Fields<'_, '_>) -> Result<Underlying, FieldError> {
    Ok((
        f.with_fn("UNDLYNG_SEC_TITLE", "underlying_security_title", Fields::text)?,
        f.with_fn("UNDLYNG_SEC_SHARES", "underlying_security_shares", Fields::num)?,
        f.with_fn("UNDLYNG_SEC_VALUE", "underlying_security_value", Fields::num)?,
    ))
}

fn owned_following(f: &mut Fields<'_, '_>) -> Result<(Option<f64>, Option<f64>), FieldError> {
    Ok((
        f.with_fn("SHRS_OWND_FOLWNG_TRANS", "shares_owned_following_transaction", Fields::num)?,
        f.with_fn("VALU_OWND_FOLWNG_TRANS", "value_owned_following_transaction", Fields::num)?,
    ))
}

fn ownership(f: &mut Fields<'_, '_>) -> Result<(Option<String>, Option<String>), FieldError> {
    Ok((
        f.with_fn("DIRECT_INDIRECT_OWNERSHIP", "direct_or_indirect_ownership", Fields::text)?,
        f.with_fn("NATURE_OF_OWNERSHIP", "nature_of_ownership", Fields::text)?,
    ))
}
