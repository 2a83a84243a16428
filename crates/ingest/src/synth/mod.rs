//! Synthetic months: deterministic filings with the proportions of SEC's
//! 2024 Q3 insider data set (docs/SYNTH.md), for benchmarks and the sample
//! that a first standalone start loads.
//!
//! Filing `i` is made from its own random streams, derived from (seed, form,
//! month, i), so it needs no other filing's state: the iterator holds no
//! list of filings, and an amendment rebuilds the head of its original (the
//! only part it reuses) from the original's stream.

mod dist;
pub mod params;
mod pool;
mod rows;
mod spec;
mod vocab;

use insider_bulk_core::db::filings::{store_filings, FilingToStore};
use insider_bulk_core::db::{DbConnection, DbError};
use insider_bulk_core::domain::{AccessionNumber, DocumentType, FilingSource, Flag, FormType, Month};
use insider_bulk_core::filing::{Filing, Issuer, OwnerSignature, ReportingOwner, Submission};
use rand::{Rng, SeedableRng};
use time::Date;

use dist::{add_business_days, add_days, between_quartiles, Rng8};
use params::{AFF10B5_ONE_TRUE, F5_PERIOD_MONTH_END};
use pool::{Pool, INSIDERS};
use spec::Spec;

/// The accession sequence has six digits.
pub const MAX_FILINGS: usize = 1_000_000;
/// Seeds below this get accession numbers of their own; larger seeds are
/// hashed into this range (see `run_code`).
pub const DISTINCT_SEEDS: u64 = 2_777_777;
/// Accession filer ids `99########`: EDGAR filer ids are CIKs, all below
/// 3,000,000, so a synthetic accession cannot be a real one.
const FILER_BASE: u64 = 9_900_000_000;
const SCHEMA_VERSION: &str = "X0508";
/// An amendment looks this many times for an earlier original (one that is
/// not an amendment itself) before it becomes an original instead.
const ORIGINAL_TRIES: u32 = 8;

/// Streams of a filing's RNG: which kind it is, its head, its body.
const LANE_KIND: u64 = 0;
const LANE_HEAD: u64 = 1;
const LANE_BODY: u64 = 2;
const LANES: u64 = 4;

/// Deterministic: same (form, month, count, seed) → same filings, same order.
///
/// # Panics
/// If `count` exceeds [`MAX_FILINGS`].
pub fn synth_month(form: FormType, month: Month, count: usize, seed: u64) -> impl Iterator<Item = Filing> {
    assert!(count <= MAX_FILINGS, "synth makes at most {MAX_FILINGS} filings per month, not {count}");
    let generator = Generator::new(form, month, seed);
    (0..count).map(move |i| generator.filing(i))
}

/// Stores [`synth_month`]'s filings, marked as loaded from `loaded_from`, in
/// batches of a thousand: the first-start sample and every test that needs
/// a month of filings in its database load them this one way.
pub fn store_synthetic(
    conn: &mut DbConnection,
    form: FormType,
    month: Month,
    count: usize,
    seed: u64,
    loaded_from: &str,
) -> Result<(), DbError> {
    let mut filings = synth_month(form, month, count, seed).peekable();
    while filings.peek().is_some() {
        let batch: Vec<FilingToStore> = filings
            .by_ref()
            .take(1000)
            .map(|filing| FilingToStore { filing, loaded_from: loaded_from.to_owned() })
            .collect();
        store_filings(conn, &batch)?;
    }
    Ok(())
}

struct Generator {
    month: Month,
    key: [u8; 32],
    run_code: u64,
    spec: Spec,
    pool: Pool,
}

/// What an amendment shares with its original.
struct Head {
    issuer: usize,
    owners: Vec<u64>,
    period: Date,
    filing_date: Date,
    original_filing_date: Option<Date>,
}

/// SplitMix64 finalizer: spreads large seeds over the accession range.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Generator {
    fn new(form: FormType, month: Month, seed: u64) -> Self {
        let mut key = *b"insider-bulk synth ....._____...";
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8] = form.number() as u8;
        key[9..13].copy_from_slice(&month.year().to_le_bytes());
        key[13] = month.month() as u8;
        let seed_slot = if seed < DISTINCT_SEEDS { seed } else { mix(seed) % DISTINCT_SEEDS };
        let form_index = u64::from(form.number() as u8 - 3);
        // 2,777,777 seeds x 3 forms x 12 months < 10^8: the 8 free digits.
        let run_code = (seed_slot * 3 + form_index) * 12 + u64::from(month.month() - 1);
        Generator { month, key, run_code, spec: Spec::new(form), pool: Pool::build() }
    }

    fn rng(&self, index: usize, lane: u64) -> Rng8 {
        let mut r = Rng8::from_seed(self.key);
        r.set_stream(index as u64 * LANES + lane);
        r
    }

    fn accession(&self, index: usize) -> AccessionNumber {
        let year = self.month.year().rem_euclid(100);
        format!("{:010}-{year:02}-{index:06}", FILER_BASE + self.run_code).parse().expect("EDGAR shape")
    }

    /// The first draw of the kind stream; `head` continues that stream.
    fn kind(&self, index: usize) -> (bool, Rng8) {
        let mut r = self.rng(index, LANE_KIND);
        (index > 0 && r.random_bool(self.spec.amendment_share), r)
    }

    fn head(&self, index: usize) -> Head {
        let (amendment, mut r) = self.kind(index);
        if amendment {
            for _ in 0..ORIGINAL_TRIES {
                let j = r.random_range(0..index);
                if !self.kind(j).0 {
                    let original = self.original_head(j);
                    let days = between_quartiles(&mut r, 1.0, self.spec.amend_lag_quartiles) as i64;
                    return Head {
                        // Filed in this month too: a month holds what EDGAR filed in it.
                        filing_date: add_days(original.filing_date, days.max(1)).min(self.last_day()),
                        original_filing_date: Some(original.filing_date),
                        ..original
                    };
                }
            }
        }
        self.original_head(index)
    }

    fn original_head(&self, index: usize) -> Head {
        let r = &mut self.rng(index, LANE_HEAD);
        let issuer = self.pool.pick_issuer(r);
        let co_filers = self.spec.owners.pick(r) as u64 - 1;
        let mut owners = vec![Pool::owner_key(issuer, r.random_range(0..INSIDERS))];
        owners.extend((0..co_filers).map(|m| Pool::owner_key(issuer, INSIDERS + m)));
        let mut period = self.period(r);
        let (lo, hi) = self.spec.lag.pick(r);
        let mut filing_date = add_business_days(period, r.random_range(lo..=hi));
        // A filing of this month: one filed past its end moves back by whole
        // weeks, which keeps both weekdays and the lag, so its period may
        // fall in an earlier month, as a real one's does.
        while filing_date > self.last_day() {
            period = add_days(period, -7);
            filing_date = add_days(filing_date, -7);
        }
        Head { issuer, owners, period, filing_date, original_filing_date: None }
    }

    fn last_day(&self) -> Date {
        let (year, month) = (self.month.year(), time::Month::try_from(self.month.month() as u8).expect("1..=12"));
        Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).expect("last day of the month")
    }

    /// A day of the month: weighted by weekday as measured, or a fiscal
    /// year end for Form 5.
    fn period(&self, r: &mut Rng8) -> Date {
        let (year, month) = (self.month.year(), time::Month::try_from(self.month.month() as u8).expect("1..=12"));
        let days = time::util::days_in_month(month, year);
        let day = |d: u8| Date::from_calendar_date(year, month, d).expect("day of the month");
        match self.spec.weekdays {
            None if r.random_bool(F5_PERIOD_MONTH_END) => day(days),
            None => day(r.random_range(1..=days)),
            Some(weights) => {
                let max = *weights.iter().max().expect("seven weekdays");
                loop {
                    let candidate = day(r.random_range(1..=days));
                    let w = weights[candidate.weekday().number_days_from_monday() as usize];
                    if r.random_range(0..max) < w {
                        return candidate;
                    }
                }
            }
        }
    }

    fn filing(&self, index: usize) -> Filing {
        let head = self.head(index);
        let r = &mut self.rng(index, LANE_BODY);
        let form = self.spec.form;
        let issuer = self.pool.issuer(head.issuer);
        let tables = rows::tables(&self.spec, issuer, head.period, r);
        let owners: Vec<_> = head.owners.iter().map(|&key| self.pool.owner(key)).collect();
        let remarks = r.random_bool(self.spec.remarks_share).then(|| self.spec.remarks.pick(r).to_owned());
        let not_subject = self.spec.not_subject.as_ref().and_then(|pick| pick.pick(r));
        let aff10b5_one = (form != FormType::Form3).then(|| r.random_bool(AFF10B5_ONE_TRUE));
        let form5 = form == FormType::Form5;
        let has_type = |t: &Option<String>, v: &str| t.as_deref() == Some(v);
        let form3_holdings = form5.then(|| {
            tables.ndh.iter().any(|h| has_type(&h.transaction_form_type, "3"))
                || tables.dh.iter().any(|h| has_type(&h.transaction_form_type, "3"))
        });
        let form4_transactions = form5.then(|| {
            tables.ndt.iter().any(|t| has_type(&t.transaction_form_type, "4"))
                || tables.dt.iter().any(|t| has_type(&t.transaction_form_type, "4"))
        });
        // An owner files under the issuer's Exchange Act file number.
        let file_number = format!("001-{:05}", issuer.cik.as_str().parse::<u64>().unwrap_or(0) % 100_000);
        let owner_signatures = owners
            .iter()
            .map(|o| OwnerSignature { signature_name: o.signature.clone(), signature_date: Some(head.filing_date) })
            .collect();
        let reporting_owners =
            owners.into_iter().map(|o| ReportingOwner { file_number: Some(file_number.clone()), ..o.owner }).collect();
        Filing {
            submission: Submission {
                accession_number: self.accession(index),
                document_type: DocumentType { form_type: form, is_amendment: head.original_filing_date.is_some() },
                schema_version: Some(SCHEMA_VERSION.to_owned()),
                period_of_report: head.period,
                filing_date: Some(head.filing_date),
                accepted_at: Some(acceptance_time(head.filing_date, index)),
                date_of_original_submission: head.original_filing_date,
                no_securities_owned: (form == FormType::Form3).then_some(Flag::digit(tables.no_securities)),
                not_subject_to_section16: not_subject.map(Flag::digit),
                form3_holdings_reported: form3_holdings.map(Flag::digit),
                form4_transactions_reported: form4_transactions.map(Flag::digit),
                aff10b5_one: aff10b5_one.map(Flag::digit),
                issuer: Issuer {
                    cik: issuer.cik.clone(),
                    name: Some(issuer.name.clone()),
                    trading_symbol: Some(issuer.symbol.clone()),
                },
                remarks,
                source: FilingSource::Synthetic,
            },
            owner_signatures,
            reporting_owners,
            non_derivative_transactions: tables.ndt,
            non_derivative_holdings: tables.ndh,
            derivative_transactions: tables.dt,
            derivative_holdings: tables.dh,
            footnotes: tables.footnotes,
        }
    }
}

/// A made-up acceptance time on the filing date, within EDGAR's hours
/// (06:00 to 22:00 US Eastern, 10:00 to 02:00 UTC in daylight time), spread
/// by the filing's index so that it needs no draw from the row generators.
fn acceptance_time(filing_date: time::Date, index: usize) -> time::PrimitiveDateTime {
    let seconds = 10 * 3600 + (index as i64 * 7919) % (16 * 3600);
    filing_date.midnight() + time::Duration::seconds(seconds)
}
