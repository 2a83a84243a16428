//! A filing's rows as the tables hold them. The model's structs are the
//! rows (`crate::filing`); this adds what only the database has: each child
//! row's key (accession, position in the document) and the filing's
//! bookkeeping columns, and groups rows read back under their filing.

mod copy;

use diesel::dsl;
use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::*;
use crate::domain::{AccessionNumber, Cik, FormType, Month};
use crate::filing::*;

pub(crate) use copy::copy_rows;

/// The filings row: the submission and what the loader derived from it
/// (what only the database keeps). Tuples of column assignments and rows
/// are what diesel inserts in batches; borrowing keeps a batch of thousands
/// of filings from being cloned to be inserted.
pub type NewFiling<'a> = (
    &'a Submission,
    dsl::Eq<filings::form_type, FormType>,
    dsl::Eq<filings::filing_month, Option<Month>>,
    dsl::Eq<filings::first_owner_cik, Option<&'a Cik>>,
    dsl::Eq<filings::content_sha256, &'a str>,
    dsl::Eq<filings::row_count, i32>,
    dsl::Eq<filings::loaded_from, &'a str>,
    dsl::Eq<filings::loaded_at, PrimitiveDateTime>,
    dsl::Eq<filings::first_seen_at, Option<PrimitiveDateTime>>,
);

/// A child row with its key: the filing's accession and the row's position
/// in the document, so that the order is kept.
macro_rules! keyed_row {
    ($name:ident, $table:ident, $row:ty) => {
        pub type $name<'a> =
            (dsl::Eq<$table::accession_number, &'a AccessionNumber>, dsl::Eq<$table::seq, i32>, &'a $row);
    };
}

keyed_row!(KeyedOwner, reporting_owners, ReportingOwner);
keyed_row!(KeyedNonDerivativeTransaction, non_derivative_transactions, NonDerivativeTransaction);
keyed_row!(KeyedNonDerivativeHolding, non_derivative_holdings, NonDerivativeHolding);
keyed_row!(KeyedDerivativeTransaction, derivative_transactions, DerivativeTransaction);
keyed_row!(KeyedDerivativeHolding, derivative_holdings, DerivativeHolding);
keyed_row!(KeyedFootnote, footnotes, Footnote);
keyed_row!(KeyedSignature, owner_signatures, OwnerSignature);

/// Every row of a batch of filings, borrowed from them, ready to insert.
#[derive(Default)]
pub struct FilingRows<'a> {
    pub filings: Vec<NewFiling<'a>>,
    pub owners: Vec<KeyedOwner<'a>>,
    pub non_derivative_transactions: Vec<KeyedNonDerivativeTransaction<'a>>,
    pub non_derivative_holdings: Vec<KeyedNonDerivativeHolding<'a>>,
    pub derivative_transactions: Vec<KeyedDerivativeTransaction<'a>>,
    pub derivative_holdings: Vec<KeyedDerivativeHolding<'a>>,
    pub footnotes: Vec<KeyedFootnote<'a>>,
    pub signatures: Vec<KeyedSignature<'a>>,
}

fn seq(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

macro_rules! push_keyed {
    ($into:expr, $table:ident, $acc:expr, $rows:expr) => {
        $into.extend(
            $rows.iter().enumerate().map(|(i, row)| ($table::accession_number.eq($acc), $table::seq.eq(seq(i)), row)),
        )
    };
}

impl<'a> FilingRows<'a> {
    /// Appends one filing's rows. `content_sha256` is passed in because the
    /// caller already computed it to decide whether anything changed;
    /// `first_seen_at` is `now` for a new filing and the stored one's for a
    /// replaced filing.
    pub fn push(
        &mut self,
        f: &'a Filing,
        content_sha256: &'a str,
        loaded_from: &'a str,
        now: PrimitiveDateTime,
        first_seen_at: Option<PrimitiveDateTime>,
    ) {
        let acc = &f.submission.accession_number;
        self.filings.push((
            &f.submission,
            filings::form_type.eq(f.submission.document_type.form_type),
            filings::filing_month.eq(f.month()),
            filings::first_owner_cik.eq(f.reporting_owners.first().map(|o| &o.cik)),
            filings::content_sha256.eq(content_sha256),
            filings::row_count.eq(seq(f.row_count())),
            filings::loaded_from.eq(loaded_from),
            filings::loaded_at.eq(now),
            filings::first_seen_at.eq(first_seen_at),
        ));
        push_keyed!(self.owners, reporting_owners, acc, f.reporting_owners);
        push_keyed!(self.non_derivative_transactions, non_derivative_transactions, acc, f.non_derivative_transactions);
        push_keyed!(self.non_derivative_holdings, non_derivative_holdings, acc, f.non_derivative_holdings);
        push_keyed!(self.derivative_transactions, derivative_transactions, acc, f.derivative_transactions);
        push_keyed!(self.derivative_holdings, derivative_holdings, acc, f.derivative_holdings);
        push_keyed!(self.footnotes, footnotes, acc, f.footnotes);
        push_keyed!(self.signatures, owner_signatures, acc, f.owner_signatures);
    }
}

/// Child rows read back, each with its filing's accession, ordered by
/// (accession, seq).
pub type Children<R> = Vec<(AccessionNumber, R)>;

/// Rows of a page of filings as read from the database.
pub struct ReadRows {
    pub submissions: Vec<Submission>,
    pub owners: Children<ReportingOwner>,
    pub non_derivative_transactions: Children<NonDerivativeTransaction>,
    pub non_derivative_holdings: Children<NonDerivativeHolding>,
    pub derivative_transactions: Children<DerivativeTransaction>,
    pub derivative_holdings: Children<DerivativeHolding>,
    pub footnotes: Children<Footnote>,
    pub signatures: Children<OwnerSignature>,
}

/// A table's rows handed out filing by filing. Rows and filings are read
/// in the same accession order (a fixed-width `##########-##-######`
/// sorts alike in every collation), so a filing's rows are the next run:
/// no map, no hashing, each row moved once into a vector of its run's size.
struct Runs<R> {
    rows: std::vec::IntoIter<(AccessionNumber, R)>,
}

impl<R> Runs<R> {
    fn new(rows: Children<R>) -> Self {
        Runs { rows: rows.into_iter() }
    }

    /// The rows of `acc`, the filing after the previous call's.
    fn take(&mut self, acc: &AccessionNumber) -> Vec<R> {
        let run = self.rows.as_slice().iter().take_while(|(a, _)| a == acc).count();
        self.rows.by_ref().take(run).map(|(_, row)| row).collect()
    }

    fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }
}

impl ReadRows {
    /// The filings, in the order of `submissions`; an error, never a
    /// filing short of rows, if a table's rows came in another order.
    pub fn assemble(self) -> Result<Vec<Filing>, crate::db::DbError> {
        let mut owners = Runs::new(self.owners);
        let mut ndt = Runs::new(self.non_derivative_transactions);
        let mut ndh = Runs::new(self.non_derivative_holdings);
        let mut dt = Runs::new(self.derivative_transactions);
        let mut dh = Runs::new(self.derivative_holdings);
        let mut notes = Runs::new(self.footnotes);
        let mut sigs = Runs::new(self.signatures);
        let filings: Vec<Filing> = self
            .submissions
            .into_iter()
            .map(|submission| {
                let acc = &submission.accession_number;
                Filing {
                    reporting_owners: owners.take(acc),
                    non_derivative_transactions: ndt.take(acc),
                    non_derivative_holdings: ndh.take(acc),
                    derivative_transactions: dt.take(acc),
                    derivative_holdings: dh.take(acc),
                    footnotes: notes.take(acc),
                    owner_signatures: sigs.take(acc),
                    submission,
                }
            })
            .collect();
        let all_taken = [owners.is_empty(), ndt.is_empty(), ndh.is_empty(), dt.is_empty()]
            .into_iter()
            .chain([dh.is_empty(), notes.is_empty(), sigs.is_empty()])
            .all(|taken| taken);
        if !all_taken {
            return Err(crate::db::DbError::Corrupt("a page's child rows came out of their filings' order".into()));
        }
        Ok(filings)
    }
}
