//! Table I (`nonDerivativeTable`) and Table II (`derivativeTable`). Every
//! row is kept: an element in a table that is not a row, or a row with a
//! value that cannot be read, fails the whole document with the table and
//! row number, so a filing is never stored with a row missing.

use insider_bulk_core::filing::{
    DerivativeHolding, DerivativeTransaction, FootnoteIds, NonDerivativeHolding, NonDerivativeTransaction,
};
use roxmltree::Node;

use super::footnotes::{self, RowKind};
use super::xml::{Fields, Place};
use super::ParseError;

/// Every element name a row field is read from, in any row kind and any
/// schema version. Names are unique within a row, so a row is read in one
/// pass over its descendants, whatever the nesting.
const ROW_FIELDS: &[&str] = &[
    "securityTitle",
    "conversionOrExercisePrice",
    "transactionDate",
    "deemedExecutionDate",
    "transactionFormType",
    "transactionCode",
    "equitySwapInvolved",
    "transactionTimeliness",
    "transactionShares",
    "transactionTotalValue",
    "transactionPricePerShare",
    "transactionAcquiredDisposedCode",
    "exerciseDate",
    "expirationDate",
    "underlyingSecurityTitle",
    "underlyingSecurityShares",
    "underlyingSecurityValue",
    "sharesOwnedFollowingTransaction",
    "valueOwnedFollowingTransaction",
    "directOrIndirectOwnership",
    "natureOfOwnership",
];

#[derive(Default)]
pub struct Tables {
    pub non_derivative_transactions: Vec<NonDerivativeTransaction>,
    pub non_derivative_holdings: Vec<NonDerivativeHolding>,
    pub derivative_transactions: Vec<DerivativeTransaction>,
    pub derivative_holdings: Vec<DerivativeHolding>,
    non_derivative_rows: usize,
    derivative_rows: usize,
}

impl Tables {
    /// Reads every row of one `nonDerivativeTable` or `derivativeTable`.
    pub fn read(&mut self, table: Node) -> Result<(), ParseError> {
        let table_name =
            if table.tag_name().name() == "derivativeTable" { "derivativeTable" } else { "nonDerivativeTable" };
        for row in table.children().filter(Node::is_element) {
            let row_number = if table_name == "derivativeTable" {
                self.derivative_rows += 1;
                self.derivative_rows
            } else {
                self.non_derivative_rows += 1;
                self.non_derivative_rows
            };
            let place = |kind, index| Place::Row { table: table_name, row: row_number, kind, index };
            match (table_name, row.tag_name().name()) {
                ("nonDerivativeTable", "nonDerivativeTransaction") => {
                    let p = place("nonDerivativeTransaction", self.non_derivative_transactions.len() + 1);
                    let t = non_derivative_transaction(read_row(row, RowKind::Transaction, p)?)?;
                    self.non_derivative_transactions.push(t);
                }
                ("nonDerivativeTable", "nonDerivativeHolding") => {
                    let p = place("nonDerivativeHolding", self.non_derivative_holdings.len() + 1);
                    self.non_derivative_holdings.push(non_derivative_holding(read_row(row, RowKind::Holding, p)?)?);
                }
                ("derivativeTable", "derivativeTransaction") => {
                    let p = place("derivativeTransaction", self.derivative_transactions.len() + 1);
                    self.derivative_transactions.push(derivative_transaction(read_row(row, RowKind::Transaction, p)?)?);
                }
                ("derivativeTable", "derivativeHolding") => {
                    let p = place("derivativeHolding", self.derivative_holdings.len() + 1);
                    self.derivative_holdings.push(derivative_holding(read_row(row, RowKind::Holding, p)?)?);
                }
                (_, other) => {
                    let other: String = other.chars().take(64).collect();
                    return Err(ParseError::Invalid {
                        field: format!("{table_name} row {row_number}"),
                        reason: format!("<{other}> is not a row of this table, so the table cannot be read whole"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// A row's fields and footnote links.
struct Row<'a, 'i> {
    fields: Fields<'a, 'i>,
    footnote_ids: FootnoteIds,
}

fn read_row<'a, 'i>(row: Node<'a, 'i>, kind: RowKind, place: Place) -> Result<Row<'a, 'i>, ParseError> {
    let mut fields = Fields::new(place);
    let mut footnote_ids = FootnoteIds::new();
    for node in row.descendants().skip(1).filter(Node::is_element) {
        if node.tag_name().name() == "footnoteId" {
            footnotes::record(&mut footnote_ids, node, row, kind, place)?;
        } else {
            fields.offer(node, ROW_FIELDS)?;
        }
    }
    Ok(Row { fields, footnote_ids })
}

fn non_derivative_transaction(row: Row) -> Result<NonDerivativeTransaction, ParseError> {
    let Row { fields: f, footnote_ids } = row;
    Ok(NonDerivativeTransaction {
        security_title: f.text("securityTitle"),
        transaction_date: f.date("transactionDate")?,
        deemed_execution_date: f.date("deemedExecutionDate")?,
        transaction_form_type: f.text("transactionFormType"),
        transaction_code: f.text("transactionCode"),
        equity_swap_involved: f.boolean("equitySwapInvolved")?,
        transaction_timeliness: f.text("transactionTimeliness"),
        shares: f.number("transactionShares")?,
        price_per_share: f.number("transactionPricePerShare")?,
        acquired_disposed_code: f.text("transactionAcquiredDisposedCode"),
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids,
    })
}

fn non_derivative_holding(row: Row) -> Result<NonDerivativeHolding, ParseError> {
    let Row { fields: f, footnote_ids } = row;
    Ok(NonDerivativeHolding {
        security_title: f.text("securityTitle"),
        transaction_form_type: f.text("transactionFormType"),
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids,
    })
}

fn derivative_transaction(row: Row) -> Result<DerivativeTransaction, ParseError> {
    let Row { fields: f, footnote_ids } = row;
    Ok(DerivativeTransaction {
        security_title: f.text("securityTitle"),
        conversion_or_exercise_price: f.number("conversionOrExercisePrice")?,
        transaction_date: f.date("transactionDate")?,
        deemed_execution_date: f.date("deemedExecutionDate")?,
        transaction_form_type: f.text("transactionFormType"),
        transaction_code: f.text("transactionCode"),
        equity_swap_involved: f.boolean("equitySwapInvolved")?,
        transaction_timeliness: f.text("transactionTimeliness"),
        shares: f.number("transactionShares")?,
        total_value: f.number("transactionTotalValue")?,
        price_per_share: f.number("transactionPricePerShare")?,
        acquired_disposed_code: f.text("transactionAcquiredDisposedCode"),
        exercise_date: f.date("exerciseDate")?,
        expiration_date: f.date("expirationDate")?,
        underlying_security_title: f.text("underlyingSecurityTitle"),
        underlying_security_shares: f.number("underlyingSecurityShares")?,
        underlying_security_value: f.number("underlyingSecurityValue")?,
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids,
    })
}

fn derivative_holding(row: Row) -> Result<DerivativeHolding, ParseError> {
    let Row { fields: f, footnote_ids } = row;
    Ok(DerivativeHolding {
        security_title: f.text("securityTitle"),
        conversion_or_exercise_price: f.number("conversionOrExercisePrice")?,
        transaction_form_type: f.text("transactionFormType"),
        exercise_date: f.date("exerciseDate")?,
        expiration_date: f.date("expirationDate")?,
        underlying_security_title: f.text("underlyingSecurityTitle"),
        underlying_security_shares: f.number("underlyingSecurityShares")?,
        underlying_security_value: f.number("underlyingSecurityValue")?,
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids,
    })
}
