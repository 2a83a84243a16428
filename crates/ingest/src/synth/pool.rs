//! The synthetic universe of issuers and their insiders. It does not depend
//! on the seed: issuer 17 is the same company in every run and every month,
//! so months generated separately line up as a real history would.

use std::collections::HashSet;

use insider_bulk_core::domain::{Cik, Flag};
use insider_bulk_core::filing::ReportingOwner;
use rand::{Rng, SeedableRng};

use super::dist::{exp, lognormal, normal, Pick, Rng8};
use super::params::LN_PRICE;
use super::vocab::*;

/// Issuers in the universe and the spread of their filing activity (sd of
/// ln weight). Fitted so that ~11,900 Form 4s hit ~3,000 distinct issuers
/// and a quarter ~4,000 (DS: 2,681 in 2024-08, 4,239 in the quarter).
const ISSUERS: usize = 4500;
const ACTIVITY_SD: f64 = 1.2;
/// Insiders per issuer who file alone; further slots are co-filing entities.
pub const INSIDERS: u64 = 12;
const OWNER_SLOTS: u64 = 32;
/// Synthetic CIKs start at 9,900,000,000 (issuers) and 9,800,000,000
/// (owners): real CIKs are below 3,000,000, so they cannot collide.
const ISSUER_CIK_BASE: u64 = 9_900_000_000;
const OWNER_CIK_BASE: u64 = 9_800_000_000;
const UNIVERSE_KEY: [u8; 32] = *b"insider-bulk synthetic universe!";

pub struct Issuer {
    pub cik: Cik,
    pub name: String,
    pub symbol: String,
    pub common_title: &'static str,
    /// The issuer's share price; rows scatter a little around it.
    pub price: f64,
}

pub struct Owner {
    pub owner: ReportingOwner,
    /// The name as signed, e.g. `/s/ Jane Doe, Attorney-in-Fact for John Roe`.
    pub signature: String,
}

pub struct Pool {
    issuers: Vec<Issuer>,
    activity: Pick<usize>,
    relationships: Pick<Relationship>,
    titles: Pick<&'static str>,
    other_texts: Pick<&'static str>,
    first_names: Vec<&'static str>,
    last_names: Vec<&'static str>,
}

fn cik(n: u64) -> Cik {
    n.to_string().parse().expect("10 digits")
}

fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

fn one<'a>(r: &mut Rng8, words: &[&'a str]) -> &'a str {
    words[r.random_range(0..words.len())]
}

impl Pool {
    pub fn build() -> Self {
        let mut r = Rng8::from_seed(UNIVERSE_KEY);
        let (name_words, trades) = (words(NAME_WORDS), words(NAME_TRADES));
        let lengths = Pick::rows(SYMBOL_LENGTHS);
        let suffixes = Pick::counted(ISSUER_SUFFIXES);
        let titles = Pick::counted(COMMON_TITLES);
        let mut symbols = HashSet::new();
        let mut issuers = Vec::with_capacity(ISSUERS);
        let mut weights = Vec::with_capacity(ISSUERS);
        for k in 0..ISSUERS {
            // A new length on each try: one-letter symbols run out (26).
            let symbol = loop {
                let len = lengths.pick(&mut r);
                let s: String = (0..len).map(|_| char::from(b'A' + r.random_range(0..26u8))).collect();
                if symbols.insert(s.clone()) {
                    break s;
                }
            };
            let mut name = format!("{} {} {}", one(&mut r, &name_words), one(&mut r, &trades), suffixes.pick(&mut r));
            if r.random_bool(ISSUER_NAME_UPPER) {
                name = name.to_uppercase();
            }
            let price = lognormal(&mut r, LN_PRICE, 0.05, 2000.0);
            issuers.push(Issuer {
                cik: cik(ISSUER_CIK_BASE + k as u64),
                name,
                symbol,
                common_title: titles.pick(&mut r),
                price,
            });
            weights.push((k, exp(ACTIVITY_SD * normal(&mut r))));
        }
        Pool {
            issuers,
            activity: Pick::new(weights),
            relationships: Pick::counted(RELATIONSHIPS),
            titles: Pick::counted(OFFICER_TITLES),
            other_texts: Pick::counted(OTHER_TEXTS),
            first_names: words(FIRST_NAMES),
            last_names: words(LAST_NAMES),
        }
    }

    /// An issuer, the active ones more often.
    pub fn pick_issuer(&self, r: &mut Rng8) -> usize {
        self.activity.pick(r)
    }

    pub fn issuer(&self, k: usize) -> &Issuer {
        &self.issuers[k]
    }

    /// Key of the `slot`-th owner of issuer `k`: slots below `INSIDERS` are
    /// people, the others co-filing funds.
    pub fn owner_key(k: usize, slot: u64) -> u64 {
        k as u64 * OWNER_SLOTS + slot.min(OWNER_SLOTS - 1)
    }

    /// The owner behind a key, the same every time it is asked for.
    pub fn owner(&self, key: u64) -> Owner {
        let mut r = Rng8::from_seed(UNIVERSE_KEY);
        r.set_stream(key + 1); // stream 0 made the issuers
        let (first, last) = (one(&mut r, &self.first_names), one(&mut r, &self.last_names));
        let initial = char::from(b'A' + r.random_range(0..26u8));
        let person = key % OWNER_SLOTS < INSIDERS;
        let (name, flags) = if person {
            (format!("{last} {first} {initial}"), self.relationships.pick(&mut r))
        } else {
            let fund = ["I", "II", "III", "IV", "V"][r.random_range(0..5)];
            (
                format!("{last}{} Capital Partners {fund}, L.P.", ["", " Family", " Global"][r.random_range(0..3)]),
                (false, false, true, false),
            )
        };
        let (director, officer, ten_percent, other) = flags;
        let (city, state, zip) = CITIES[r.random_range(0..CITIES.len())];
        let street1 = format!("{} {}", r.random_range(1..2000), one(&mut r, STREETS));
        let street2 = r.random_bool(STREET2_SHARE).then(|| format!("Suite {}", r.random_range(100..3000)));
        let signer = format!("{first} {initial}. {last}");
        let signature = if !person {
            format!("{name}, By: /s/ {signer}, Authorized Signatory")
        } else if r.random_bool(SIGNED_BY_ATTORNEY) {
            let (af, al) = (one(&mut r, &self.first_names), one(&mut r, &self.last_names));
            format!("/s/ {af} {al}, Attorney-in-Fact for {signer}")
        } else {
            format!("/s/ {signer}")
        };
        let owner = ReportingOwner {
            cik: cik(OWNER_CIK_BASE + key),
            name: Some(name),
            street1: Some(street1),
            street2,
            city: Some(city.to_owned()),
            state: Some(state.to_owned()),
            zip_code: Some(zip.to_owned()),
            state_description: None,
            is_director: Some(Flag::digit(director)),
            is_officer: Some(Flag::digit(officer)),
            is_ten_percent_owner: Some(Flag::digit(ten_percent)),
            is_other: Some(Flag::digit(other)),
            officer_title: officer.then(|| self.titles.pick(&mut r).to_owned()),
            other_text: other.then(|| self.other_texts.pick(&mut r).to_owned()),
            file_number: None,
        };
        Owner { owner, signature }
    }
}
