//! The store's guarantees under bulk loads, on SQLite and on the real
//! PostgreSQL: concurrent loaders of the same months lose no month delta, a
//! batch is one transaction, a batch the database refuses still loads all
//! but its bad filing, and the later of two copies in a batch wins.

use insider_bulk_core::db::filings::{load_filings, store_filings, FilingToStore, StoreStatus};
use insider_bulk_core::db::{month_stats, Database, DbConnection};
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::batch::BatchWriter;
use insider_bulk_ingest::pipeline;
use insider_bulk_ingest::synth::synth_month;
use insider_bulk_testing::{month, Backend, TestDatabase};

fn items(filings: impl IntoIterator<Item = Filing>) -> Vec<FilingToStore> {
    filings.into_iter().map(|filing| FilingToStore { filing, loaded_from: "test".into() }).collect()
}

/// Every month's stats equal what its filings add up to.
fn assert_stats_exact(conn: &mut DbConnection) {
    let mut months = 0;
    for form in FormType::ALL {
        for stats in month_stats::list(conn, form).unwrap() {
            let m = stats.period_month;
            let (fingerprint, filings, rows) = month_stats::recount(conn, form, m).unwrap();
            assert_eq!(
                (stats.fingerprint.as_str(), stats.filing_count, stats.row_count),
                (fingerprint.as_str(), filings, rows),
                "form {form} {m}: stats against a recount of its filings"
            );
            months += 1;
        }
    }
    assert!(months > 0);
}

fn filing_count(conn: &mut DbConnection) -> i64 {
    use diesel::prelude::*;
    use insider_bulk_core::db::schema::filings;
    filings::table.count().get_result(conn).unwrap()
}

/// Two loaders store batches of the same two months at once, in opposite
/// month order; every delta lands (month rows are locked in key order on
/// PostgreSQL; SQLite serializes writers).
async fn concurrent_loaders_of_the_same_months_lose_no_delta(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    drop(test_db.connect());
    let loader = |seed: u64, months: [Month; 2]| {
        let url = test_db.url.clone();
        // Each batch holds filings of both months.
        let mut filings: Vec<Filing> = synth_month(FormType::Form4, months[0], 1200, seed)
            .zip(synth_month(FormType::Form4, months[1], 1200, seed + 100))
            .flat_map(|(a, b)| [a, b])
            .collect();
        filings.extend(synth_month(FormType::Form5, months[0], 200, seed + 200));
        std::thread::spawn(move || {
            let mut conn = insider_bulk_core::db::DbConnection::open(&url).unwrap();
            for batch in items(filings).chunks(150) {
                let statuses = store_filings(&mut conn, batch).unwrap();
                assert!(statuses.iter().all(|s| *s == StoreStatus::Inserted), "{statuses:?}");
            }
        })
    };
    let (july, august) = (month("2024-07"), month("2024-08"));
    let a = loader(1, [july, august]);
    let b = loader(2, [august, july]);
    a.join().unwrap();
    b.join().unwrap();

    let mut conn = test_db.connect();
    assert_eq!(filing_count(&mut conn), 2 * (2400 + 200));
    let stats = month_stats::get(&mut conn, FormType::Form4, august).unwrap().unwrap();
    assert_eq!(stats.filing_count, 2400);
    assert_stats_exact(&mut conn);
}

/// A batch changes filings, rows and month stats together or not at all:
/// one filing the database refuses (PostgreSQL text holds no NUL) rolls back
/// the batch; BatchWriter then stores the others one by one and reports it.
async fn refused_filing_rolls_back_its_batch_and_only_itself_fails(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let mut filings: Vec<Filing> = synth_month(FormType::Form4, month("2024-08"), 40, 3).collect();
    filings[17].submission.remarks = Some("a NUL\0 byte".into());
    let mut batch = items(filings.clone());
    batch[17].loaded_from = "bad".into();

    assert!(store_filings(&mut conn, &batch).is_err(), "PostgreSQL refuses a NUL in text");
    assert_eq!(filing_count(&mut conn), 0, "no filing of the refused batch stays");
    assert_eq!(month_stats::list(&mut conn, FormType::Form4).unwrap(), [], "nor any month's stats");

    let db = Database::open(&test_db.url, 2).await.unwrap();
    let mut writer = BatchWriter::new(db.clone());
    pipeline::run(batch.into_iter().map(Ok), &mut writer, &indicatif::ProgressBar::hidden()).await.unwrap();
    assert_eq!(writer.report.inserted, 39, "{:?}", writer.report);
    assert_eq!(writer.report.failed.len(), 1, "{:?}", writer.report);
    assert_eq!(writer.report.failed[0].source, "bad");
    assert_eq!(filing_count(&mut conn), 39);
    assert_stats_exact(&mut conn);
}

/// The later of two copies of an accession in one batch is stored; the
/// earlier is reported as a duplicate. A re-store of the same content
/// writes nothing; changed content replaces the filing and all its rows.
async fn later_copy_in_a_batch_wins_and_replacing_replaces_every_row(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let mut filings: Vec<Filing> = synth_month(FormType::Form4, month("2024-08"), 30, 4).collect();
    let first = filings.iter().position(|f| f.footnotes.len() >= 2).expect("a filing with footnotes");
    let mut edited = filings[first].clone();
    edited.footnotes.truncate(1);
    edited.non_derivative_transactions.clear();
    filings.push(edited.clone());
    let statuses = store_filings(&mut conn, &items(filings.clone())).unwrap();
    assert_eq!(statuses[first], StoreStatus::Duplicate);
    assert_eq!(statuses.iter().filter(|s| **s == StoreStatus::Inserted).count(), 30);
    let acc = [edited.submission.accession_number.to_string()];
    assert_eq!(load_filings(&mut conn, &acc).unwrap(), std::slice::from_ref(&edited));

    let statuses = store_filings(&mut conn, &items(filings[..30].to_vec())).unwrap();
    assert_eq!(statuses.iter().filter(|s| **s == StoreStatus::Unchanged).count(), 29);
    assert_eq!(statuses[first], StoreStatus::Updated, "the first copy's content replaces the edited one");
    assert_eq!(load_filings(&mut conn, &acc).unwrap(), [filings[first].clone()], "with every row of it");
    assert_stats_exact(&mut conn);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() { super::$name(insider_bulk_testing::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() { super::$name(insider_bulk_testing::Backend::Postgres).await }
        })*
    };
}

on_both_backends!(
    concurrent_loaders_of_the_same_months_lose_no_delta,
    later_copy_in_a_batch_wins_and_replacing_replaces_every_row,
);

mod refused_filing_rolls_back_its_batch_and_only_itself_fails {
    /// SQLite stores a NUL in text, and has no other way for a filing of
    /// the model to be refused.
    #[tokio::test(flavor = "multi_thread")]
    async fn postgres() {
        super::refused_filing_rolls_back_its_batch_and_only_itself_fails(insider_bulk_testing::Backend::Postgres).await
    }
}

/// A filing replaced by a changed copy keeps when the store first held it;
/// the newest acceptance time of a form is what the index publishes.
fn first_seen_is_kept_and_the_newest_acceptance_is_read(backend: Backend) {
    use diesel::prelude::*;
    use insider_bulk_core::db::filings::latest_accepted_at;
    use insider_bulk_core::db::schema::filings;
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    assert_eq!(latest_accepted_at(&mut conn, FormType::Form4).unwrap(), None);
    let mut filings_of_month: Vec<Filing> = synth_month(FormType::Form4, month("2024-03"), 3, 7).collect();
    let at = |h: u8| time::macros::date!(2024 - 03 - 05).with_hms(h, 0, 0).unwrap();
    for (i, f) in filings_of_month.iter_mut().enumerate() {
        f.submission.accepted_at = Some(at(10 + i as u8));
    }
    store_filings(&mut conn, &items(filings_of_month.clone())).unwrap();
    let acc = filings_of_month[0].submission.accession_number.as_str().to_owned();
    let first_seen = |conn: &mut DbConnection| {
        filings::table.find(&acc).select(filings::first_seen_at).first::<Option<time::PrimitiveDateTime>>(conn).unwrap()
    };
    let seen = first_seen(&mut conn).expect("set on insert");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut changed = filings_of_month[0].clone();
    changed.submission.remarks = Some("corrected".into());
    assert_eq!(store_filings(&mut conn, &items([changed])).unwrap(), [StoreStatus::Updated]);
    assert_eq!(first_seen(&mut conn), Some(seen), "kept when the filing is replaced");
    assert_eq!(latest_accepted_at(&mut conn, FormType::Form4).unwrap(), Some(at(12)));
    assert_eq!(latest_accepted_at(&mut conn, FormType::Form3).unwrap(), None);
}

#[test]
fn first_seen_is_kept_and_the_newest_acceptance_is_read_on_sqlite() {
    first_seen_is_kept_and_the_newest_acceptance_is_read(Backend::Sqlite);
}

#[test]
fn first_seen_is_kept_and_the_newest_acceptance_is_read_on_postgres() {
    first_seen_is_kept_and_the_newest_acceptance_is_read(Backend::Postgres);
}

/// What a reconciliation may skip: filings stored from their submission's
/// text, not those from a bare document or SEC's data sets.
fn only_submissions_count_as_complete(backend: Backend) {
    use insider_bulk_core::db::filings::stored_from_edgar;
    use insider_bulk_core::domain::FilingSource;
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let mut filings_of_month: Vec<Filing> = synth_month(FormType::Form4, month("2024-03"), 3, 11).collect();
    let sources = [FilingSource::EdgarSubmission, FilingSource::EdgarDocument, FilingSource::SecDataset];
    for (f, source) in filings_of_month.iter_mut().zip(sources) {
        f.submission.source = source;
    }
    store_filings(&mut conn, &items(filings_of_month.clone())).unwrap();
    let accessions: Vec<String> =
        filings_of_month.iter().map(|f| f.submission.accession_number.as_str().to_owned()).collect();
    let mut asked = accessions.clone();
    asked.push("0000000000-24-999999".into());
    let complete = stored_from_edgar(&mut conn, &asked).unwrap();
    assert_eq!(complete, std::collections::HashSet::from([accessions[0].clone()]));
}

#[test]
fn only_submissions_count_as_complete_on_sqlite() {
    only_submissions_count_as_complete(Backend::Sqlite);
}

#[test]
fn only_submissions_count_as_complete_on_postgres() {
    only_submissions_count_as_complete(Backend::Postgres);
}
