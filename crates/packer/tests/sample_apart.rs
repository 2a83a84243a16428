//! The first-start sample and real filings never share a bundle: a real
//! load removes the sample (and its bundles) first, keeping the months'
//! stats exact; a month holding both refuses to pack; `synth` refuses a
//! database with real filings. On SQLite and the real PostgreSQL.

mod common;

use common::fill;
use insider_bulk_core::db::filings::{holds_sample, remove_sample, store_filings, FilingToStore};
use insider_bulk_core::db::{bundles, month_stats, now_utc, superseded, Database, DbConnection};
use insider_bulk_core::domain::{BundleStatus, FormType, StorageTier};
use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::files::{expand, read_filing};
use insider_bulk_packer::bundle::{self, BuildError};
use insider_bulk_testing::{fixtures_dir, Backend, TestDatabase};

/// A real Form 4 from the fixtures, loaded from its full submission.
fn real_filing() -> Filing {
    let (files, _) = expand(&[fixtures_dir().join("form4_0000842517-24-000086.txt")]);
    read_filing(&files[0]).unwrap().filing
}

fn store_real(conn: &mut DbConnection, filing: &Filing) {
    store_filings(conn, &[FilingToStore { filing: filing.clone(), loaded_from: "fixture".into() }]).unwrap();
}

fn manifest(conn: &mut DbConnection, filing: &Filing) -> serde_json::Value {
    let form = filing.submission.document_type.form_type;
    let month = filing.month().expect("a dated filing");
    let ((bytes, _), _) = bundle::build(conn, form, month, Vec::new(), Vec::new(), &mut |_, _| {}).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_string_lossy() == "manifest.json" {
            return serde_json::from_reader(&mut entry).unwrap();
        }
    }
    panic!("no manifest.json in the bundle")
}

fn published(conn: &mut DbConnection, form: FormType, month: insider_bulk_core::domain::Month, key: &str) {
    let row = bundles::BundleRow {
        form_type: form,
        period_month: month,
        status: BundleStatus::Available,
        storage: StorageTier::Hot,
        file_name: bundle::file_name(form, month),
        object_key: key.into(),
        generated_at: now_utc(),
        sha256: "0".repeat(64),
        size_bytes: 1,
        filing_count: 1,
        row_count: 1,
        source_fingerprint: "0".repeat(64),
        last_job_id: None,
        synthetic: true,
        jsonl_object_key: format!("{key}.jsonl"),
        jsonl_sha256: "1".repeat(64),
        jsonl_size_bytes: 1,
    };
    bundles::upsert(conn, &row).unwrap();
}

async fn real_load_removes_the_sample_and_its_bundles(backend: Backend) {
    let real = real_filing();
    let (form, month) = (real.submission.document_type.form_type, real.month().expect("a full submission is dated"));
    // What the month's stats are with the real filing alone.
    let alone = TestDatabase::new(backend);
    let mut conn = alone.connect();
    store_real(&mut conn, &real);
    let expected = month_stats::get(&mut conn, form, month).unwrap().unwrap();

    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    fill(&mut conn, form, month, 40, 7);
    fill(&mut conn, FormType::Form3, month, 5, 7);
    let sample = manifest(&mut conn, &real);
    assert_eq!(
        (sample["synthetic"].as_bool(), sample["filings_by_source"]["synthetic"].as_u64()),
        (Some(true), Some(40))
    );
    published(&mut conn, form, month, "sample-key");
    assert!(holds_sample(&mut conn).unwrap());

    let db = Database::open(&test_db.url, 2).await.unwrap();
    insider_bulk_ingest::sample::make_way_for_real_filings(&db).await.unwrap();
    assert!(!holds_sample(&mut conn).unwrap());
    assert_eq!(bundles::get(&mut conn, form, month).unwrap(), None, "the sample's bundle is withdrawn");
    assert!(superseded::known_keys(&mut conn).unwrap().contains("sample-key"), "and its object purged in time");
    let empty = month_stats::get(&mut conn, FormType::Form3, month).unwrap().unwrap();
    assert_eq!((empty.filing_count, empty.row_count, empty.fingerprint), (0, 0, month_stats::EMPTY_FINGERPRINT.into()));

    store_real(&mut conn, &real);
    let stats = month_stats::get(&mut conn, form, month).unwrap().unwrap();
    assert_eq!(
        (stats.fingerprint, stats.filing_count, stats.row_count),
        (expected.fingerprint, expected.filing_count, expected.row_count),
        "the month's stats are those of its real filings alone"
    );
    let real_bundle = manifest(&mut conn, &real);
    assert_eq!(real_bundle["synthetic"], false);
    assert_eq!(real_bundle["filings_by_source"]["edgar_submission"], 1);
    assert_eq!(real_bundle["filings_by_source"]["synthetic"], 0);
    assert_eq!(remove_sample(&mut conn).unwrap().filings, 0, "nothing more to remove");
    let refusal = insider_bulk_ingest::sample::refuse_synthetic_beside_real(&db).await.unwrap();
    assert!(refusal.is_some(), "synth refuses a database with real filings");
}

async fn a_mixed_month_refuses_to_pack(backend: Backend) {
    let real = real_filing();
    let (form, month) = (real.submission.document_type.form_type, real.month().expect("a full submission is dated"));
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    fill(&mut conn, form, month, 10, 3);
    store_real(&mut conn, &real);
    let err = bundle::build(&mut conn, form, month, Vec::new(), Vec::new(), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, BuildError::MixedSample { synthetic: 10, real: 1, .. }), "{err}");
    assert!(err.to_string().contains("never a mix"), "{err}");
}

/// A permanent build error (a month that mixes the sample with real
/// filings) fails the paid job at its first attempt and refunds it; the
/// packer does not retry what can never succeed.
async fn a_permanent_build_error_fails_at_once_and_refunds(backend: Backend) {
    use insider_bulk_core::db::billing::{place_generate_order, GenerateOrder, OrderOutcome};
    use insider_bulk_core::db::jobs::recovery::StuckRules;
    use insider_bulk_core::domain::{JobReason, JobState, Tier};
    use insider_bulk_packer::job::Outcome;

    let real = real_filing();
    let (form, month) = (real.submission.document_type.form_type, real.month().expect("a full submission is dated"));
    let fx = common::packer(backend).await;
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, month, 10, 3);
    store_real(&mut conn, &real);
    let account = insider_bulk_core::db::accounts::create(&mut conn, "acme", Tier::Pro, 100).unwrap();
    let mut job = common::job(form, month, JobReason::OnDemand);
    job.account_id = Some(account.id.clone());
    let mut row = job.queued_row();
    row.tokens_charged = 25;
    let order = GenerateOrder {
        account_id: account.id.clone(),
        cost: 25,
        form,
        month,
        job: row,
        idempotency: None,
        stuck_rules: StuckRules::now(std::time::Duration::from_secs(30), true),
    };
    let placed = place_generate_order(&mut conn, &order, |_| String::new()).unwrap();
    assert!(matches!(placed, OrderOutcome::Queued { balance: 75, .. }), "{placed:?}");

    let outcome = fx.packer.run(&job).await.unwrap();
    assert!(matches!(&outcome, Outcome::Failed { error } if error.contains("never a mix")), "{outcome:?}");
    let failed = insider_bulk_core::db::jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 1), "failed at its first attempt");
    let balance = insider_bulk_core::db::accounts::get(&mut conn, &account.id).unwrap().unwrap().balance;
    assert_eq!(balance, 100, "and refunded");
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
    real_load_removes_the_sample_and_its_bundles,
    a_mixed_month_refuses_to_pack,
    a_permanent_build_error_fails_at_once_and_refunds
);
