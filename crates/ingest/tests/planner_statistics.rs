//! A bulk load refreshes PostgreSQL's planner statistics only when it is
//! large for the table (a tenth of it or more, autovacuum's own threshold):
//! a twenty-year history takes one month at a time, and sampling tables of
//! millions of rows after each month of thousands was most of the load's
//! cost at full size.

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use insider_bulk_core::db::DbConnection;
use insider_bulk_testing::TestDatabase;

fn synth(db: &TestDatabase, month: &str, filings: usize) {
    let out = Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
        .args(["synth", "--form", "4", "--month", month, "--filings", &filings.to_string(), "--seed", "3"])
        .env("DATABASE_URL", db.url.to_string())
        .output()
        .expect("run insider-bulk-ingest synth");
    assert!(out.status.success(), "synth {month}: {}", String::from_utf8_lossy(&out.stderr));
}

#[derive(QueryableByName)]
struct Analyzed {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Manual ANALYZEs of `filings` so far (autovacuum's are counted apart).
fn analyze_count(conn: &mut DbConnection) -> i64 {
    diesel::sql_query("SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = 'filings'")
        .get_result::<Analyzed>(conn)
        .expect("read pg_stat_user_tables")
        .n
}

/// The statistics collector is asynchronous: waits for `want` a while.
fn await_analyze_count(conn: &mut DbConnection, want: i64) -> i64 {
    let started = Instant::now();
    loop {
        let got = analyze_count(conn);
        if got == want || started.elapsed() > Duration::from_secs(10) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_load_small_for_the_table_leaves_the_statistics_to_autovacuum() {
    let db = TestDatabase::postgres();
    let mut conn = db.connect();

    synth(&db, "2024-01", 11_000);
    assert_eq!(await_analyze_count(&mut conn, 1), 1, "the first load of an empty table is analyzed");

    // 1,000 filings beside 11,000: under a tenth, not analyzed.
    synth(&db, "2024-02", 1_000);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(analyze_count(&mut conn), 1, "a load under a tenth of the table is not analyzed");

    // 2,000 more: over a tenth of the 11,000 counted at the last ANALYZE.
    synth(&db, "2024-03", 2_000);
    assert_eq!(await_analyze_count(&mut conn, 2), 2, "a load of a tenth of the table or more is analyzed");
}
