//! SEC's "Insider Transactions Data Sets" tables, written back out from
//! normalized filings with SEC's own file names, column names and formats
//! (tab-separated, dates `DD-MON-YYYY`, footnote ids `F1, F2`), so that
//! loaders written for SEC's quarterly sets read a monthly bundle. The
//! columns are defined once, in `columns`.
//!
//! As SEC does, booleans keep the filer's spelling (`0`, `1`, `false`,
//! `true`) and a value holding a double quote is quoted CSV-style.
//! Deviations, on purpose: surrogate keys (`*_SK`) count from 1 within the
//! bundle in accession order, so they are deterministic; FILE_NUMBER is
//! empty for a filing loaded from a bare XML document (only the SEC header
//! carries it).

use std::io::{self, Write};

use time::Date;

use crate::bundle::format::{self, Line};
use insider_bulk_core::filing::{Filing, FootnoteIds};

pub use crate::bundle::columns::TABLES;

/// Writes rows into eight sinks, in the order of `TABLES`.
pub struct SecTables<W: Write> {
    sinks: [W; 8],
    keys: [u64; 4],
    line: Line,
}

const DH: usize = 0;
const DT: usize = 1;
const FN: usize = 2;
const NH: usize = 3;
const NT: usize = 4;
const SIG: usize = 5;
const OWN: usize = 6;
const SUB: usize = 7;

impl<W: Write> SecTables<W> {
    /// Starts each table with SEC's header row.
    pub fn new(mut sinks: [W; 8]) -> io::Result<Self> {
        for (sink, table) in sinks.iter_mut().zip(&TABLES) {
            sink.write_all(table.header().as_bytes())?;
            sink.write_all(b"\n")?;
        }
        Ok(SecTables { sinks, keys: [0; 4], line: Line::default() })
    }

    pub fn into_sinks(self) -> [W; 8] {
        self.sinks
    }

    fn next_key(&mut self, table: usize) -> u64 {
        let slot = match table {
            DH => 0,
            DT => 1,
            NH => 2,
            _ => 3,
        };
        self.keys[slot] += 1;
        self.keys[slot]
    }

    fn emit(&mut self, table: usize) -> io::Result<()> {
        // The header and metadata.json come from TABLES: a row must match.
        debug_assert_eq!(self.line.fields(), TABLES[table].columns.len(), "{}", TABLES[table].file);
        self.line.finish_into(&mut self.sinks[table])
    }

    pub fn write_filing(&mut self, filing: &Filing) -> io::Result<()> {
        let f = &filing.submission;
        let acc = f.accession_number.as_str();
        let l = &mut self.line;
        l.text(acc).date(f.filing_date).date(Some(f.period_of_report)).date(f.date_of_original_submission);
        l.flag(f.no_securities_owned).flag(f.not_subject_to_section16);
        l.flag(f.form3_holdings_reported).flag(f.form4_transactions_reported);
        l.text(&f.document_type.to_string()).text(f.issuer.cik.as_str());
        l.opt(&f.issuer.name).opt(&f.issuer.trading_symbol).opt(&f.remarks);
        self.emit(SUB)?;

        for o in &filing.reporting_owners {
            let l = &mut self.line;
            l.text(acc).text(o.cik.as_str()).opt(&o.name).text(&format::relationship(o));
            l.opt(&o.officer_title).opt(&o.other_text).opt(&o.street1).opt(&o.street2).opt(&o.city);
            l.opt(&o.state).opt(&o.zip_code).opt(&o.state_description).opt(&o.file_number);
            self.emit(OWN)?;
        }
        for t in &filing.non_derivative_transactions {
            let sk = self.next_key(NT);
            let (n, l) = (&t.footnote_ids, &mut self.line);
            l.text(acc).key(sk).opt(&t.security_title).fns(n, &["security_title"]);
            l.date(t.transaction_date).fns(n, &["transaction_date"]);
            l.date(t.deemed_execution_date).fns(n, &["deemed_execution_date"]);
            l.opt(&t.transaction_form_type).opt(&t.transaction_code).flag(t.equity_swap_involved);
            l.fns(n, &["transaction_code", "equity_swap_involved", "transaction_form_type"]);
            l.opt(&t.transaction_timeliness).fns(n, &["transaction_timeliness"]);
            l.num(t.shares).fns(n, &["shares"]).num(t.price_per_share).fns(n, &["price_per_share"]);
            l.opt(&t.acquired_disposed_code).fns(n, &["acquired_disposed_code"]);
            owned_following(l, n, t.shares_owned_following_transaction, t.value_owned_following_transaction);
            ownership(l, n, &t.direct_or_indirect_ownership, &t.nature_of_ownership);
            self.emit(NT)?;
        }
        for h in &filing.non_derivative_holdings {
            let sk = self.next_key(NH);
            let (n, l) = (&h.footnote_ids, &mut self.line);
            l.text(acc).key(sk).opt(&h.security_title).fns(n, &["security_title"]);
            l.opt(&h.transaction_form_type).fns(n, &["transaction_form_type"]);
            owned_following(l, n, h.shares_owned_following_transaction, h.value_owned_following_transaction);
            ownership(l, n, &h.direct_or_indirect_ownership, &h.nature_of_ownership);
            self.emit(NH)?;
        }
        for t in &filing.derivative_transactions {
            let sk = self.next_key(DT);
            let (n, l) = (&t.footnote_ids, &mut self.line);
            l.text(acc).key(sk).opt(&t.security_title).fns(n, &["security_title"]);
            l.num(t.conversion_or_exercise_price).fns(n, &["conversion_or_exercise_price"]);
            l.date(t.transaction_date).fns(n, &["transaction_date"]);
            l.date(t.deemed_execution_date).fns(n, &["deemed_execution_date"]);
            l.opt(&t.transaction_form_type).opt(&t.transaction_code).flag(t.equity_swap_involved);
            l.fns(n, &["transaction_code", "equity_swap_involved", "transaction_form_type"]);
            l.opt(&t.transaction_timeliness).fns(n, &["transaction_timeliness"]);
            l.num(t.shares).fns(n, &["shares"]).num(t.total_value).fns(n, &["total_value"]);
            l.num(t.price_per_share).fns(n, &["price_per_share"]);
            l.opt(&t.acquired_disposed_code).fns(n, &["acquired_disposed_code"]);
            exercise_and_underlying(l, n, t.exercise_date, t.expiration_date);
            underlying(l, n, &t.underlying_security_title, t.underlying_security_shares, t.underlying_security_value);
            owned_following(l, n, t.shares_owned_following_transaction, t.value_owned_following_transaction);
            ownership(l, n, &t.direct_or_indirect_ownership, &t.nature_of_ownership);
            self.emit(DT)?;
        }
        for h in &filing.derivative_holdings {
            let sk = self.next_key(DH);
            let (n, l) = (&h.footnote_ids, &mut self.line);
            l.text(acc).key(sk).opt(&h.security_title).fns(n, &["security_title"]);
            l.num(h.conversion_or_exercise_price).fns(n, &["conversion_or_exercise_price"]);
            l.opt(&h.transaction_form_type).fns(n, &["transaction_form_type"]);
            exercise_and_underlying(l, n, h.exercise_date, h.expiration_date);
            underlying(l, n, &h.underlying_security_title, h.underlying_security_shares, h.underlying_security_value);
            owned_following(l, n, h.shares_owned_following_transaction, h.value_owned_following_transaction);
            ownership(l, n, &h.direct_or_indirect_ownership, &h.nature_of_ownership);
            self.emit(DH)?;
        }
        for note in &filing.footnotes {
            self.line.text(acc).text(&note.id).text(&note.text);
            self.emit(FN)?;
        }
        for s in &filing.owner_signatures {
            self.line.text(acc).text(&s.signature_name).date(s.signature_date);
            self.emit(SIG)?;
        }
        Ok(())
    }
}

fn exercise_and_underlying(l: &mut Line, n: &FootnoteIds, exercise: Option<Date>, expiration: Option<Date>) {
    l.date(exercise).fns(n, &["exercise_date"]).date(expiration).fns(n, &["expiration_date"]);
}

fn underlying(l: &mut Line, n: &FootnoteIds, title: &Option<String>, shares: Option<f64>, value: Option<f64>) {
    l.opt(title).fns(n, &["underlying_security_title"]);
    l.num(shares).fns(n, &["underlying_security_shares"]);
    l.num(value).fns(n, &["underlying_security_value"]);
}

fn owned_following(l: &mut Line, n: &FootnoteIds, shares: Option<f64>, value: Option<f64>) {
    l.num(shares).fns(n, &["shares_owned_following_transaction"]);
    l.num(value).fns(n, &["value_owned_following_transaction"]);
}

fn ownership(l: &mut Line, n: &FootnoteIds, direct: &Option<String>, nature: &Option<String>) {
    l.opt(direct).fns(n, &["direct_or_indirect_ownership"]);
    l.opt(nature).fns(n, &["nature_of_ownership"]);
}
