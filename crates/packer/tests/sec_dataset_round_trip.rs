//! The key test of `sec-dataset`: SEC's real 2024 Q3 tables (five of the
//! eight are in the fixtures, 36,075 submissions, all filed July to
//! September) imported into a fresh database and packed again as Forms 3, 4
//! and 5 of July, August and September 2024 give back SEC's rows, column by
//! column, in SEC's formats: each submission in exactly one of those nine
//! bundles, the one of its FILING_DATE's month, and in no other month. Only the surrogate
//! `*_SK` keys differ (a bundle numbers its own); rows are compared per
//! accession, a filing's rows in SEC's key order, which is document order.

use std::collections::BTreeMap;
use std::io::Read;

use insider_bulk_core::db::{month_stats, Database, DbConnection};
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_ingest::batch::BatchWriter;
use insider_bulk_ingest::pipeline;
use insider_bulk_ingest::sec_dataset::{discover, DataSet};
use insider_bulk_packer::bundle;
use insider_bulk_testing::{fixtures_dir, Backend, TestDatabase};

const SUBMISSIONS: usize = 36_075;
/// The tables the fixtures have, with their surrogate key column.
const TABLES: [(&str, Option<&str>); 5] = [
    ("SUBMISSION", None),
    ("NONDERIV_HOLDING", Some("NONDERIV_HOLDING_SK")),
    ("DERIV_TRANS", Some("DERIV_TRANS_SK")),
    ("DERIV_HOLDING", Some("DERIV_HOLDING_SK")),
    ("OWNER_SIGNATURE", None),
];

/// Accession → the filing's rows (fields as written, key column out).
type Rows = BTreeMap<String, Vec<Vec<String>>>;

/// A table's header and rows grouped by accession; with `key`, each
/// filing's rows sorted by it (SEC's file order is not document order).
fn group(text: &str, key: Option<&str>) -> (Vec<String>, Rows) {
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split('\t').map(str::to_owned).collect();
    let key_at = key.map(|k| header.iter().position(|h| h == k).unwrap_or_else(|| panic!("{k} in {header:?}")));
    let mut keyed: BTreeMap<String, Vec<(u64, Vec<String>)>> = BTreeMap::new();
    for line in lines {
        let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
        assert_eq!(fields.len(), header.len(), "{line}");
        let sk = key_at.map_or(0, |i| fields.remove(i).parse().unwrap());
        keyed.entry(fields[0].clone()).or_default().push((sk, fields));
    }
    let rows = keyed
        .into_iter()
        .map(|(acc, mut rows)| {
            rows.sort_by_key(|(sk, _)| *sk);
            (acc, rows.into_iter().map(|(_, f)| f).collect())
        })
        .collect();
    (header, rows)
}

fn unpack(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        files.insert(name, text);
    }
    files
}

async fn import(test_db: &TestDatabase) {
    let db = Database::open(&test_db.url, 2).await.unwrap();
    let sources = discover(&[fixtures_dir()]).unwrap();
    assert_eq!(sources.len(), 1, "the fixtures hold one data set");
    let set = DataSet::read(&sources[0]).unwrap();
    assert_eq!(set.filing_count(), SUBMISSIONS);
    let mut writer = BatchWriter::new(db);
    pipeline::run(set.into_items(), &mut writer, &pipeline::progress_bar(0, "")).await.unwrap();
    let report = writer.report;
    assert!(report.failed.is_empty(), "{:?}", &report.failed[..report.failed.len().min(5)]);
    assert_eq!(report.inserted, SUBMISSIONS, "{report:?}");
}

/// The quarter's three months.
fn quarter() -> [Month; 3] {
    ["2024-07", "2024-08", "2024-09"].map(|m| m.parse().unwrap())
}

/// Forms 3, 4 and 5 of the quarter's months, packed; each table's rows
/// joined, and the month each accession was packed in.
type Packed = (BTreeMap<&'static str, Vec<String>>, BTreeMap<&'static str, Rows>, BTreeMap<String, Month>);

fn pack_the_quarter(conn: &mut DbConnection) -> Packed {
    let mut headers = BTreeMap::new();
    let mut rows: BTreeMap<&'static str, Rows> = BTreeMap::new();
    let mut packed_in = BTreeMap::new();
    let mut filings = 0;
    for form in FormType::ALL {
        for month in quarter() {
            let ((bytes, jsonl), built) =
                bundle::build(conn, form, month, Vec::new(), Vec::new(), &mut |_, _| {}).unwrap();
            let mut lines = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(jsonl.as_slice()), &mut lines).unwrap();
            assert_eq!(lines.lines().count() as u64, built.filing_count, "one JSON line per filing");
            filings += built.filing_count as usize;
            let files = unpack(&bytes);
            for (table, key) in TABLES {
                let (header, grouped) = group(&files[&format!("{table}.tsv")], key);
                headers.insert(table, header);
                for (acc, r) in grouped {
                    if table == "SUBMISSION" {
                        packed_in.insert(acc.clone(), month);
                    }
                    assert!(rows.entry(table).or_default().insert(acc, r).is_none(), "a filing is in one bundle");
                }
            }
        }
        // No other month of the form holds any of them.
        for stats in month_stats::list(conn, form).unwrap().into_iter().filter(|s| s.filing_count > 0) {
            let month = stats.period_month;
            assert!(quarter().contains(&month), "form {form}: {} filings in {month}", stats.filing_count);
        }
    }
    assert_eq!(filings, SUBMISSIONS, "the nine bundles hold every imported filing once");
    (headers, rows, packed_in)
}

/// The month of SEC's FILING_DATE (DD-MON-YYYY) of each submission.
fn filing_months() -> BTreeMap<String, Month> {
    let text = std::fs::read_to_string(fixtures_dir().join("dataset_2024q3_SUBMISSION.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let at = header.iter().position(|h| *h == "FILING_DATE").unwrap();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let (_, mon_year) = fields[at].split_once('-').unwrap();
            let (mon, year) = mon_year.split_once('-').unwrap();
            let n = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
                .iter()
                .position(|m| m.eq_ignore_ascii_case(mon))
                .unwrap_or_else(|| panic!("{}", fields[at]));
            (fields[0].to_owned(), format!("{year}-{:02}", n + 1).parse().unwrap())
        })
        .collect()
}

/// Where two groupings differ: (accession, row, column, SEC, bundle), first few.
fn differences(header: &[String], sec: &Rows, ours: &Rows) -> Vec<String> {
    let mut out = Vec::new();
    for (acc, sec_rows) in sec {
        let Some(our_rows) = ours.get(acc) else {
            out.push(format!("{acc}: no rows in the bundle"));
            continue;
        };
        if sec_rows.len() != our_rows.len() {
            out.push(format!("{acc}: {} rows at SEC, {} in the bundle", sec_rows.len(), our_rows.len()));
            continue;
        }
        for (n, (a, b)) in sec_rows.iter().zip(our_rows).enumerate() {
            for (column, (x, y)) in header.iter().zip(a.iter().zip(b)) {
                if x != y {
                    out.push(format!("{acc} row {n} {column}: SEC {x:?}, bundle {y:?}"));
                }
            }
        }
    }
    out.extend(ours.keys().filter(|acc| !sec.contains_key(*acc)).map(|acc| format!("{acc}: only in the bundle")));
    out
}

async fn round_trip(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    import(&test_db).await;
    let mut conn = test_db.connect();
    use diesel::prelude::*;
    let stored: i64 = insider_bulk_core::db::schema::filings::table.count().get_result(&mut conn).unwrap();
    assert_eq!(stored as usize, SUBMISSIONS, "every SUBMISSION row is a filing");

    let (headers, ours, packed_in) = pack_the_quarter(&mut conn);
    let filed = filing_months();
    assert_eq!(filed.len(), SUBMISSIONS);
    let misplaced: Vec<_> = filed.iter().filter(|(acc, month)| packed_in.get(*acc) != Some(month)).take(5).collect();
    assert!(misplaced.is_empty(), "each submission is in the bundle of its FILING_DATE's month: {misplaced:?}");
    for (table, key) in TABLES {
        let text = std::fs::read_to_string(fixtures_dir().join(format!("dataset_2024q3_{table}.tsv"))).unwrap();
        let (sec_header, sec) = group(&text, key);
        assert_eq!(headers[table], sec_header, "{table}: the bundle's columns are SEC's");
        let ours = ours.get(table).cloned().unwrap_or_default();
        let diffs = differences(&sec_header, &sec, &ours);
        let rows: usize = sec.values().map(Vec::len).sum();
        assert!(
            diffs.is_empty(),
            "{table}: {} differences in {rows} rows, first: {:#?}",
            diffs.len(),
            &diffs[..diffs.len().min(20)]
        );
        eprintln!("{table}: {rows} rows of {} filings equal SEC's, column by column", sec.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sec_tables_round_trip_on_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sec_tables_round_trip_on_postgres() {
    round_trip(Backend::Postgres).await;
}
