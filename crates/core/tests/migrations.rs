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
