//! The synthetic month generator: deterministic, unique accessions, valid
//! filings, and the measured proportions of docs/SYNTH.md.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use insider_bulk_core::db::filings::{amendment_links, load_filings, store_filings, FilingToStore};
use insider_bulk_core::db::DbConnection;
use insider_bulk_core::domain::{Flag, FormType, Month};
use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::synth::params::*;
use insider_bulk_ingest::synth::synth_month;
use insider_bulk_testing::{month, TestDatabase};

fn json(f: &Filing) -> String {
    serde_json::to_string(f).unwrap()
}

/// One hash over the JSON of every filing, in order.
fn digest(filings: impl Iterator<Item = Filing>) -> u64 {
    let mut h = DefaultHasher::new();
    filings.for_each(|f| json(&f).hash(&mut h));
    h.finish()
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

fn assert_near(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() <= tolerance, "{what}: got {got:.4}, want {want:.4} ± {tolerance}");
}

#[test]
fn same_seed_same_filings_and_another_seed_others() {
    let m = month("2024-08");
    let a: Vec<String> = synth_month(FormType::Form4, m, 500, 7).map(|f| json(&f)).collect();
    let b: Vec<String> = synth_month(FormType::Form4, m, 500, 7).map(|f| json(&f)).collect();
    assert_eq!(a, b);
    let all = || synth_month(FormType::Form4, m, 5000, 7);
    assert_eq!(digest(all()), digest(all()));
    assert_ne!(digest(all()), digest(synth_month(FormType::Form4, m, 5000, 8)));
    // A prefix is the same whatever the count: filing i depends on (seed, i) only.
    let prefix: Vec<String> = all().take(500).map(|f| json(&f)).collect();
    assert_eq!(prefix, a);
}

#[test]
fn accession_numbers_are_unique_within_and_across_runs() {
    let mut seen = HashSet::new();
    let runs = [
        (FormType::Form4, month("2024-08"), 20_000, 1),
        (FormType::Form4, month("2024-09"), 5_000, 1),
        (FormType::Form3, month("2024-08"), 5_000, 1),
        (FormType::Form5, month("2024-08"), 5_000, 1),
        (FormType::Form4, month("2023-08"), 5_000, 1),
        (FormType::Form4, month("2024-08"), 5_000, 2),
        (FormType::Form4, month("2024-08"), 5_000, u64::MAX),
    ];
    for (form, m, count, seed) in runs {
        for f in synth_month(form, m, count, seed) {
            let acc = f.submission.accession_number.as_str().to_owned();
            assert!(acc.starts_with("99"), "{acc}");
            assert!(seen.insert(acc.clone()), "{acc} made twice ({form}, {m}, seed {seed})");
        }
    }
}

/// Every filing of the run is valid on its own, belongs to the requested
/// month and family, and survives a JSON round trip.
fn check_valid(form: FormType, m: Month, count: usize) -> Vec<Filing> {
    let filings: Vec<Filing> = synth_month(form, m, count, 3).collect();
    for f in &filings {
        let acc = f.submission.accession_number.as_str();
        assert_eq!(f.month(), Some(m), "{acc}: filed in its month");
        assert_eq!(f.submission.document_type.form_type, form, "{acc}");
        assert_eq!(f.submission.schema_version.as_deref(), Some("X0508"));
        assert!(f.submission.filing_date.unwrap() >= f.submission.period_of_report, "{acc}");
        assert!(!f.reporting_owners.is_empty() && f.reporting_owners.len() <= 10, "{acc}");
        assert_eq!(f.owner_signatures.len(), f.reporting_owners.len(), "{acc}");
        assert_eq!(
            f.submission.date_of_original_submission.is_some(),
            f.submission.document_type.is_amendment,
            "{acc}"
        );
        let symbol = f.submission.issuer.trading_symbol.as_deref().unwrap();
        assert!((1..=5).contains(&symbol.len()) && symbol.bytes().all(|b| b.is_ascii_uppercase()), "{symbol}");
        let back: Filing = serde_json::from_str(&json(f)).unwrap();
        assert_eq!(&back, f, "{acc} changed in a JSON round trip");
        for t in &f.non_derivative_transactions {
            assert!(t.transaction_date.unwrap() <= f.submission.period_of_report, "{acc}");
            let ad = t.acquired_disposed_code.as_deref();
            if t.transaction_code.as_deref() == Some("S") {
                assert_eq!(ad, Some("D"), "{acc}: a sale disposes");
            }
            let amounts = [t.shares, t.price_per_share, t.shares_owned_following_transaction];
            assert!(amounts.iter().all(|x| x.unwrap().is_finite() && x.unwrap() >= 0.0), "{acc}");
        }
        for t in &f.derivative_transactions {
            assert!(t.transaction_date.unwrap() <= f.submission.period_of_report, "{acc}");
            if let (Some(e), Some(x)) = (t.exercise_date, t.expiration_date) {
                assert!(e <= x, "{acc}: exercisable after expiry");
            }
        }
        let ids: HashSet<&str> = f.footnotes.iter().map(|n| n.id.as_str()).collect();
        let links = f.non_derivative_transactions.iter().flat_map(|t| t.footnote_ids.values());
        let links = links.chain(f.derivative_transactions.iter().flat_map(|t| t.footnote_ids.values()));
        for id in links.flatten() {
            assert!(ids.contains(id.as_str()), "{acc}: footnote {id} not in the footnotes");
        }
        let rows = [&f.non_derivative_transactions.len(), &f.derivative_transactions.len()];
        assert!(rows.iter().all(|&&n| n <= 30), "{acc}");
    }
    filings
}

#[test]
fn filings_are_valid_for_every_form() {
    for form in FormType::ALL {
        check_valid(form, month("2024-02"), 3000);
    }
}

#[test]
fn form3_holds_and_form5_flags_match_its_rows() {
    for f in check_valid(FormType::Form3, month("2024-07"), 5000) {
        assert!(f.non_derivative_transactions.is_empty() && f.derivative_transactions.is_empty());
        let empty = f.non_derivative_holdings.is_empty() && f.derivative_holdings.is_empty();
        assert_eq!(f.submission.no_securities_owned, Some(Flag::digit(empty)));
    }
    for f in check_valid(FormType::Form5, month("2024-12"), 5000) {
        let four = f.non_derivative_transactions.iter().any(|t| t.transaction_form_type.as_deref() == Some("4"))
            || f.derivative_transactions.iter().any(|t| t.transaction_form_type.as_deref() == Some("4"));
        assert_eq!(f.submission.form4_transactions_reported, Some(Flag::digit(four)));
    }
}

#[test]
fn amendments_repeat_an_earlier_original_of_the_run() {
    let filings: Vec<Filing> = synth_month(FormType::Form4, month("2024-08"), 20_000, 5).collect();
    let mut originals: HashMap<_, Vec<time::Date>> = HashMap::new();
    let mut amendments = 0;
    for f in &filings {
        let key = (f.submission.issuer.cik.clone(), f.reporting_owners[0].cik.clone(), f.submission.period_of_report);
        if f.submission.document_type.is_amendment {
            amendments += 1;
            let filed = originals.get(&key).unwrap_or_else(|| panic!("{}: no original", f.submission.accession_number));
            assert!(filed.contains(&f.submission.date_of_original_submission.unwrap()));
            assert!(f.submission.filing_date > f.submission.date_of_original_submission);
        } else {
            originals.entry(key).or_insert_with(Vec::new).push(f.submission.filing_date.unwrap());
        }
    }
    assert!(amendments > 0);
}

#[test]
fn form4_proportions_match_the_measured_ones() {
    let filings: Vec<Filing> = synth_month(FormType::Form4, month("2024-08"), 20_000, 11).collect();
    let n = filings.len();
    let owners: usize = filings.iter().map(|f| f.reporting_owners.len()).sum();
    let want_owners = OWNERS_F4.iter().map(|&(k, w)| k as f64 * f64::from(w)).sum::<f64>()
        / OWNERS_F4.iter().map(|&(_, w)| f64::from(w)).sum::<f64>();
    assert_near("owners per filing", share(owners, n), want_owners, 0.03);
    let amended = filings.iter().filter(|f| f.submission.document_type.is_amendment).count();
    assert_near("amendment share", share(amended, n), AMENDMENT_SHARE[1], 0.004);
    let total = |t: &[((bool, bool, bool), u32)]| t.iter().map(|&(_, w)| f64::from(w)).sum::<f64>();
    let with = |pick: fn(&(bool, bool, bool)) -> bool| {
        TABLES_F4.iter().filter(|(k, _)| pick(k)).map(|&(_, w)| f64::from(w)).sum::<f64>() / total(TABLES_F4)
    };
    let deriv = filings.iter().filter(|f| !f.derivative_transactions.is_empty()).count();
    assert_near("derivative share", share(deriv, n), with(|k| k.0), 0.02);
    let holdings = filings.iter().filter(|f| !f.non_derivative_holdings.is_empty()).count();
    assert_near("holdings share", share(holdings, n), with(|k| k.1), 0.02);

    let code_share = |codes: Vec<&str>, table: &[(&str, u32)], code: &str| {
        let want = f64::from(table.iter().find(|(c, _)| *c == code).unwrap().1)
            / table.iter().map(|&(_, w)| f64::from(w)).sum::<f64>();
        (share(codes.iter().filter(|c| **c == code).count(), codes.len()), want)
    };
    let dt_codes =
        || filings.iter().flat_map(|f| &f.derivative_transactions).map(|t| t.transaction_code.as_deref().unwrap());
    let ndt_codes =
        || filings.iter().flat_map(|f| &f.non_derivative_transactions).map(|t| t.transaction_code.as_deref().unwrap());
    for code in ["M", "A", "D"] {
        let (got, want) = code_share(dt_codes().collect(), CODES_DT_F4, code);
        assert_near(&format!("derivative code {code}"), got, want, 0.03);
    }
    for code in ["S", "M", "P", "A"] {
        let (got, want) = code_share(ndt_codes().collect(), CODES_NDT_F4, code);
        assert_near(&format!("non-derivative code {code}"), got, want, 0.03);
    }
    let remarks = filings.iter().filter(|f| f.submission.remarks.is_some()).count();
    assert_near("remarks share", share(remarks, n), REMARKS_SHARE[1], 0.01);
    let issuers: HashSet<_> = filings.iter().map(|f| &f.submission.issuer.cik).collect();
    assert!((2000..=4500).contains(&issuers.len()), "{} distinct issuers", issuers.len());
}

/// Stores a run in batches of 1,000 as `synth` does.
fn store(conn: &mut DbConnection, filings: impl Iterator<Item = Filing>) {
    let items: Vec<FilingToStore> =
        filings.map(|filing| FilingToStore { filing, loaded_from: "synth:test".into() }).collect();
    for batch in items.chunks(1000) {
        store_filings(conn, batch).unwrap();
    }
}

#[test]
fn stored_amendments_link_to_their_originals_and_filings_read_back_equal() {
    let db = TestDatabase::sqlite();
    let conn = &mut db.connect();
    let filings: Vec<Filing> = synth_month(FormType::Form5, month("2024-06"), 2000, 9).collect();
    store(conn, filings.clone().into_iter());
    let amendments: Vec<String> = filings
        .iter()
        .filter(|f| f.submission.document_type.is_amendment)
        .map(|f| f.submission.accession_number.to_string())
        .collect();
    assert!(amendments.len() > 100, "{} amendments", amendments.len());
    let links = amendment_links(conn, &amendments).unwrap();
    for acc in &amendments {
        assert!(links.contains_key(acc), "{acc} was not linked to its original");
    }
    let some: Vec<String> = filings.iter().take(200).map(|f| f.submission.accession_number.to_string()).collect();
    let mut back = load_filings(conn, &some).unwrap();
    back.sort_by(|a, b| a.submission.accession_number.cmp(&b.submission.accession_number));
    assert_eq!(back, filings[..200]);
}

/// `cargo test --release -p insider-bulk-ingest --test synth -- --ignored --nocapture`
#[test]
#[ignore = "timing and figures for docs/SYNTH.md, no assertion"]
fn timing_and_figures() {
    let start = std::time::Instant::now();
    let (mut rows, mut notes, mut with_deriv, mut notes_deriv) = (0, 0, 0, 0);
    for f in synth_month(FormType::Form4, month("2024-08"), 50_000, 1) {
        rows += f.row_count();
        notes += f.footnotes.len();
        // SEC's measure (DS): the highest footnote number referenced from the
        // derivative and holding tables, over filings with such rows.
        let ids = f.derivative_transactions.iter().flat_map(|t| t.footnote_ids.values());
        let ids = ids.chain(f.non_derivative_holdings.iter().flat_map(|h| h.footnote_ids.values()));
        let ids = ids.chain(f.derivative_holdings.iter().flat_map(|h| h.footnote_ids.values()));
        let highest = ids.flatten().filter_map(|id| id[1..].parse::<usize>().ok()).max();
        if let Some(highest) = highest {
            with_deriv += 1;
            notes_deriv += highest;
        }
    }
    println!("50,000 Form 4 filings in {:?}: {rows} rows", start.elapsed());
    println!("footnotes per filing {:.2}", share(notes, 50_000));
    println!("highest footnote referenced from derivative and holding rows {:.2}", share(notes_deriv, with_deriv));
    let db = TestDatabase::sqlite();
    let start = std::time::Instant::now();
    store(&mut db.connect(), synth_month(FormType::Form4, month("2024-08"), 50_000, 1));
    println!("generated and stored in SQLite in {:?}", start.elapsed());
}
