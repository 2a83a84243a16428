//! Migrations run at start-up from every process: several starting at once
//! must all succeed and leave one schema.

use std::thread;

use insider_bulk_core::db::{edgar_days, run_migrations, DbConnection};
use insider_bulk_testing::{Backend, TestDatabase};
use time::macros::date;

fn concurrent_start(backend: Backend) {
    let db = TestDatabase::new(backend);
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            thread::spawn(move || {
                let mut conn = DbConnection::open(&url)?;
                run_migrations(&mut conn)
            })
        })
        .collect();
    for start in starts {
        start.join().expect("no panic").expect("every concurrent start migrates");
    }
    let mut conn = db.connect();
    assert_eq!(edgar_days::list_days(&mut conn).unwrap(), vec![]);
}

#[test]
fn concurrent_starts_on_sqlite() {
    concurrent_start(Backend::Sqlite);
}

#[test]
fn concurrent_starts_on_postgres() {
    concurrent_start(Backend::Postgres);
}

fn day(d: time::Date) -> edgar_days::EdgarDay {
    edgar_days::EdgarDay {
        day: d,
        filings_found: 3,
        loaded: 2,
        unchanged: 0,
        failed: 1,
        completed_at: time::PrimitiveDateTime::new(d, time::Time::MIDNIGHT),
        failed_downloads: 0,
    }
}

fn ingested_through_stops_at_a_gap(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), None);
    assert_eq!(edgar_days::latest_day_with_index(&mut conn).unwrap(), None);
    for d in [date!(2020 - 03 - 16), date!(2020 - 03 - 17), date!(2020 - 03 - 19)] {
        edgar_days::record_day(&mut conn, &day(d)).unwrap();
    }
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 17)));
    // Re-running a day replaces its record; filling the gap moves the mark.
    edgar_days::record_day(&mut conn, &day(date!(2020 - 03 - 17))).unwrap();
    edgar_days::record_day(&mut conn, &day(date!(2020 - 03 - 18))).unwrap();
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 19)));
    assert_eq!(edgar_days::list_days(&mut conn).unwrap().len(), 4);

    // A day whose downloads failed is recorded but holds the mark until a
    // re-run fetches them; a filing that failed to parse (`failed`) does not.
    let short = edgar_days::EdgarDay { failed_downloads: 1, ..day(date!(2020 - 03 - 20)) };
    edgar_days::record_day(&mut conn, &short).unwrap();
    edgar_days::record_day(&mut conn, &day(date!(2020 - 03 - 21))).unwrap();
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 19)));
    edgar_days::record_day(&mut conn, &day(date!(2020 - 03 - 20))).unwrap();
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 21)));
    assert_eq!(edgar_days::latest_day_with_index(&mut conn).unwrap(), Some(date!(2020 - 03 - 21)));
}

#[test]
fn ingested_through_on_sqlite() {
    ingested_through_stops_at_a_gap(Backend::Sqlite);
}

#[test]
fn ingested_through_on_postgres() {
    ingested_through_stops_at_a_gap(Backend::Postgres);
}

/// Migration 000008 on a row written before it, when `failed` counted
/// failed downloads and failed parses together: the failures still listed
/// for the day split them.
fn old_failed_counts_are_split(backend: Backend, dir: &str) {
    use diesel::connection::SimpleConnection;

    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let migration = format!("{}/migrations/{dir}/2026-12-02-000008_edgar_day_downloads", env!("CARGO_MANIFEST_DIR"));
    let sql = |name: &str| std::fs::read_to_string(format!("{migration}/{name}")).unwrap();
    conn.batch_execute(&sql("down.sql")).unwrap();
    conn.batch_execute(
        "INSERT INTO edgar_days (day, filings_found, loaded, unchanged, failed, completed_at) VALUES \
         ('2020-03-18', 10, 7, 0, 3, '2020-03-19 00:00:00'), ('2020-03-19', 5, 5, 0, 0, '2020-03-20 00:00:00')",
    )
    .unwrap();
    let day = Some(date!(2020 - 03 - 18));
    let failures = [
        ("edgar/data/1/a.txt", day, "gave up on http://edgar/a.txt after 5 attempts; last: HTTP 503"),
        ("edgar/data/1/b.txt", day, "not found (HTTP 404): http://edgar/b.txt"),
        ("edgar/data/1/c.txt", day, "no <issuer> element"),
        ("edgar/data/1/d.txt", Some(date!(2020 - 03 - 19)), "HTTP 403 Forbidden from http://edgar/d.txt"),
    ];
    for (source, day, reason) in failures {
        edgar_days::record_failure(&mut conn, source, day, reason).unwrap();
    }
    conn.batch_execute(&sql("up.sql")).unwrap();
    let days = edgar_days::list_days(&mut conn).unwrap();
    let counts: Vec<(i32, i32)> = days.iter().map(|d| (d.failed, d.failed_downloads)).collect();
    assert_eq!(counts, [(1, 2), (0, 1)], "a recorded day whose failures were not counted loses none below 0");
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), None, "both days wait for their downloads");
}

#[test]
fn old_failed_counts_are_split_on_sqlite() {
    old_failed_counts_are_split(Backend::Sqlite, "sqlite");
}

#[test]
fn old_failed_counts_are_split_on_postgres() {
    old_failed_counts_are_split(Backend::Postgres, "postgres");
}

/// Migration 000011 on a database written before it: the month's latest
/// job and the EDGAR mark are filled from the rows already there; after
/// it, `jobs::insert` and `record_day` keep them.
fn latest_jobs_and_the_mark_are_kept(backend: Backend, dir: &str) {
    use diesel::connection::SimpleConnection;
    use insider_bulk_core::db::jobs::{self, JobRow};
    use insider_bulk_core::domain::{FormType, JobReason, Month};

    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let migration = format!("{}/migrations/{dir}/2026-12-02-000011_reads_that_stay_small", env!("CARGO_MANIFEST_DIR"));
    let sql = |name: &str| std::fs::read_to_string(format!("{migration}/{name}")).unwrap();
    conn.batch_execute(&sql("down.sql")).unwrap();
    conn.batch_execute(
        "INSERT INTO jobs (id, form_type, period_month, reason, state, attempts, queued_at, rows_done, rows_total, \
         tokens_charged) VALUES \
         ('old', 4, '2024-05', 'nightly', 'succeeded', 1, '2024-06-01 00:00:00', 0, 0, 0), \
         ('new', 4, '2024-05', 'on_demand', 'failed', 1, '2024-06-02 00:00:00', 0, 0, 0), \
         ('other-form', 3, '2024-05', 'nightly', 'succeeded', 1, '2024-06-03 00:00:00', 0, 0, 0), \
         ('june', 4, '2024-06', 'nightly', 'succeeded', 1, '2024-06-01 00:00:00', 0, 0, 0); \
         INSERT INTO edgar_days (day, filings_found, loaded, unchanged, failed, completed_at, failed_downloads) VALUES \
         ('2020-03-16', 1, 1, 0, 0, '2020-03-17 00:00:00', 0), ('2020-03-17', 1, 1, 0, 0, '2020-03-18 00:00:00', 0), \
         ('2020-03-18', 1, 0, 0, 0, '2020-03-19 00:00:00', 1), ('2020-03-19', 1, 1, 0, 0, '2020-03-20 00:00:00', 0)",
    )
    .unwrap();
    conn.batch_execute(&sql("up.sql")).unwrap();
    let latest = |conn: &mut DbConnection| -> Vec<(String, String)> {
        jobs::latest_per_month(conn, FormType::Form4)
            .unwrap()
            .into_iter()
            .map(|j| (j.period_month.to_string(), String::from(j.id)))
            .collect()
    };
    let pair = |m: &str, id: &str| (m.to_owned(), id.to_owned());
    assert_eq!(latest(&mut conn), [pair("2024-05", "new"), pair("2024-06", "june")]);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 17)));

    let may: Month = "2024-05".parse().unwrap();
    let now = time::PrimitiveDateTime::new(date!(2024 - 07 - 01), time::Time::MIDNIGHT);
    jobs::insert(&mut conn, &JobRow::queued("newest".parse().unwrap(), FormType::Form4, may, JobReason::OnDemand, now))
        .unwrap();
    assert_eq!(latest(&mut conn), [pair("2024-05", "newest"), pair("2024-06", "june")]);
    let mut fetched = day(date!(2020 - 03 - 18));
    fetched.failed_downloads = 0;
    edgar_days::record_day(&mut conn, &fetched).unwrap();
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 19)), "the gap is filled");
}

#[test]
fn latest_jobs_and_the_mark_are_kept_on_sqlite() {
    latest_jobs_and_the_mark_are_kept(Backend::Sqlite, "sqlite");
}

#[test]
fn latest_jobs_and_the_mark_are_kept_on_postgres() {
    latest_jobs_and_the_mark_are_kept(Backend::Postgres, "postgres");
}
