//! The loader suite, run on SQLite and on the real PostgreSQL: every fixture
//! loads and reads back equal, reloading changes nothing, a changed filing
//! changes its month's fingerprint, amendments link to their originals, and
//! a bad file never stops the batch.

use std::path::PathBuf;

use insider_bulk_core::db::filings::{amended_filing, load_filings, month_accessions, store_filings, FilingToStore};
use insider_bulk_core::db::{edgar_days, month_stats, Database, DbConnection};
use insider_bulk_core::domain::FormType;
use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::batch::{BatchWriter, StoreReport};
use insider_bulk_ingest::files::{expand, read_filing};
use insider_bulk_ingest::pipeline;
use insider_bulk_testing::{fixtures_dir, Backend, TestDatabase};

async fn load(db: &Database, paths: &[PathBuf]) -> StoreReport {
    let (files, missing) = expand(paths);
    let mut writer = BatchWriter::new(db.clone());
    let items = missing.into_iter().map(Err).chain(files.into_iter().map(|p| read_filing(&p)));
    pipeline::run(items, &mut writer, &indicatif::ProgressBar::hidden()).await.unwrap();
    writer.report
}

async fn open(test_db: &TestDatabase) -> Database {
    Database::open(&test_db.url, 2).await.expect("open the test database")
}

fn all_stats(conn: &mut DbConnection) -> Vec<month_stats::MonthStats> {
    FormType::ALL.iter().flat_map(|form| month_stats::list(conn, *form).unwrap()).collect()
}

fn parsed_fixtures() -> Vec<Filing> {
    let (files, _) = expand(&[fixtures_dir()]);
    files.iter().filter_map(|p| read_filing(p).ok()).map(|s| s.filing).collect()
}

async fn fixtures_load_and_read_back_equal(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let db = open(&test_db).await;
    let report = load(&db, &[fixtures_dir()]).await;
    let parsed = parsed_fixtures();
    assert_eq!(report.loaded() + report.duplicates, parsed.len(), "{report:?}");
    assert_eq!(report.seen(), 34, "every filing document in the fixtures is accounted for: {report:?}");
    assert_eq!(report.failed.len(), 6, "{:?}", report.failed);
    assert!(
        report.failed.iter().all(|f| f.reason.contains("no accession number")),
        "only the files with no accession number in a header or their name fail: {:?}",
        report.failed
    );

    let mut accessions: Vec<String> = parsed.iter().map(|f| f.submission.accession_number.to_string()).collect();
    accessions.sort();
    accessions.dedup();
    let reread = db.run(move |conn| load_filings(conn, &accessions)).await.unwrap();
    for original in &parsed {
        let stored =
            reread.iter().find(|f| f.submission.accession_number == original.submission.accession_number).unwrap();
        assert_eq!(stored, original, "{} reads back as parsed", original.submission.accession_number);
    }

    // Month stats count exactly what is stored with a filing date; the
    // bare XML documents have none, are in no month, and are reported.
    let dated: Vec<&Filing> = reread.iter().filter(|f| f.submission.filing_date.is_some()).collect();
    assert!(!dated.is_empty() && dated.len() < reread.len());
    assert_eq!(report.undated.len(), reread.len() - dated.len(), "{report:?}");
    let stats = db.run(|conn| Ok(all_stats(conn))).await.unwrap();
    let filings: i64 = stats.iter().map(|s| s.filing_count).sum();
    let rows: i64 = stats.iter().map(|s| s.row_count).sum();
    assert_eq!(filings as usize, dated.len());
    assert_eq!(rows as usize, dated.iter().map(|f| f.row_count()).sum::<usize>());
    for s in stats {
        let (form, month) = (s.form_type, s.period_month);
        let listed = db.run(move |conn| month_accessions(conn, form, month)).await.unwrap();
        assert_eq!(listed.len() as i64, s.filing_count, "{form} {}", s.period_month);
    }
}

async fn reload_changes_nothing(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let db = open(&test_db).await;
    let first = load(&db, &[fixtures_dir()]).await;
    let before = db.run(|conn| Ok(all_stats(conn))).await.unwrap();
    let second = load(&db, &[fixtures_dir()]).await;
    let after = db.run(|conn| Ok(all_stats(conn))).await.unwrap();
    assert_eq!(second.loaded(), 0, "{second:?}");
    assert_eq!(second.unchanged, first.loaded());
    assert_eq!(before, after, "month stats, fingerprints and timestamps are untouched by a reload");
}

fn store(conn: &mut DbConnection, filing: &Filing) {
    let item = FilingToStore { filing: filing.clone(), loaded_from: "test".into() };
    store_filings(conn, &[item]).unwrap();
}

fn fingerprint(conn: &mut DbConnection, filing: &Filing) -> String {
    let month = filing.month().expect("a dated filing");
    month_stats::get(conn, filing.submission.document_type.form_type, month).unwrap().unwrap().fingerprint
}

fn superseded_by(conn: &mut DbConnection, filing: &Filing) -> Option<String> {
    let acc = filing.submission.accession_number.to_string();
    insider_bulk_core::db::filings::amendment_links(conn, std::slice::from_ref(&acc))
        .unwrap()
        .remove(&acc)?
        .superseded_by
}

/// A dated original of the fixtures with a transaction.
fn dated_original() -> Filing {
    parsed_fixtures()
        .into_iter()
        .find(|f| {
            !f.non_derivative_transactions.is_empty()
                && !f.submission.document_type.is_amendment
                && f.submission.filing_date.is_some()
        })
        .unwrap()
}

fn amendment_of(original: &Filing, accession: &str, filed_days_later: i64) -> Filing {
    let mut amendment = original.clone();
    amendment.submission.accession_number = accession.parse().unwrap();
    amendment.submission.document_type.is_amendment = true;
    amendment.submission.date_of_original_submission = original.submission.filing_date;
    amendment.submission.filing_date =
        original.submission.filing_date.and_then(|d| d.checked_add(time::Duration::days(filed_days_later)));
    amendment
}

async fn changed_filing_changes_its_month(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let original = dated_original();
    store(&mut conn, &original);
    let before = fingerprint(&mut conn, &original);

    let mut edited = original.clone();
    edited.non_derivative_transactions[0].shares = Some(12345.0);
    store(&mut conn, &edited);
    assert_ne!(before, fingerprint(&mut conn, &edited), "an edited filing changes its month");

    store(&mut conn, &original);
    assert_eq!(before, fingerprint(&mut conn, &original), "the fingerprint is a function of content");
    // The fixture's month closed long ago: both changes count as changes
    // to a closed month.
    let form = original.submission.document_type.form_type;
    let closed = month_stats::get(&mut conn, form, original.month().unwrap()).unwrap().unwrap();
    assert_eq!(closed.changed_after_close, 2, "a correction of a closed month is counted");
    assert_eq!(month_stats::changed_after_close(&mut conn).unwrap().get(&i32::from(form.number())), Some(&2));

    // An amendment filed in a later month lands in that month, naming the
    // original; the original's month does not learn of it.
    let late = amendment_of(&original, "0009999999-26-000001", 40);
    store(&mut conn, &late);
    assert_ne!(late.month(), original.month());
    assert_eq!(before, fingerprint(&mut conn, &original), "a later amendment leaves the closed month alone");
    assert_eq!(superseded_by(&mut conn, &original), None);
    let late_stats =
        month_stats::get(&mut conn, late.submission.document_type.form_type, late.month().unwrap()).unwrap().unwrap();
    assert_eq!(late_stats.filing_count, 1);
    assert_eq!(
        amended_filing(&mut conn, late.submission.accession_number.as_str()).unwrap().as_deref(),
        Some(original.submission.accession_number.as_str())
    );

    // One filed the same day is in the original's month, which names it.
    let same_month = amendment_of(&original, "0009999999-26-000004", 0);
    store(&mut conn, &same_month);
    assert_ne!(before, fingerprint(&mut conn, &original), "an amendment of the month changes the month");
    assert_eq!(superseded_by(&mut conn, &original).as_deref(), Some("0009999999-26-000004"));
    let stats = month_stats::get(&mut conn, original.submission.document_type.form_type, original.month().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stats.filing_count, 2);
    assert_eq!(late_stats.fingerprint, fingerprint(&mut conn, &late), "the later month is untouched by it");
}

async fn amendment_before_original_links_later(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let original = dated_original();
    let amendment = amendment_of(&original, "0009999999-26-000002", 0);
    store(&mut conn, &amendment);
    assert_eq!(amended_filing(&mut conn, amendment.submission.accession_number.as_str()).unwrap(), None);
    let unlinked = fingerprint(&mut conn, &amendment);

    // Another issuer's filing for the same period does not link it.
    let mut stranger = original.clone();
    stranger.submission.accession_number = "0009999999-26-000003".parse().unwrap();
    stranger.submission.issuer.cik = "1".parse().unwrap();
    store(&mut conn, &stranger);
    assert_eq!(amended_filing(&mut conn, amendment.submission.accession_number.as_str()).unwrap(), None);

    store(&mut conn, &original);
    assert_eq!(
        amended_filing(&mut conn, amendment.submission.accession_number.as_str()).unwrap().as_deref(),
        Some(original.submission.accession_number.as_str())
    );
    assert_ne!(unlinked, fingerprint(&mut conn, &amendment));
}

/// Every order of loading the same filings gives the same links and the
/// same months: an amendment whose first candidate arrives first moves to
/// the better one when it arrives.
async fn links_do_not_depend_on_load_order(backend: Backend) {
    let original = dated_original();
    // A second candidate for the same owner and period, filed a day later
    // than the date the amendments name: the wrong one, though it sorts first.
    let mut decoy = original.clone();
    decoy.submission.accession_number = "0000000001-26-000001".parse().unwrap();
    decoy.submission.filing_date = original.submission.filing_date.and_then(|d| d.next_day());
    decoy.non_derivative_transactions[0].shares = Some(1.0);
    let first = amendment_of(&original, "0009999999-26-000010", 1);
    let second = amendment_of(&original, "0009999999-26-000011", 2);
    let later = amendment_of(&original, "0009999999-26-000012", 45);
    let all = [original.clone(), decoy, first, second, later];
    let orders: [[usize; 5]; 4] = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 1, 4, 0, 3], [3, 4, 1, 2, 0]];
    let mut seen = Vec::new();
    for order in orders {
        let test_db = TestDatabase::new(backend);
        let mut conn = test_db.connect();
        for i in order {
            store(&mut conn, &all[i]);
        }
        let accessions: Vec<String> = all.iter().map(|f| f.submission.accession_number.to_string()).collect();
        let mut links: Vec<_> = insider_bulk_core::db::filings::amendment_links(&mut conn, &accessions)
            .unwrap()
            .into_iter()
            .map(|(acc, l)| (acc, l.amends, l.superseded_by))
            .collect();
        links.sort();
        seen.push((
            links,
            all_stats(&mut conn).into_iter().map(|s| (s.period_month, s.fingerprint)).collect::<Vec<_>>(),
        ));
    }
    let (links, _) = &seen[0];
    let acc = |f: &Filing| f.submission.accession_number.to_string();
    let orig = acc(&original);
    let expected = |a: &str, amends: Option<&str>, sup: Option<&str>| {
        (a.to_owned(), amends.map(str::to_owned), sup.map(str::to_owned))
    };
    assert!(links.contains(&expected("0009999999-26-000010", Some(&orig), Some("0009999999-26-000011"))), "{links:?}");
    assert!(links.contains(&expected("0009999999-26-000012", Some(&orig), None)), "{links:?}");
    if original.month() == all[3].month() {
        assert!(links.contains(&expected(&orig, None, Some("0009999999-26-000011"))), "{links:?}");
    }
    for other in &seen[1..] {
        assert_eq!(other, &seen[0], "the same filings give the same links and months in any order");
    }
}

/// A filing with no filing date is stored in no month, reported, and
/// placed once a dated copy arrives; an undated copy never takes a known
/// date away.
async fn undated_filing_waits_for_its_date(backend: Backend) {
    use insider_bulk_core::db::filings::StoreStatus;
    use insider_bulk_core::domain::FilingSource;
    let test_db = TestDatabase::new(backend);
    let db = open(&test_db).await;
    let mut conn = test_db.connect();
    let bare = fixtures_dir().join("form4_0000899243-21-019441.xml");
    let report = load(&db, std::slice::from_ref(&bare)).await;
    assert_eq!((report.inserted, report.undated.len()), (1, 1), "{report:?}");
    assert!(report.summary().contains("undated 1"), "{}", report.summary());
    assert!(all_stats(&mut conn).iter().all(|s| s.filing_count == 0), "in no month");

    let undated = read_filing(&bare).unwrap().filing;
    let mut row = undated.clone();
    row.submission.source = FilingSource::SecDataset;
    row.submission.filing_date = Some(time::macros::date!(2021 - 06 - 03));
    let item = |f: &Filing| FilingToStore { filing: f.clone(), loaded_from: "test".into() };
    assert_eq!(store_filings(&mut conn, &[item(&row)]).unwrap(), [StoreStatus::Updated]);
    let acc = [undated.submission.accession_number.to_string()];
    let stored = load_filings(&mut conn, &acc).unwrap().remove(0);
    assert_eq!(stored.submission.source, FilingSource::EdgarDocument, "the document's content stays");
    assert_eq!(stored.submission.filing_date, row.submission.filing_date, "and takes the row's date");
    let month = month_stats::get(&mut conn, FormType::Form4, "2021-06".parse().unwrap()).unwrap().unwrap();
    assert_eq!(month.filing_count, 1);

    let report = load(&db, &[bare]).await;
    assert_eq!((report.unchanged, report.undated.len()), (1, 0), "the date stays: {report:?}");
}

async fn bad_file_does_not_stop_the_batch(backend: Backend) {
    let test_db = TestDatabase::new(backend);
    let db = open(&test_db).await;
    let dir = tempfile::tempdir().unwrap();
    let good = fixtures_dir().join("form4_0000899243-21-019441.xml");
    std::fs::copy(&good, dir.path().join("form4_0000899243-21-019441.xml")).unwrap();
    std::fs::write(dir.path().join("form4_0000000000-00-000001.xml"), b"<ownershipDocument><truncated").unwrap();
    std::fs::write(dir.path().join("form4_0000000000-00-000002.xml"), b"").unwrap();
    std::fs::write(dir.path().join("notes.md"), b"not a filing, skipped").unwrap();
    let report = load(&db, &[dir.path().to_path_buf(), dir.path().join("missing.xml")]).await;
    assert_eq!(report.inserted, 1, "{report:?}");
    assert_eq!(report.failed.len(), 3, "{report:?}");
    assert!(report.failed.iter().all(|f| !f.reason.is_empty()));
    assert!(report.failed.iter().any(|f| f.source.ends_with("missing.xml")));
    let failures = db.run(edgar_days::failure_count).await.unwrap();
    assert_eq!(failures, 3, "the unreadable inputs are remembered with their reasons");
}

/// A data-set row never replaces a filing loaded from its EDGAR document;
/// the document replaces a data-set row.
async fn document_beats_data_set_row(backend: Backend) {
    use insider_bulk_core::db::filings::StoreStatus;
    use insider_bulk_core::domain::FilingSource;
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let document = dated_original();
    let mut row = document.clone();
    row.submission.source = FilingSource::SecDataset;
    row.submission.accepted_at = None;
    row.non_derivative_transactions[0].shares = row.non_derivative_transactions[0].shares.map(|s| s.round());
    let item = |f: &Filing| FilingToStore { filing: f.clone(), loaded_from: "test".into() };
    let acc = [document.submission.accession_number.to_string()];
    assert_eq!(store_filings(&mut conn, &[item(&document)]).unwrap(), [StoreStatus::Inserted]);
    let before = fingerprint(&mut conn, &document);
    assert_eq!(store_filings(&mut conn, &[item(&row)]).unwrap(), [StoreStatus::KeptDocument]);
    assert_eq!(
        load_filings(&mut conn, &acc).unwrap(),
        std::slice::from_ref(&document),
        "the document's filing stays whole"
    );
    assert_eq!(fingerprint(&mut conn, &document), before, "and its month is untouched");

    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    assert_eq!(store_filings(&mut conn, &[item(&row)]).unwrap(), [StoreStatus::Inserted]);
    assert_eq!(store_filings(&mut conn, &[item(&row)]).unwrap(), [StoreStatus::Unchanged]);
    assert_eq!(store_filings(&mut conn, &[item(&document)]).unwrap(), [StoreStatus::Updated]);
    assert_eq!(load_filings(&mut conn, &acc).unwrap(), [document]);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(insider_bulk_testing::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(insider_bulk_testing::Backend::Postgres).await })*
        }
    };
}

on_both_backends!(
    fixtures_load_and_read_back_equal,
    reload_changes_nothing,
    changed_filing_changes_its_month,
    amendment_before_original_links_later,
    links_do_not_depend_on_load_order,
    undated_filing_waits_for_its_date,
    bad_file_does_not_stop_the_batch,
    document_beats_data_set_row,
);
