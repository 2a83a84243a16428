//! The four tables of a filing and the footnotes their fields point to.

use insider_bulk_core::domain::{Flag, FormType};
use insider_bulk_core::filing::{
    DerivativeHolding, DerivativeTransaction, Footnote, FootnoteIds, NonDerivativeHolding, NonDerivativeTransaction,
};
use rand::Rng;
use time::Date;

use super::dist::{add_days, between_quartiles, lognormal, normal, round, Pick, Rng8};
use super::params::*;
use super::pool::Issuer;
use super::spec::Spec;
use super::vocab::{footnote_text, DerivKind, LINKS_DH, LINKS_DT, LINKS_NDH, LINKS_NDT};

/// A field that already has a footnote in this filing points to it again
/// this often instead of getting a new one (one "weighted average price"
/// note for every sale row). Tuned so that filings with derivative rows
/// reach footnote ~3.8 on average (DS: highest footnote id referenced, 3.7).
const NOTE_REUSE: f64 = 0.65;

#[derive(Default)]
pub struct Tables {
    pub no_securities: bool,
    pub ndt: Vec<NonDerivativeTransaction>,
    pub ndh: Vec<NonDerivativeHolding>,
    pub dt: Vec<DerivativeTransaction>,
    pub dh: Vec<DerivativeHolding>,
    pub footnotes: Vec<Footnote>,
}

struct Ctx<'a> {
    spec: &'a Spec,
    issuer: &'a Issuer,
    period: Date,
    notes: Vec<Footnote>,
    last_note: Vec<(&'static str, usize)>,
}

pub fn tables(spec: &Spec, issuer: &Issuer, period: Date, r: &mut Rng8) -> Tables {
    let form = spec.form;
    if form == FormType::Form3 && r.random_bool(F3_NO_SECURITIES) {
        return Tables { no_securities: true, ..Tables::default() };
    }
    let (has_dt, has_ndh, has_dh) = spec.tables.pick(r);
    let has_ndt = match form {
        FormType::Form3 => false,
        FormType::Form4 => !has_dt || r.random_bool(F4_NONDERIV_WITH_DERIV),
        FormType::Form5 => !(has_dt || has_ndh || has_dh) || r.random_bool(F5_NONDERIV_WITH_OTHERS),
    };
    let mut c = Ctx { spec, issuer, period, notes: Vec::new(), last_note: Vec::new() };
    let count = |has: bool, pick: &Pick<usize>, r: &mut Rng8| if has { pick.pick(r) } else { 0 };
    let n_ndt = count(has_ndt, &spec.rows_ndt, r);
    let mut code = None;
    let ndt: Vec<_> = (0..n_ndt).map(|_| c.nonderiv_transaction(r, &mut code)).collect();
    let n_ndh = count(has_ndh, &spec.rows_ndh, r);
    let ndh: Vec<_> = (0..n_ndh).map(|_| c.nonderiv_holding(r)).collect();
    let (n_dt, mut code, mut title) = (count(has_dt, &spec.rows_dt, r), None, None);
    let dt: Vec<_> = (0..n_dt).map(|_| c.deriv_transaction(r, &mut code, &mut title)).collect();
    let n_dh = count(has_dh, &spec.rows_dh, r);
    let dh: Vec<_> = (0..n_dh).map(|_| c.deriv_holding(r)).collect();
    let mut t = Tables { no_securities: false, ndt, ndh, dt, dh, footnotes: c.notes };
    if form == FormType::Form5 {
        mark_form5_types(&mut t, r);
    }
    t
}

/// Form 5 rows are of form type 5, but it also reports late Form 4
/// transactions and holdings carried from Form 3 (which EDGAR then flags as
/// form4TransactionsReported / form3HoldingsReported).
fn mark_form5_types(t: &mut Tables, r: &mut Rng8) {
    let has_transaction = !(t.ndt.is_empty() && t.dt.is_empty());
    if has_transaction && r.random_bool(F5_TRANSACTION_TYPE_4) {
        let four = Some("4".to_owned());
        match t.ndt.first_mut() {
            Some(row) => row.transaction_form_type = four,
            None => t.dt[0].transaction_form_type = four,
        }
    }
    let has_holding = !(t.ndh.is_empty() && t.dh.is_empty());
    if has_holding && r.random_bool(F5_HOLDING_TYPE_3) {
        let three = Some("3".to_owned());
        match t.ndh.first_mut() {
            Some(row) => row.transaction_form_type = three,
            None => t.dh[0].transaction_form_type = three,
        }
    }
}

/// Keeps the previous row's value most of the time. The per-row mix stays
/// that of `pick`: P(c) = REPEAT * P(c) + (1 - REPEAT) * P(c).
fn sticky<T: Copy>(prev: &mut Option<T>, pick: &Pick<T>, r: &mut Rng8) -> T {
    let value = match *prev {
        Some(v) if r.random_bool(CODE_REPEAT) => v,
        _ => pick.pick(r),
    };
    *prev = Some(value);
    value
}

fn acquired_disposed(derivative: bool, code: &str, r: &mut Rng8) -> String {
    if r.random_bool(acquired_share(derivative, code)) { "A" } else { "D" }.to_owned()
}

impl Ctx<'_> {
    /// Attaches footnotes to the fields of one row at the measured rates.
    fn link(&mut self, r: &mut Rng8, links: &[(&'static str, f64)]) -> FootnoteIds {
        let mut ids = FootnoteIds::new();
        for &(field, p) in links {
            if !r.random_bool(p) {
                continue;
            }
            let n = self.spec.ids_per_link.pick(r);
            let mut list = Vec::with_capacity(n);
            for j in 0..n {
                // A note already made for this field, else the latest one (one
                // note often covers several fields: "vests ... expires ...").
                let same_field = self.last_note.iter().find(|(f, _)| *f == field).map(|&(_, i)| i);
                let reusable = same_field.or(self.notes.len().checked_sub(1));
                let index = match reusable {
                    Some(i) if j == 0 && r.random_bool(NOTE_REUSE) => i,
                    _ => {
                        self.notes.push(Footnote {
                            id: format!("F{}", self.notes.len() + 1),
                            text: footnote_text(field).to_owned(),
                        });
                        self.last_note.retain(|(f, _)| *f != field);
                        self.last_note.push((field, self.notes.len() - 1));
                        self.notes.len() - 1
                    }
                };
                list.push(self.notes[index].id.clone());
            }
            ids.insert(field.to_owned(), list);
        }
        ids
    }

    fn transaction_date(&self, r: &mut Rng8) -> Date {
        match self.spec.form {
            // Form 5 reports the fiscal year that ends on the period.
            FormType::Form5 => add_days(self.period, -r.random_range(0..365)),
            _ if r.random_bool(TRANSACTION_BEFORE_PERIOD) => add_days(self.period, -r.random_range(1..=4)),
            _ => self.period,
        }
    }

    fn form_type(&self, r: &mut Rng8, derivative: bool) -> String {
        match self.spec.form {
            FormType::Form5 => "5",
            _ if derivative && r.random_bool(F4_FORM_TYPE_5) => "5",
            _ => "4",
        }
        .to_owned()
    }

    fn shares(&self, r: &mut Rng8, ln: (f64, f64)) -> f64 {
        round(lognormal(r, ln, 1.0, 5e8), self.spec.share_decimals.pick(r))
    }

    fn price(&self, r: &mut Rng8, derivative: bool, code: &str) -> f64 {
        if r.random_bool(zero_price_share(derivative, code)) {
            return 0.0;
        }
        let p = (self.issuer.price * (1.0 + 0.02 * normal(r))).max(0.01);
        let rounded = round(p, self.spec.price_decimals.pick(r));
        if rounded > 0.0 {
            rounded
        } else {
            round(p, 2).max(0.01)
        }
    }

    fn ownership(&self, r: &mut Rng8, indirect_share: f64) -> (Option<String>, Option<String>) {
        if !r.random_bool(indirect_share) {
            return (Some("D".to_owned()), None);
        }
        let nature = r.random_bool(NATURE_PRESENT).then(|| self.spec.natures.pick(r).to_owned());
        (Some("I".to_owned()), nature)
    }

    fn nonderiv_transaction(&mut self, r: &mut Rng8, code: &mut Option<&'static str>) -> NonDerivativeTransaction {
        let c = sticky(code, &self.spec.codes_ndt, r);
        let shares = self.shares(r, LN_SHARES);
        let ad = acquired_disposed(false, c, r);
        let after = lognormal(r, LN_OWNED_AFTER_TRANSACTION, 0.0, 5e9);
        let after = round(if ad == "A" { after + shares } else { after }, 2);
        let (di, nature) = self.ownership(r, INDIRECT_NDT);
        NonDerivativeTransaction {
            security_title: Some(self.issuer.common_title.to_owned()),
            transaction_date: Some(self.transaction_date(r)),
            transaction_form_type: Some(self.form_type(r, false)),
            transaction_code: Some(c.to_owned()),
            equity_swap_involved: Some(Flag::digit(r.random_bool(EQUITY_SWAP))),
            shares: Some(shares),
            price_per_share: Some(self.price(r, false, c)),
            acquired_disposed_code: Some(ad),
            shares_owned_following_transaction: Some(after),
            direct_or_indirect_ownership: di,
            nature_of_ownership: nature,
            footnote_ids: self.link(r, LINKS_NDT),
            ..Default::default()
        }
    }

    fn nonderiv_holding(&mut self, r: &mut Rng8) -> NonDerivativeHolding {
        let (di, nature) = self.ownership(r, INDIRECT_NDH);
        NonDerivativeHolding {
            security_title: Some(self.issuer.common_title.to_owned()),
            transaction_form_type: None,
            shares_owned_following_transaction: Some(self.shares(r, LN_HOLDING)),
            value_owned_following_transaction: None,
            direct_or_indirect_ownership: di,
            nature_of_ownership: nature,
            footnote_ids: self.link(r, LINKS_NDH),
        }
    }

    /// Exercise price and (exercisable, expiration) dates of a derivative
    /// security granted around `date`.
    fn terms(&self, r: &mut Rng8, kind: DerivKind, date: Date) -> (Option<f64>, Option<Date>, Option<Date>) {
        match kind {
            DerivKind::Option => {
                let price = round(lognormal(r, LN_EXERCISE_PRICE, 0.01, 2000.0), 2);
                let years = between_quartiles(r, 0.25, EXPIRY_YEARS_QUARTILES);
                let expiry = add_days(date, (years * 365.25) as i64 + 1);
                let exercisable =
                    r.random_bool(0.4).then(|| add_days(date, (years * 365.25 * r.random::<f64>()) as i64));
                (Some(price), exercisable, Some(expiry))
            }
            DerivKind::Unit => (r.random_bool(0.3).then_some(0.0), None, None),
            DerivKind::Convertible => (None, None, None),
        }
    }

    fn deriv_transaction(
        &mut self,
        r: &mut Rng8,
        code: &mut Option<&'static str>,
        title: &mut Option<(&'static str, DerivKind)>,
    ) -> DerivativeTransaction {
        let c = sticky(code, &self.spec.codes_dt, r);
        let (name, kind) = sticky(title, &self.spec.deriv_titles, r);
        let date = self.transaction_date(r);
        let (exercise_price, exercisable, expiry) = self.terms(r, kind, date);
        let shares = self.shares(r, LN_SHARES);
        let after = if r.random_bool(DT_NOTHING_LEFT) { 0.0 } else { self.shares(r, LN_OWNED_AFTER_TRANSACTION) };
        let (di, nature) = self.ownership(r, INDIRECT_DT);
        DerivativeTransaction {
            security_title: Some(name.to_owned()),
            conversion_or_exercise_price: exercise_price,
            transaction_date: Some(date),
            deemed_execution_date: r.random_bool(DEEMED_EXECUTION).then_some(date),
            transaction_form_type: Some(self.form_type(r, true)),
            transaction_code: Some(c.to_owned()),
            equity_swap_involved: Some(Flag::digit(r.random_bool(EQUITY_SWAP))),
            transaction_timeliness: r.random_bool(TIMELINESS_EARLY).then(|| "E".to_owned()),
            shares: Some(shares),
            total_value: None,
            price_per_share: Some(self.price(r, true, c)),
            acquired_disposed_code: Some(acquired_disposed(true, c, r)),
            exercise_date: exercisable,
            expiration_date: expiry,
            underlying_security_title: Some(self.issuer.common_title.to_owned()),
            underlying_security_shares: Some(shares),
            underlying_security_value: None,
            shares_owned_following_transaction: Some(after),
            value_owned_following_transaction: None,
            direct_or_indirect_ownership: di,
            nature_of_ownership: nature,
            footnote_ids: self.link(r, LINKS_DT),
        }
    }

    fn deriv_holding(&mut self, r: &mut Rng8) -> DerivativeHolding {
        let (name, kind) = self.spec.deriv_titles.pick(r);
        let granted = add_days(self.period, -r.random_range(0..1500));
        let (exercise_price, exercisable, expiry) = self.terms(r, kind, granted);
        let underlying = self.shares(r, LN_DERIV_HOLDING_UNDERLYING);
        let (di, nature) = self.ownership(r, INDIRECT_DH);
        DerivativeHolding {
            security_title: Some(name.to_owned()),
            conversion_or_exercise_price: exercise_price,
            transaction_form_type: None,
            exercise_date: exercisable,
            expiration_date: expiry,
            underlying_security_title: Some(self.issuer.common_title.to_owned()),
            underlying_security_shares: Some(underlying),
            underlying_security_value: None,
            shares_owned_following_transaction: r.random_bool(DH_OWNED_PRESENT).then_some(underlying),
            value_owned_following_transaction: None,
            direct_or_indirect_ownership: di,
            nature_of_ownership: nature,
            footnote_ids: self.link(r, LINKS_DH),
        }
    }
}
