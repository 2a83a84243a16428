//! The migration to filing-date months on a database written by the
//! previous release: months, counts, fingerprints and links come out as a
//! fresh import of the same filings gives them; the old bundles are
//! superseded (not deleted) and their months wait to be rebuilt. On SQLite
//! and the real PostgreSQL.
//!
//! The previous release's database is made the way it was: the filings are
//! stored, the schema is taken back by the migration's own `down.sql` (which
//! puts every filing in its period's month, as that release did), and the
//! rest of what that release wrote is written as it wrote it: month
//! statistics per period month, links of its own, index rows, jobs.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use insider_bulk_core::db::filings::{amendment_links, store_filings, FilingToStore};
use insider_bulk_core::db::{run_migrations, DbConnection};
use insider_bulk_core::domain::FormType;
use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::files::{expand, read_filing};
use insider_bulk_testing::{fixtures_dir, Backend, TestDatabase};

const MIGRATION: &str = "2026-12-06-000012_filing_date_months";

/// The fixtures (dated and undated) and amendments of a dated one: one in
/// its month, one in a later month.
fn filings() -> Vec<Filing> {
    let (files, _) = expand(&[fixtures_dir()]);
    let mut all: Vec<Filing> = files.iter().filter_map(|p| read_filing(p).ok()).map(|s| s.filing).collect();
    let original = all
        .iter()
        .find(|f| f.submission.filing_date.is_some() && !f.submission.document_type.is_amendment)
        .unwrap()
        .clone();
    for (accession, days) in [("0009999999-26-000021", 0), ("0009999999-26-000022", 50)] {
        let mut amendment = original.clone();
        amendment.submission.accession_number = accession.parse().unwrap();
        amendment.submission.document_type.is_amendment = true;
        amendment.submission.date_of_original_submission = original.submission.filing_date;
        amendment.submission.filing_date = original.submission.filing_date.map(|d| d + time::Duration::days(days));
        all.push(amendment);
    }
    all
}

fn store_all(conn: &mut DbConnection, filings: &[Filing]) {
    let batch: Vec<FilingToStore> =
        filings.iter().map(|f| FilingToStore { filing: f.clone(), loaded_from: "fixture".into() }).collect();
    store_filings(conn, &batch).unwrap();
}

type Snapshot = (
    Vec<(FormType, insider_bulk_core::domain::Month, String, i64, i64)>,
    Vec<(String, Option<String>, Option<String>)>,
);

fn snapshot(conn: &mut DbConnection, filings: &[Filing]) -> Snapshot {
    let stats = insider_bulk_testing::month_fingerprints(conn);
    let accessions: Vec<String> = filings.iter().map(|f| f.submission.accession_number.to_string()).collect();
    let mut links: Vec<_> = amendment_links(conn, &accessions)
        .unwrap()
        .into_iter()
        .map(|(acc, l)| (acc, l.amends, l.superseded_by))
        .collect();
    links.sort();
    (stats, links)
}

/// Runs the `down.sql` of `first` and of every later migration, newest
/// first, and forgets them: the schema as the release before `first` left it.
fn take_back_to_before(conn: &mut DbConnection, backend: Backend, first: &str) {
    let dir = if backend == Backend::Postgres { "postgres" } else { "sqlite" };
    let tree = std::path::PathBuf::from(format!("{}/../core/migrations/{dir}", env!("CARGO_MANIFEST_DIR")));
    let mut later: Vec<String> = std::fs::read_dir(&tree)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.as_str() >= first && !name.starts_with('.'))
        .collect();
    later.sort();
    for name in later.iter().rev() {
        conn.batch_execute(&std::fs::read_to_string(tree.join(name).join("down.sql")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/down.sql: {e}"));
        let version: String = name.chars().take(17).filter(char::is_ascii_digit).collect();
        conn.batch_execute(&format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}'")).unwrap();
    }
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

fn migrates_like_a_fresh_import(backend: Backend) {
    let filings = filings();
    let fresh_db = TestDatabase::new(backend);
    let mut fresh = fresh_db.connect();
    store_all(&mut fresh, &filings);
    let expected = snapshot(&mut fresh, &filings);
    assert!(expected.1.iter().any(|(_, amends, _)| amends.is_some()), "the set has links: {expected:?}");
    assert!(expected.1.iter().any(|(_, _, superseded)| superseded.is_some()), "{expected:?}");

    // The previous release's database.
    let old_db = TestDatabase::new(backend);
    let mut old = old_db.connect();
    store_all(&mut old, &filings);
    take_back_to_before(&mut old, backend, MIGRATION);
    old.batch_execute(
        "UPDATE filings SET amends_accession_number = accession_number WHERE document_type LIKE '%/A';
         INSERT INTO month_stats (form_type, period_month, fingerprint, filing_count, row_count, updated_at)
           SELECT form_type, period_month, 'old', count(*), sum(row_count), '2026-12-01 00:00:00'
           FROM filings GROUP BY form_type, period_month;
         INSERT INTO jobs (id, form_type, period_month, reason, state, attempts, queued_at, rows_done, rows_total, tokens_charged)
           VALUES ('00000000-0000-0000-0000-000000000001', 4, '2021-05', 'nightly', 'succeeded', 1, '2026-12-01 00:00:00', 0, 0, 0),
                  ('00000000-0000-0000-0000-000000000002', 4, '2021-06', 'nightly', 'queued', 0, '2026-12-01 00:00:00', 0, 0, 0);
         INSERT INTO month_latest_jobs (form_type, period_month, job_id)
           VALUES (4, '2021-05', '00000000-0000-0000-0000-000000000001'),
                  (4, '2021-06', '00000000-0000-0000-0000-000000000002');
         INSERT INTO bundles (form_type, period_month, status, storage, file_name, object_key, generated_at, sha256,
                              size_bytes, filing_count, row_count, source_fingerprint, last_job_id, synthetic)
           VALUES (4, '2021-05', 'available', 'hot', 'form-4-2021-05.tar.gz', 'hot/form-4/2021-05/old-key',
                   '2026-12-01 00:00:00', 'aa', 1, 1, 1, 'old', NULL, false);",
    )
    .unwrap();
    assert!(count(&mut old, "SELECT count(*) AS n FROM month_stats") > 0);

    run_migrations(&mut old).expect("the migration and its data migration run at start-up");
    assert_eq!(snapshot(&mut old, &filings), expected, "months, counts, fingerprints and links as a fresh import");
    assert_eq!(count(&mut old, "SELECT count(*) AS n FROM pending_data_migrations"), 0);
    assert_eq!(count(&mut old, "SELECT count(*) AS n FROM bundles"), 0, "the old bundles left the index");
    assert_eq!(
        count(&mut old, "SELECT count(*) AS n FROM superseded_objects WHERE object_key = 'hot/form-4/2021-05/old-key'"),
        1,
        "their objects are superseded, not deleted"
    );
    assert_eq!(
        count(&mut old, "SELECT count(*) AS n FROM month_latest_jobs"),
        1,
        "only the open job still stands for its month"
    );
    run_migrations(&mut old).expect("a second start finds nothing to do");
    assert_eq!(snapshot(&mut old, &filings), expected);
}

#[test]
fn migrates_like_a_fresh_import_on_sqlite() {
    migrates_like_a_fresh_import(Backend::Sqlite);
}

#[test]
fn migrates_like_a_fresh_import_on_postgres() {
    migrates_like_a_fresh_import(Backend::Postgres);
}
