//! Proportions measured once from the real data in `shared/fixtures/edgar/`
//! (see docs/SYNTH.md). Weights are the raw counts where a count exists, so
//! each figure can be checked against its source. Sources, by tag:
//! - `DS`: SEC Insider Transactions data set 2024 Q3 (SUBMISSION, DERIV_TRANS,
//!   NONDERIV_HOLDING, DERIV_HOLDING .tsv; 36,075 filings).
//! - `IDX`: EDGAR daily form index of 2020-03-18 (974 Form 4 filings; one
//!   row per issuer and per reporting owner).
//! - `XML`: the real ownership documents in the fixtures (31 filings, SEC
//!   specimens excluded). Small and skewed towards famous issuers: used only
//!   where the data set table is missing (NONDERIV_TRANS, REPORTINGOWNER,
//!   FOOTNOTES and OWNER_SIGNATURE are not in the fixtures).

/// Amendments (`n/A`) per filing of a family. DS: 87/2953, 520/33050, 10/72.
pub const AMENDMENT_SHARE: [f64; 3] = [87.0 / 2953.0, 520.0 / 33050.0, 10.0 / 72.0];

/// Reporting owners per filing. IDX: rows per accession minus the issuer row.
/// Form 5 has no filing in that index and borrows Form 4's.
pub const OWNERS_F3: &[(usize, u32)] = &[(1, 43), (2, 1)];
pub const OWNERS_F4: &[(usize, u32)] = &[(1, 944), (2, 11), (3, 6), (4, 3), (6, 6), (7, 1), (8, 1), (9, 1), (10, 1)];

/// Business days from period of report to filing date of an original, as
/// (from, to, count per 10,000). DS.
pub const LAG_F3: &[(i64, i64, u32)] = &[
    (0, 0, 2599),
    (1, 1, 1169),
    (2, 2, 1448),
    (3, 3, 593),
    (4, 4, 782),
    (5, 5, 541),
    (6, 10, 2142),
    (11, 30, 377),
    (31, 90, 119),
    (91, 250, 230),
];
pub const LAG_F4: &[(i64, i64, u32)] = &[
    (0, 0, 656),
    (1, 1, 2934),
    (2, 2, 5451),
    (3, 3, 491),
    (4, 4, 69),
    (5, 5, 35),
    (6, 10, 89),
    (11, 30, 120),
    (31, 90, 81),
    (91, 250, 74),
];
pub const LAG_F5: &[(i64, i64, u32)] =
    &[(0, 0, 323), (2, 2, 645), (5, 5, 161), (11, 30, 6290), (31, 90, 1290), (91, 250, 1290)];

/// Calendar days from the original's filing date to its amendment's,
/// quartiles (DS: FILING_DATE - DATE_OF_ORIG_SUB of n/A filings).
pub const AMEND_LAG_QUARTILES: [[i64; 3]; 3] = [[4, 75, 166], [5, 26, 120], [197, 204, 342]];

/// Weekday of the period of report, Monday first. DS.
pub const PERIOD_WEEKDAY_F3: [u32; 7] = [794, 541, 494, 655, 343, 21, 105];
pub const PERIOD_WEEKDAY_F4: [u32; 7] = [7663, 5451, 4764, 6199, 6716, 580, 1677];
/// Form 5 periods are fiscal year ends: on a month's last day in 51 of 72. DS.
pub const F5_PERIOD_MONTH_END: f64 = 51.0 / 72.0;

/// Form 3 with `noSecuritiesOwned` = 1 (and so no table at all). DS: 1461/2953.
pub const F3_NO_SECURITIES: f64 = 1461.0 / 2953.0;
/// `notSubjectToSection16` as (None, Some(false), Some(true)). DS.
pub const NOT_SUBJECT_F4: [u32; 3] = [14538, 16220 + 1469, 566 + 257];
pub const NOT_SUBJECT_F5: [u32; 3] = [23, 40, 9];
/// `aff10b5One` true among the X0508 Form 4 documents. XML: 1 of 9.
pub const AFF10B5_ONE_TRUE: f64 = 1.0 / 9.0;
/// Filings with remarks, per family. DS: 1379/2953, 2678/33050, 9/72.
pub const REMARKS_SHARE: [f64; 3] = [0.467, 0.081, 0.125];

/// Which of (derivative transactions, non-derivative holdings, derivative
/// holdings) a filing has, as counts of filings. DS.
pub const TABLES_F3: &[((bool, bool, bool), u32)] =
    &[((false, true, false), 912), ((false, true, true), 358), ((false, false, true), 222)];
pub const TABLES_F4: &[((bool, bool, bool), u32)] = &[
    ((false, false, false), 15668),
    ((true, false, false), 8992),
    ((false, true, false), 5042),
    ((true, true, false), 1766),
    ((true, true, true), 451),
    ((false, true, true), 450),
    ((false, false, true), 367),
    ((true, false, true), 314),
];
pub const TABLES_F5: &[((bool, bool, bool), u32)] = &[
    ((false, true, false), 44),
    ((false, false, false), 19),
    ((false, true, true), 5),
    ((false, false, true), 2),
    ((true, false, false), 1),
    ((true, true, false), 1),
];
/// A Form 4 with derivative transactions also has non-derivative ones. XML: 13/14.
/// Without derivative transactions a Form 4 always has some (it must report one).
pub const F4_NONDERIV_WITH_DERIV: f64 = 13.0 / 14.0;
/// A Form 5 that has other rows also has non-derivative transactions. DS:
/// FORM4_TRANS_REPORTED = 1 in 13/72 Form 5s, a lower bound for that share.
pub const F5_NONDERIV_WITH_OTHERS: f64 = 13.0 / 72.0;
/// A Form 5 holding with transactionFormType 3 (DS: FORM3_HOLDINGS_REPORTED 6
/// of 52 Form 5s with holdings); a Form 5 transaction of type 4 (DS:
/// FORM4_TRANS_REPORTED 13 of 72, over the ~40% of Form 5s that have one).
pub const F5_HOLDING_TYPE_3: f64 = 6.0 / 52.0;
pub const F5_TRANSACTION_TYPE_4: f64 = 0.45;

/// Rows per table per filing: filings with 1, 2, 3, ... rows. DS. Non-derivative
/// transactions borrow the Form 4 derivative-transaction shape (no
/// NONDERIV_TRANS in the fixtures).
pub const ROWS_DT_F4: &[u32] =
    &[8162, 1850, 685, 331, 183, 96, 40, 41, 32, 33, 15, 15, 3, 8, 7, 4, 4, 4, 2, 2, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2];
pub const ROWS_NDH_F3: &[u32] = &[1060, 147, 34, 12, 8, 3, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
pub const ROWS_NDH_F4: &[u32] =
    &[4421, 1456, 734, 387, 204, 173, 108, 63, 36, 74, 15, 14, 5, 2, 1, 7, 1, 2, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1];
pub const ROWS_NDH_F5: &[u32] = &[35, 11, 2, 0, 1, 1];
pub const ROWS_DH_F3: &[u32] =
    &[216, 108, 72, 60, 32, 23, 18, 11, 7, 10, 7, 4, 2, 1, 1, 0, 2, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3];
pub const ROWS_DH_F4: &[u32] = &[511, 215, 218, 171, 104, 62, 59, 61, 62, 26, 20, 26, 6, 13, 7, 6, 6, 0, 0, 1, 5, 1, 2];
pub const ROWS_DH_F5: &[u32] = &[2, 1, 0, 2, 0, 1, 0, 0, 0, 1];

/// Derivative transaction codes in Form 4 rows. DS.
pub const CODES_DT_F4: &[(&str, u32)] = &[
    ("M", 8513),
    ("A", 7368),
    ("D", 1055),
    ("C", 963),
    ("J", 490),
    ("X", 200),
    ("P", 173),
    ("G", 130),
    ("S", 53),
    ("I", 24),
    ("F", 19),
    ("U", 11),
];
/// Non-derivative codes in Form 4 rows, per 10,000. M, C and X mirror the
/// derivative exercises and conversions (DS: 0.258, 0.029, 0.006 such rows
/// per Form 4 over ~1.61 non-derivative rows); the remaining 81.8% is split
/// by how many XML Form 4s use each code (S 9, P 3, A 3, G 2, F 2, J 2).
pub const CODES_NDT_F4: &[(&str, u32)] =
    &[("S", 3507), ("M", 1602), ("P", 1169), ("A", 1169), ("G", 779), ("F", 779), ("J", 779), ("C", 181), ("X", 38)];
/// Form 5 codes: non-derivative from the XML Form 5 gifts (3 filings) and
/// the DS Form 5 derivative rows (A 1, D 1); derivative from the latter.
pub const CODES_NDT_F5: &[(&str, u32)] = &[("G", 3), ("A", 1), ("D", 1)];
pub const CODES_DT_F5: &[(&str, u32)] = &[("A", 1), ("D", 1)];
/// Consecutive rows of a filing repeat the previous code this often (a sale
/// split over price ranges); the draw keeps the per-row mix above.
pub const CODE_REPEAT: f64 = 0.8;

/// Share of rows with code X that acquire (A, not D). DS derivative rows;
/// XML for the non-derivative ones.
pub fn acquired_share(derivative: bool, code: &str) -> f64 {
    match (derivative, code) {
        (true, "A") => 7338.0 / 7369.0,
        (true, "C") => 38.0 / 963.0,
        (true, "G") => 58.0 / 130.0,
        (true, "I") => 9.0 / 24.0,
        (true, "J") => 224.0 / 490.0,
        (true, "M") => 362.0 / 8513.0,
        (true, "P") => 171.0 / 173.0,
        (true, "X") => 3.0 / 200.0,
        (true, _) => 0.0,
        (false, "P" | "A" | "M" | "C" | "X") => 1.0,
        (false, "G") => 2.0 / 11.0,
        (false, "J") => 3.0 / 5.0,
        (false, _) => 0.0,
    }
}

/// Share of rows with price 0 by code. DS for derivatives, XML otherwise.
pub fn zero_price_share(derivative: bool, code: &str) -> f64 {
    match (derivative, code) {
        (true, "A") => 0.71,
        (true, "M") => 0.877,
        (true, "C") => 0.707,
        (true, "X") => 0.895,
        (true, "G") => 0.946,
        (true, "D") => 0.301,
        (true, "J") => 0.39,
        (true, "S") => 0.038,
        (false, "A" | "M") => 0.75,
        (false, "G" | "C" | "J" | "X") => 1.0,
        (false, "D") => 0.301,
        _ => 0.0,
    }
}

/// Indirect (I) ownership share: DS derivative transactions 1485/19003,
/// non-derivative holdings 13509/17897, derivative holdings 1654/8136; XML
/// non-derivative transactions 0.53 per filing.
pub const INDIRECT_NDT: f64 = 0.53;
pub const INDIRECT_NDH: f64 = 13509.0 / 17897.0;
pub const INDIRECT_DT: f64 = 1485.0 / 19003.0;
pub const INDIRECT_DH: f64 = 1654.0 / 8136.0;
/// An indirect row names the nature of ownership. DS: ~0.92 in every table.
pub const NATURE_PRESENT: f64 = 0.92;

/// Log-normal parameters (mean and sd of ln x) of the amounts. DS.
pub const LN_SHARES: (f64, f64) = (8.397, 2.887);
pub const LN_PRICE: (f64, f64) = (3.559, 2.475);
pub const LN_EXERCISE_PRICE: (f64, f64) = (2.448, 1.912);
pub const LN_OWNED_AFTER_TRANSACTION: (f64, f64) = (9.928, 2.600);
pub const LN_HOLDING: (f64, f64) = (10.259, 3.055);
pub const LN_DERIV_HOLDING_UNDERLYING: (f64, f64) = (10.135, 2.890);
/// Share counts with 0, 1 or 2 decimals. DS: 16959, 257, 1689.
pub const SHARE_DECIMALS: &[(u32, u32)] = &[(0, 16959), (1, 257), (2, 1689)];
/// Non-zero prices with 0, 1 or 2 decimals. DS: 200, 328, 1953.
pub const PRICE_DECIMALS: &[(u32, u32)] = &[(0, 200), (1, 328), (2, 1953)];
/// Derivative rows left with no shares owned afterwards (fully exercised). DS: 0.231.
pub const DT_NOTHING_LEFT: f64 = 0.231;
/// Expiration years after the transaction, quartiles. DS.
pub const EXPIRY_YEARS_QUARTILES: [f64; 3] = [1.49, 4.69, 8.81];
/// Derivative holdings stating the shares owned. DS: 0.754.
pub const DH_OWNED_PRESENT: f64 = 0.754;
/// Transaction date before the period of report (days 1..=4) rather than on it. DS: 0.09.
pub const TRANSACTION_BEFORE_PERIOD: f64 = 0.09;
/// Rare fields. DS derivative rows: deemed execution date 0.5%, timeliness
/// E 125/19003, equity swap 16/19003, Form 4 rows of transaction form type 5 192/19003.
pub const DEEMED_EXECUTION: f64 = 0.005;
pub const TIMELINESS_EARLY: f64 = 125.0 / 19003.0;
pub const EQUITY_SWAP: f64 = 16.0 / 19003.0;
pub const F4_FORM_TYPE_5: f64 = 192.0 / 19003.0;
