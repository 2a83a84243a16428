//! The element groups rows share: the coding, the amounts, the underlying
//! security, the post-transaction amounts and the nature of ownership,
//! each named as in the ownership XML. A group's footnote references are
//! on the group only where the XML puts them there: on
//! `transactionCoding`, whose children hold no `<value>`.

use serde::Serialize;

use super::element::{element, Day, Element, Notes};

type Opt<'a, T> = Option<Element<'a, T>>;

/// `transactionCoding` (a holding's carries only the form type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionCoding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_form_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equity_swap_involved: Option<bool>,
    #[serde(rename = "footnoteIds", skip_serializing_if = "Vec::is_empty")]
    pub footnote_ids: Vec<&'a str>,
}

/// The model keys of the footnotes a `transactionCoding` carries, in the
/// order SEC's `EQUITY_SWAP_TRANS_CD_FN` column lists them.
pub(super) const CODING_KEYS: &[&str] = &["transaction_code", "equity_swap_involved", "transaction_form_type"];

impl<'a> TransactionCoding<'a> {
    pub fn new(
        form_type: &'a Option<String>,
        code: &'a Option<String>,
        swap: Option<bool>,
        notes: &mut Notes<'a>,
    ) -> Self {
        TransactionCoding {
            transaction_form_type: form_type.as_deref(),
            transaction_code: code.as_deref(),
            equity_swap_involved: swap,
            footnote_ids: notes.take(CODING_KEYS),
        }
    }

    /// A holding's coding, absent when it says nothing.
    pub fn of_holding(form_type: &'a Option<String>, notes: &mut Notes<'a>) -> Option<Self> {
        let coding = Self::new(form_type, &None, None, notes);
        (coding.transaction_form_type.is_some() || !coding.footnote_ids.is_empty()).then_some(coding)
    }
}

/// `transactionAmounts`; `transactionTotalValue` only in Table II.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionAmounts<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_shares: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_total_value: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_price_per_share: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_acquired_disposed_code: Opt<'a, &'a str>,
}

impl<'a> TransactionAmounts<'a> {
    pub fn new(
        shares: Option<f64>,
        total_value: Option<f64>,
        price: Option<f64>,
        code: &'a Option<String>,
        notes: &mut Notes<'a>,
    ) -> Self {
        TransactionAmounts {
            transaction_shares: element(shares, notes.take(&["shares"])),
            transaction_total_value: element(total_value, notes.take(&["total_value"])),
            transaction_price_per_share: element(price, notes.take(&["price_per_share"])),
            transaction_acquired_disposed_code: element(code.as_deref(), notes.take(&["acquired_disposed_code"])),
        }
    }
}

/// `postTransactionAmounts`: shares, or value, owned after the row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostTransactionAmounts<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares_owned_following_transaction: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_owned_following_transaction: Opt<'a, f64>,
}

impl<'a> PostTransactionAmounts<'a> {
    pub fn new(shares: Option<f64>, value: Option<f64>, notes: &mut Notes<'a>) -> Self {
        PostTransactionAmounts {
            shares_owned_following_transaction: element(shares, notes.take(&["shares_owned_following_transaction"])),
            value_owned_following_transaction: element(value, notes.take(&["value_owned_following_transaction"])),
        }
    }
}

/// `ownershipNature`: direct or indirect, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipNature<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_or_indirect_ownership: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature_of_ownership: Opt<'a, &'a str>,
}

impl<'a> OwnershipNature<'a> {
    pub fn new(direct: &'a Option<String>, nature: &'a Option<String>, notes: &mut Notes<'a>) -> Self {
        OwnershipNature {
            direct_or_indirect_ownership: element(direct.as_deref(), notes.take(&["direct_or_indirect_ownership"])),
            nature_of_ownership: element(nature.as_deref(), notes.take(&["nature_of_ownership"])),
        }
    }
}

/// `underlyingSecurity` of a derivative row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnderlyingSecurity<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_security_title: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_security_shares: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_security_value: Opt<'a, f64>,
}

impl<'a> UnderlyingSecurity<'a> {
    pub fn new(title: &'a Option<String>, shares: Option<f64>, value: Option<f64>, notes: &mut Notes<'a>) -> Self {
        UnderlyingSecurity {
            underlying_security_title: element(title.as_deref(), notes.take(&["underlying_security_title"])),
            underlying_security_shares: element(shares, notes.take(&["underlying_security_shares"])),
            underlying_security_value: element(value, notes.take(&["underlying_security_value"])),
        }
    }
}

/// A text element such as `securityTitle`.
pub(super) fn text<'a>(value: &'a Option<String>, key: &str, notes: &mut Notes<'a>) -> Opt<'a, &'a str> {
    element(value.as_deref(), notes.take(&[key]))
}

/// A date element such as `transactionDate`.
pub(super) fn day<'a>(value: Option<time::Date>, key: &str, notes: &mut Notes<'a>) -> Opt<'a, Day> {
    element(value.map(Day), notes.take(&[key]))
}

/// A number element such as `conversionOrExercisePrice`.
pub(super) fn number<'a>(value: Option<f64>, key: &str, notes: &mut Notes<'a>) -> Opt<'a, f64> {
    element(value, notes.take(&[key]))
}
