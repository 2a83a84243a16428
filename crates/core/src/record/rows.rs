//! The rows of Table I (`nonDerivativeTable`) and Table II
//! (`derivativeTable`) as the ownership XML names their elements, each
//! footnote reference on the element that carries it. A footnote on the
//! row itself is the row's `footnoteIds`; one on an element this record
//! does not model is kept under that element's name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::element::{Day, Element, FootnotedOnly, Notes};
use super::groups::*;
use crate::domain::Flag;
use crate::filing::{DerivativeHolding, DerivativeTransaction, NonDerivativeHolding, NonDerivativeTransaction};

type Opt<'a, T> = Option<Element<'a, T>>;

/// Footnotes on the row itself and on elements not modelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowNotes<'a> {
    #[serde(rename = "footnoteIds", skip_serializing_if = "Vec::is_empty")]
    pub footnote_ids: Vec<&'a str>,
    #[serde(flatten)]
    pub other_elements: BTreeMap<String, FootnotedOnly<'a>>,
}

impl<'a> From<Notes<'a>> for RowNotes<'a> {
    fn from(notes: Notes<'a>) -> Self {
        let (footnote_ids, other_elements) = notes.rest();
        RowNotes { footnote_ids, other_elements }
    }
}

/// A table: both arrays always present, empty or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table<T, H> {
    pub transactions: Vec<T>,
    pub holdings: Vec<H>,
}

fn flag(value: Option<Flag>) -> Option<bool> {
    value.map(Flag::value)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NonDerivativeTransactionRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_title: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_date: Opt<'a, Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deemed_execution_date: Opt<'a, Day>,
    pub transaction_coding: TransactionCoding<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_timeliness: Opt<'a, &'a str>,
    pub transaction_amounts: TransactionAmounts<'a>,
    pub post_transaction_amounts: PostTransactionAmounts<'a>,
    pub ownership_nature: OwnershipNature<'a>,
    #[serde(flatten)]
    pub notes: RowNotes<'a>,
}

impl<'a> From<&'a NonDerivativeTransaction> for NonDerivativeTransactionRecord<'a> {
    fn from(t: &'a NonDerivativeTransaction) -> Self {
        let mut n = Notes::new(&t.footnote_ids);
        NonDerivativeTransactionRecord {
            security_title: text(&t.security_title, "security_title", &mut n),
            transaction_date: day(t.transaction_date, "transaction_date", &mut n),
            deemed_execution_date: day(t.deemed_execution_date, "deemed_execution_date", &mut n),
            transaction_coding: TransactionCoding::new(
                &t.transaction_form_type,
                &t.transaction_code,
                flag(t.equity_swap_involved),
                &mut n,
            ),
            transaction_timeliness: text(&t.transaction_timeliness, "transaction_timeliness", &mut n),
            transaction_amounts: TransactionAmounts::new(
                t.shares,
                None,
                t.price_per_share,
                &t.acquired_disposed_code,
                &mut n,
            ),
            post_transaction_amounts: PostTransactionAmounts::new(
                t.shares_owned_following_transaction,
                t.value_owned_following_transaction,
                &mut n,
            ),
            ownership_nature: OwnershipNature::new(&t.direct_or_indirect_ownership, &t.nature_of_ownership, &mut n),
            notes: RowNotes::from(n),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NonDerivativeHoldingRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_title: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_coding: Option<TransactionCoding<'a>>,
    pub post_transaction_amounts: PostTransactionAmounts<'a>,
    pub ownership_nature: OwnershipNature<'a>,
    #[serde(flatten)]
    pub notes: RowNotes<'a>,
}

impl<'a> From<&'a NonDerivativeHolding> for NonDerivativeHoldingRecord<'a> {
    fn from(h: &'a NonDerivativeHolding) -> Self {
        let mut n = Notes::new(&h.footnote_ids);
        NonDerivativeHoldingRecord {
            security_title: text(&h.security_title, "security_title", &mut n),
            transaction_coding: TransactionCoding::of_holding(&h.transaction_form_type, &mut n),
            post_transaction_amounts: PostTransactionAmounts::new(
                h.shares_owned_following_transaction,
                h.value_owned_following_transaction,
                &mut n,
            ),
            ownership_nature: OwnershipNature::new(&h.direct_or_indirect_ownership, &h.nature_of_ownership, &mut n),
            notes: RowNotes::from(n),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivativeTransactionRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_title: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_or_exercise_price: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_date: Opt<'a, Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deemed_execution_date: Opt<'a, Day>,
    pub transaction_coding: TransactionCoding<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_timeliness: Opt<'a, &'a str>,
    pub transaction_amounts: TransactionAmounts<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise_date: Opt<'a, Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Opt<'a, Day>,
    pub underlying_security: UnderlyingSecurity<'a>,
    pub post_transaction_amounts: PostTransactionAmounts<'a>,
    pub ownership_nature: OwnershipNature<'a>,
    #[serde(flatten)]
    pub notes: RowNotes<'a>,
}

impl<'a> From<&'a DerivativeTransaction> for DerivativeTransactionRecord<'a> {
    fn from(t: &'a DerivativeTransaction) -> Self {
        let mut n = Notes::new(&t.footnote_ids);
        DerivativeTransactionRecord {
            security_title: text(&t.security_title, "security_title", &mut n),
            conversion_or_exercise_price: number(
                t.conversion_or_exercise_price,
                "conversion_or_exercise_price",
                &mut n,
            ),
            transaction_date: day(t.transaction_date, "transaction_date", &mut n),
            deemed_execution_date: day(t.deemed_execution_date, "deemed_execution_date", &mut n),
            transaction_coding: TransactionCoding::new(
                &t.transaction_form_type,
                &t.transaction_code,
                flag(t.equity_swap_involved),
                &mut n,
            ),
            transaction_timeliness: text(&t.transaction_timeliness, "transaction_timeliness", &mut n),
            transaction_amounts: TransactionAmounts::new(
                t.shares,
                t.total_value,
                t.price_per_share,
                &t.acquired_disposed_code,
                &mut n,
            ),
            exercise_date: day(t.exercise_date, "exercise_date", &mut n),
            expiration_date: day(t.expiration_date, "expiration_date", &mut n),
            underlying_security: UnderlyingSecurity::new(
                &t.underlying_security_title,
                t.underlying_security_shares,
                t.underlying_security_value,
                &mut n,
            ),
            post_transaction_amounts: PostTransactionAmounts::new(
                t.shares_owned_following_transaction,
                t.value_owned_following_transaction,
                &mut n,
            ),
            ownership_nature: OwnershipNature::new(&t.direct_or_indirect_ownership, &t.nature_of_ownership, &mut n),
            notes: RowNotes::from(n),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivativeHoldingRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_title: Opt<'a, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_or_exercise_price: Opt<'a, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_coding: Option<TransactionCoding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise_date: Opt<'a, Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Opt<'a, Day>,
    pub underlying_security: UnderlyingSecurity<'a>,
    pub post_transaction_amounts: PostTransactionAmounts<'a>,
    pub ownership_nature: OwnershipNature<'a>,
    #[serde(flatten)]
    pub notes: RowNotes<'a>,
}

impl<'a> From<&'a DerivativeHolding> for DerivativeHoldingRecord<'a> {
    fn from(h: &'a DerivativeHolding) -> Self {
        let mut n = Notes::new(&h.footnote_ids);
        DerivativeHoldingRecord {
            security_title: text(&h.security_title, "security_title", &mut n),
            conversion_or_exercise_price: number(
                h.conversion_or_exercise_price,
                "conversion_or_exercise_price",
                &mut n,
            ),
            transaction_coding: TransactionCoding::of_holding(&h.transaction_form_type, &mut n),
            exercise_date: day(h.exercise_date, "exercise_date", &mut n),
            expiration_date: day(h.expiration_date, "expiration_date", &mut n),
            underlying_security: UnderlyingSecurity::new(
                &h.underlying_security_title,
                h.underlying_security_shares,
                h.underlying_security_value,
                &mut n,
            ),
            post_transaction_amounts: PostTransactionAmounts::new(
                h.shares_owned_following_transaction,
                h.value_owned_following_transaction,
                &mut n,
            ),
            ownership_nature: OwnershipNature::new(&h.direct_or_indirect_ownership, &h.nature_of_ownership, &mut n),
            notes: RowNotes::from(n),
        }
    }
}
