//! The job, index, account and ledger rows hold domain types, on both
//! backends: they are stored as the same text and numbers as before, read
//! back as the types, and a stored value the type refuses is an error that
//! names it, not a string handed on.

use diesel::prelude::*;
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::jobs::{self, JobRow};
use insider_bulk_core::db::schema::{
    bundles as bundles_table, jobs as jobs_table, ledger as ledger_table, superseded_objects,
};
use insider_bulk_core::db::{accounts, now_utc, DbError};
use insider_bulk_core::domain::{BundleStatus, FormType, JobId, JobReason, LedgerKind, Month, StorageTier, Tier};
use insider_bulk_testing::{Backend, TestDatabase};

/// A row that did not deserialize; its message names the field, and its
/// sources the value.
fn is_deserialize_error_naming(err: &DbError, field: &str, value: &str) -> bool {
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        chain = format!("{chain}: {e}");
        source = e.source();
    }
    matches!(err, DbError::Query(diesel::result::Error::DeserializationError(_)))
        && err.to_string().contains(field)
        && chain.contains(value)
}

fn rows_are_typed(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let month: Month = "2024-02".parse().unwrap();

    let job = JobRow::queued(JobId::random(), FormType::Form5, month, JobReason::Warm, now_utc());
    jobs::enqueue(&mut conn, &job).unwrap();
    assert_eq!(jobs::get(&mut conn, &job.id).unwrap().as_ref(), Some(&job));
    assert_eq!(jobs::open_for_month(&mut conn, FormType::Form5, month).unwrap().map(|j| j.id), Some(job.id.clone()));
    let stored: (i32, String, String, String) = jobs_table::table
        .find(&job.id)
        .select((jobs_table::form_type, jobs_table::period_month, jobs_table::reason, jobs_table::state))
        .first(&mut conn)
        .unwrap();
    assert_eq!(stored, (5, "2024-02".into(), "warm".into(), "queued".into()), "the columns hold what they held");

    let bundle = BundleRow {
        form_type: FormType::Form5,
        period_month: month,
        status: BundleStatus::Pending,
        storage: StorageTier::Cold,
        file_name: format!("form-5-{month}.tar.gz"),
        object_key: "cold/a".into(),
        generated_at: now_utc(),
        sha256: "0".repeat(64),
        size_bytes: 1,
        filing_count: 1,
        row_count: 1,
        source_fingerprint: "f".repeat(64),
        last_job_id: Some(job.id.clone()),
        synthetic: false,
        jsonl_object_key: "cold/a.jsonl".into(),
        jsonl_sha256: "1".repeat(64),
        jsonl_size_bytes: 2,
    };
    bundles::upsert(&mut conn, &bundle).unwrap();
    assert_eq!(bundles::get(&mut conn, FormType::Form5, month).unwrap().as_ref(), Some(&bundle));
    bundles::set_tier(&mut conn, FormType::Form5, month, StorageTier::Hot, ("hot/a", "hot/a.jsonl")).unwrap();
    let hot = bundles::get(&mut conn, FormType::Form5, month).unwrap().unwrap();
    assert_eq!(
        (hot.status, hot.storage, hot.object_key.as_str(), hot.jsonl_object_key.as_str()),
        (BundleStatus::Available, StorageTier::Hot, "hot/a", "hot/a.jsonl")
    );
    let superseded: Vec<String> =
        superseded_objects::table.select(superseded_objects::object_key).load(&mut conn).unwrap();
    assert_eq!(superseded, ["cold/a", "cold/a.jsonl"], "both files' copies in the other tier are superseded");
    let stored: (String, String) =
        bundles_table::table.select((bundles_table::status, bundles_table::storage)).first(&mut conn).unwrap();
    assert_eq!(stored, ("available".into(), "hot".into()));

    let account = accounts::create(&mut conn, "typed", Tier::Enterprise, 10).unwrap();
    assert_eq!(accounts::get(&mut conn, &account.id).unwrap().map(|a| a.tier), Some(Tier::Enterprise));
    let kinds: Vec<LedgerKind> =
        accounts::ledger(&mut conn, &account.id).unwrap().iter().map(|e| e.entry_kind).collect();
    assert_eq!(kinds, [LedgerKind::Grant]);
    let stored: String = ledger_table::table.select(ledger_table::entry_kind).first(&mut conn).unwrap();
    assert_eq!(stored, "grant");

    // The month columns have no CHECK: a value written around the types
    // is refused when it is read.
    diesel::update(jobs_table::table.find(&job.id))
        .set(jobs_table::period_month.eq("2024-2"))
        .execute(&mut conn)
        .unwrap();
    let err = jobs::get(&mut conn, &job.id).unwrap_err();
    assert!(is_deserialize_error_naming(&err, "period_month", "\"2024-2\""), "{err}");
    diesel::update(bundles_table::table).set(bundles_table::period_month.eq("02/2024")).execute(&mut conn).unwrap();
    let err = bundles::list(&mut conn, FormType::Form5).unwrap_err();
    assert!(is_deserialize_error_naming(&err, "period_month", "\"02/2024\""), "{err}");
}

#[test]
fn rows_are_typed_on_sqlite() {
    rows_are_typed(Backend::Sqlite);
}

#[test]
fn rows_are_typed_on_postgres() {
    rows_are_typed(Backend::Postgres);
}
