//! The measured proportions of one form family, as ready-built choices.

use insider_bulk_core::domain::FormType;

use super::dist::Pick;
use super::params::*;
use super::vocab::*;

pub struct Spec {
    pub form: FormType,
    pub amendment_share: f64,
    pub amend_lag_quartiles: [f64; 3],
    pub owners: Pick<usize>,
    pub lag: Pick<(i64, i64)>,
    /// Weight of each weekday for the period of report; Form 5 periods are
    /// fiscal year ends instead.
    pub weekdays: Option<[u32; 7]>,
    /// (derivative transactions, non-derivative holdings, derivative holdings).
    pub tables: Pick<(bool, bool, bool)>,
    pub rows_ndt: Pick<usize>,
    pub rows_dt: Pick<usize>,
    pub rows_ndh: Pick<usize>,
    pub rows_dh: Pick<usize>,
    pub codes_ndt: Pick<&'static str>,
    pub codes_dt: Pick<&'static str>,
    pub not_subject: Option<Pick<Option<bool>>>,
    pub remarks_share: f64,
    pub remarks: Pick<&'static str>,
    pub share_decimals: Pick<u32>,
    pub price_decimals: Pick<u32>,
    pub deriv_titles: Pick<(&'static str, DerivKind)>,
    pub natures: Pick<&'static str>,
    pub ids_per_link: Pick<usize>,
}

impl Spec {
    pub fn new(form: FormType) -> Self {
        let f = match form {
            FormType::Form3 => 0,
            FormType::Form4 => 1,
            FormType::Form5 => 2,
        };
        let not_subject = |w: [u32; 3]| Pick::counted(&[(None, w[0]), (Some(false), w[1]), (Some(true), w[2])]);
        let lag =
            |b: &[(i64, i64, u32)]| Pick::counted(&b.iter().map(|&(lo, hi, w)| ((lo, hi), w)).collect::<Vec<_>>());
        let (codes_ndt, codes_dt) = match form {
            FormType::Form5 => (Pick::counted(CODES_NDT_F5), Pick::counted(CODES_DT_F5)),
            _ => (Pick::counted(CODES_NDT_F4), Pick::counted(CODES_DT_F4)),
        };
        Spec {
            form,
            amendment_share: AMENDMENT_SHARE[f],
            amend_lag_quartiles: AMEND_LAG_QUARTILES[f].map(|d| d as f64),
            owners: Pick::counted(if form == FormType::Form3 { OWNERS_F3 } else { OWNERS_F4 }),
            lag: lag([LAG_F3, LAG_F4, LAG_F5][f]),
            weekdays: [Some(PERIOD_WEEKDAY_F3), Some(PERIOD_WEEKDAY_F4), None][f],
            tables: Pick::counted([TABLES_F3, TABLES_F4, TABLES_F5][f]),
            rows_ndt: Pick::rows(ROWS_DT_F4),
            rows_dt: Pick::rows(ROWS_DT_F4),
            rows_ndh: Pick::rows([ROWS_NDH_F3, ROWS_NDH_F4, ROWS_NDH_F5][f]),
            rows_dh: Pick::rows([ROWS_DH_F3, ROWS_DH_F4, ROWS_DH_F5][f]),
            codes_ndt,
            codes_dt,
            not_subject: match form {
                FormType::Form3 => None,
                FormType::Form4 => Some(not_subject(NOT_SUBJECT_F4)),
                FormType::Form5 => Some(not_subject(NOT_SUBJECT_F5)),
            },
            remarks_share: REMARKS_SHARE[f],
            remarks: Pick::counted(REMARKS),
            share_decimals: Pick::counted(SHARE_DECIMALS),
            price_decimals: Pick::counted(PRICE_DECIMALS),
            deriv_titles: Pick::counted(DERIV_TITLES),
            natures: Pick::counted(NATURES),
            ids_per_link: Pick::rows(IDS_PER_LINK),
        }
    }
}
