//! Bulk imports SIGKILLed at random, on PostgreSQL: a data directory that
//! holds the first-start sample takes SEC's real 2024 Q3 tables, and the
//! import is killed again and again while it removes the sample and stores
//! its batches. After every kill the database is one a clean run could have
//! left part way (the sample whole or gone, every month's stats agreeing
//! with its rows, no row without its filing), and one more run ends where a
//! single uninterrupted import ends, fingerprints included.

use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use insider_bulk_core::db::{DatabaseUrl, DbConnection};
use insider_bulk_testing::{fixtures_dir, month_fingerprints, Backend, TestDatabase};

const SAMPLE_FILINGS: &str = "5000";

fn command(db: &TestDatabase, args: &[&str]) -> Command {
    let url = match &db.url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        other => other.to_string(),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"));
    command.args(args).env("DATABASE_URL", url).stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

fn run(db: &TestDatabase, args: &[&str]) {
    let out = command(db, args).output().expect("run insider-bulk-ingest");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

const CHILD_TABLES: [&str; 7] = [
    "reporting_owners",
    "non_derivative_transactions",
    "non_derivative_holdings",
    "derivative_transactions",
    "derivative_holdings",
    "footnotes",
    "owner_signatures",
];

/// What any committed state must satisfy, killed or not.
fn assert_consistent(conn: &mut DbConnection, sample: i64, when: &str) {
    let synthetic = count(conn, "SELECT count(*) AS n FROM filings WHERE source = 'synthetic'");
    let real = count(conn, "SELECT count(*) AS n FROM filings WHERE source <> 'synthetic'");
    assert!(synthetic == 0 || synthetic == sample, "{when}: {synthetic} of {sample} sample filings left");
    assert!(synthetic == 0 || real == 0, "{when}: {real} real filings stored beside the sample");
    let disagreeing = count(
        conn,
        "SELECT count(*) AS n FROM month_stats s FULL JOIN \
         (SELECT form_type, filing_month AS period_month, count(*) AS filings, sum(row_count) AS rows FROM filings \
          WHERE filing_month IS NOT NULL GROUP BY form_type, filing_month) f USING (form_type, period_month) \
         WHERE coalesce(s.filing_count, 0) <> coalesce(f.filings, 0) OR coalesce(s.row_count, 0) <> coalesce(f.rows, 0)",
    );
    assert_eq!(disagreeing, 0, "{when}: months whose stats disagree with their rows");
    for table in CHILD_TABLES {
        let orphans = count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM {table} c \
                 WHERE NOT EXISTS (SELECT 1 FROM filings f WHERE f.accession_number = c.accession_number)"
            ),
        );
        assert_eq!(orphans, 0, "{when}: {table} rows without their filing");
    }
}

#[test]
fn a_sec_dataset_import_killed_at_random_ends_as_one_clean_import() {
    let fixtures = fixtures_dir().display().to_string();
    let clean = TestDatabase::new(Backend::Postgres);
    run(&clean, &["sec-dataset", &fixtures]);
    let expected = month_fingerprints(&mut clean.connect());

    let db = TestDatabase::new(Backend::Postgres);
    run(&db, &["synth", "--form", "4", "--month", "2024-08", "--filings", SAMPLE_FILINGS, "--seed", "7"]);
    let sample: i64 = SAMPLE_FILINGS.parse().unwrap();
    let mut conn = db.connect();
    assert_consistent(&mut conn, sample, "after the sample");

    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("kill delays seeded with {seed}");
    let mut rng = seed | 1;
    let mut killed = 0;
    for n in 0..5 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // A debug build takes some seconds over the quarter: the delays
        // span the sample's removal and every batch.
        let delay = Duration::from_millis(100 + rng % 12_000);
        let mut child = command(&db, &["sec-dataset", &fixtures]).spawn().expect("start insider-bulk-ingest");
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(status.code().is_none_or(|c| c == 0), "run {n} failed on its own: {status}");
        let real = count(&mut conn, "SELECT count(*) AS n FROM filings WHERE source <> 'synthetic'");
        println!("run {n}: SIGKILL after {delay:?} ({status}): {real} real filings stored");
        assert_consistent(&mut conn, sample, &format!("after run {n}"));
    }
    println!("{killed} of 5 runs were killed before they finished");

    run(&db, &["sec-dataset", &fixtures]);
    assert_consistent(&mut conn, sample, "after the last run");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings WHERE source = 'synthetic'"), 0);
    assert_eq!(month_fingerprints(&mut conn), expected, "the months equal one clean import's, fingerprints included");
}
