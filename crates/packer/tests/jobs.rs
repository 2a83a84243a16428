//! Jobs end to end on the in-process queue and a local store: pack, skip
//! when unchanged, redelivery, poison messages, a failing store, the cold
//! tier and hydration.

mod common;

use std::time::Duration;

use common::{enqueue, fill, job, job_row_when, packer, relay};
use insider_bulk_core::db::{bundles, jobs, maintenance, now_utc, outbox, superseded};
use insider_bulk_core::domain::{BundleStatus, FormType, JobReason, JobState, Month, StorageTier};
use insider_bulk_core::queue::{JobQueue, MemoryQueue};
use insider_bulk_packer::job::Outcome;
use insider_bulk_packer::{nightly, worker};
use insider_bulk_testing::{files_under, month, Backend};

/// What the nightly CronJob keeps superseded objects for, with the default
/// `DOWNLOAD_URL_SECONDS`.
fn retention() -> Duration {
    nightly::superseded_retention(Duration::from_secs(86_400))
}

#[tokio::test(flavor = "multi_thread")]
async fn packs_then_skips_when_unchanged_and_ignores_redelivery() {
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form4, month("2025-06"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, m, 200, 5);

    let first = job(form, m, JobReason::OnDemand);
    let Outcome::Packed { sha256, .. } = fx.packer.run_now(&first).await.unwrap() else { panic!("first job packs") };
    let row = bundles::get(&mut conn, form, m).unwrap().unwrap();
    assert_eq!(
        (row.sha256.as_str(), row.status, row.storage),
        (sha256.as_str(), BundleStatus::Available, StorageTier::Hot)
    );
    assert_eq!(fx.packer.store.sha256(&row.object_key).await.unwrap(), sha256, "the stored object is the indexed one");
    // The .jsonl.gz beside it: its own object, its sha256 and size in the
    // row, one line per filing.
    let jsonl_sha = fx.packer.store.sha256(&row.jsonl_object_key).await.unwrap();
    assert_eq!(jsonl_sha, row.jsonl_sha256, "the stored .jsonl.gz is the indexed one");
    let jsonl_size = fx.packer.store.size(&row.jsonl_object_key).await.unwrap();
    assert_eq!(jsonl_size, Some(row.jsonl_size_bytes as u64));
    assert!(row.jsonl_object_key.ends_with(".jsonl.gz") && row.jsonl_object_key.starts_with("hot/form-4/2025/"));
    let stored = std::fs::read(fx.store_dir.path().join("bundles").join(&row.jsonl_object_key)).unwrap();
    let mut lines = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(stored.as_slice()), &mut lines).unwrap();
    assert_eq!((lines.lines().count() as i64, row.filing_count), (200, 200), "one line per filing");

    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = job(form, m, JobReason::OnDemand);
    assert_eq!(fx.packer.run_now(&second).await.unwrap(), Outcome::Unchanged { sha256: sha256.clone() });
    let refreshed = bundles::get(&mut conn, form, m).unwrap().unwrap();
    assert!(refreshed.generated_at > row.generated_at, "generated_at refreshed");
    assert_eq!(refreshed.last_job_id.as_ref(), Some(&second.id));

    assert_eq!(
        fx.packer.run(&first).await.unwrap(),
        Outcome::AlreadyFinished,
        "a redelivered finished job does nothing"
    );
    let stored = jobs::get(&mut conn, &first.id).unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (JobState::Succeeded, 1));
    assert_eq!(stored.result_sha256.as_deref(), Some(sha256.as_str()));
    assert_eq!(stored.rows_done, stored.rows_total);
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_dead_letters_poison_and_completes_jobs() {
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form3, month("2025-02"));
    fill(&mut fx.test_db.connect(), form, m, 30, 8);
    let queue = MemoryQueue::new();
    queue.publish(b"\x08\xff\xff not protobuf".to_vec()).await.unwrap();
    let good = job(form, m, JobReason::Nightly);
    enqueue(&fx.packer.db, &good).await;
    let relay = relay(fx.packer.db.clone(), queue.clone());

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let config = worker::WorkerConfig { prefetch: 1, grace: Duration::from_secs(5) };
    let running = tokio::spawn(worker::run(fx.packer.clone(), queue.clone(), config, shutdown));
    let mut conn = fx.test_db.connect();
    job_row_when(&mut conn, &good.id, "the good job to succeed", |j| j.state == JobState::Succeeded).await;
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    relay.stop().await;
    assert_eq!(jobs::get(&mut conn, &good.id).unwrap().unwrap().state, JobState::Succeeded);
    assert_eq!(queue.dead_letters().len(), 1, "the undecodable message is dead-lettered, not retried forever");
    assert_eq!(queue.depth().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_store_leaves_no_object_and_the_job_retries() {
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form4, month("2025-04"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, m, 50, 2);
    // A file where the store needs a directory makes every write fail.
    let blocker = fx.store_dir.path().join("bundles/hot/form-4/2025");
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, b"in the way").unwrap();

    let queue = MemoryQueue::new();
    let attempt = job(form, m, JobReason::OnDemand);
    enqueue(&fx.packer.db, &attempt).await;
    let relay = relay(fx.packer.db.clone(), queue.clone());
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let config = worker::WorkerConfig { prefetch: 1, grace: Duration::from_secs(5) };
    let patient = insider_bulk_packer::job::Packer { max_attempts: 50, ..fx.packer.clone() };
    let running = tokio::spawn(worker::run(patient, queue.clone(), config, shutdown));
    let failing = job_row_when(&mut conn, &attempt.id, "the job to be retried", |j| j.attempts >= 2).await;
    assert!(failing.error.is_some(), "the job shows why it is stuck");
    assert!(bundles::get(&mut conn, form, m).unwrap().is_none(), "no index row for a file that was not stored");
    assert_eq!(files_under(&fx.store_dir.path().join("bundles")), vec![blocker.clone()], "no partial object anywhere");

    std::fs::remove_file(&blocker).unwrap();
    job_row_when(&mut conn, &attempt.id, "the job to succeed once the store works", |j| j.state == JobState::Succeeded)
        .await;
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    relay.stop().await;
    assert_eq!(jobs::get(&mut conn, &attempt.id).unwrap().unwrap().state, JobState::Succeeded);
    assert!(bundles::get(&mut conn, form, m).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn old_months_go_cold_and_a_warm_job_hydrates_them() {
    let fx = packer(Backend::Postgres).await;
    let (form, old) = (FormType::Form5, month("2023-05"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, old, 40, 4);
    let Outcome::Packed { sha256, .. } = fx.packer.run_now(&job(form, old, JobReason::OnDemand)).await.unwrap() else {
        panic!("packs")
    };

    let report = nightly::run(&fx.packer, Month::current(), retention()).await.unwrap();
    assert_eq!(report.moved_to_cold, vec![(form, old)]);
    assert!(report.enqueued.is_empty(), "an old month is not re-packed nightly");
    let cold = bundles::get(&mut conn, form, old).unwrap().unwrap();
    assert_eq!((cold.status, cold.storage), (BundleStatus::Pending, StorageTier::Cold));
    assert!(cold.object_key.starts_with(&format!("cold/form-5/2023/form-5-2023-05.{}.", &sha256[..16])));
    assert_eq!(fx.packer.store.sha256(&cold.object_key).await.unwrap(), sha256);
    // The hot copy stays for downloads already under way until its retention
    // has passed; then the nightly run deletes it.
    // Both files move: the tar.gz and the .jsonl.gz.
    assert!(cold
        .jsonl_object_key
        .starts_with(&format!("cold/form-5/2023/form-5-2023-05.{}.", &cold.jsonl_sha256[..16])));
    assert_eq!(fx.packer.store.sha256(&cold.jsonl_object_key).await.unwrap(), cold.jsonl_sha256);
    let superseded_hot = fx.packer.db.run(|c| superseded::due(c, now_utc())).await.unwrap();
    assert_eq!(superseded_hot.len(), 2, "the hot tar.gz and .jsonl.gz");
    let mut hot_shas = Vec::new();
    for key in &superseded_hot {
        hot_shas.push(fx.packer.store.sha256(key).await.unwrap());
    }
    hot_shas.sort();
    let mut expected = vec![sha256.clone(), cold.jsonl_sha256.clone()];
    expected.sort();
    assert_eq!(hot_shas, expected);
    assert_eq!(nightly::delete_superseded(&fx.packer, std::time::Duration::from_secs(3600)).await.unwrap(), 0);
    let again = nightly::run(&fx.packer, Month::current(), retention()).await.unwrap();
    assert_eq!(again, nightly::NightlyReport::default(), "running it twice does nothing new");
    let last = fx.packer.db.run(|c| maintenance::last_run(c, maintenance::NIGHTLY)).await.unwrap();
    assert!(last.is_some(), "a run that found nothing to do still records that it ran");

    // A warm job for the cold month, in between the purge reading its list
    // and deleting: the hydrated copy is a new key, never the one the purge
    // is about to delete, even though it holds the same bytes.
    let warm = fx.packer.run_now(&job(form, old, JobReason::Warm)).await.unwrap();
    assert_eq!(warm, Outcome::Hydrated { sha256: sha256.clone() });
    let hot = bundles::get(&mut conn, form, old).unwrap().unwrap();
    assert_eq!(
        (hot.status, hot.storage, hot.sha256.as_str()),
        (BundleStatus::Available, StorageTier::Hot, sha256.as_str())
    );
    assert!(!superseded_hot.contains(&hot.object_key), "the same bytes, a new key");
    assert!(!superseded_hot.contains(&hot.jsonl_object_key), "for the .jsonl.gz too");
    assert_eq!(fx.packer.store.sha256(&hot.jsonl_object_key).await.unwrap(), hot.jsonl_sha256);
    assert_eq!(hot.jsonl_sha256, cold.jsonl_sha256);
    for key in &superseded_hot {
        fx.packer.store.delete(key).await.unwrap();
    }
    assert_eq!(fx.packer.store.sha256(&hot.object_key).await.unwrap(), sha256, "the indexed object survives the purge");

    assert_eq!(
        nightly::delete_superseded(&fx.packer, std::time::Duration::ZERO).await.unwrap(),
        4,
        "old hot and cold copies of both files"
    );
    for key in superseded_hot.iter().chain([&cold.object_key, &cold.jsonl_object_key]) {
        assert_eq!(fx.packer.store.size(key).await.unwrap(), None, "{key}");
    }
    assert_eq!(fx.packer.store.sha256(&hot.object_key).await.unwrap(), sha256);
}

#[tokio::test(flavor = "multi_thread")]
async fn nightly_enqueues_changed_recent_months_once() {
    let fx = packer(Backend::Sqlite).await;
    let recent = Month::current();
    let mut conn = fx.test_db.connect();
    fill(&mut conn, FormType::Form4, recent, 20, 1);
    let first = nightly::run(&fx.packer, recent, retention()).await.unwrap();
    assert_eq!(first.enqueued, vec![(FormType::Form4, recent)]);
    let second = nightly::run(&fx.packer, recent, retention()).await.unwrap();
    assert!(second.enqueued.is_empty(), "the open job is not enqueued twice");
    let (waiting, _) = outbox::backlog(&mut conn).unwrap();
    assert_eq!(waiting, 1, "the job went in through the outbox, once");
}

/// A packer killed between its upload and the index switch leaves an
/// object nothing names; the nightly run deletes it once it is older than
/// the retention, and leaves the indexed and the superseded objects alone.
#[tokio::test(flavor = "multi_thread")]
async fn the_nightly_run_deletes_orphaned_objects() {
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form4, month("2025-01"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, m, 20, 9);
    fx.packer.run_now(&job(form, m, JobReason::OnDemand)).await.unwrap();
    let indexed = bundles::get(&mut conn, form, m).unwrap().unwrap().object_key;

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"an upload whose index switch never came").unwrap();
    let orphan = "hot/form-4/2025/form-4-2025-01.0123456789abcdef.00000000000000000000000000000001.tar.gz";
    let superseded_key = "hot/form-4/2025/form-4-2025-01.0123456789abcdef.00000000000000000000000000000002.tar.gz";
    fx.packer.store.put_file(orphan, file.path()).await.unwrap();
    fx.packer.store.put_file(superseded_key, file.path()).await.unwrap();
    superseded::record(&mut conn, superseded_key).unwrap();

    assert_eq!(nightly::delete_orphans(&fx.packer, retention()).await.unwrap(), 0, "too young to be an orphan");
    assert!(fx.packer.store.size(orphan).await.unwrap().is_some());
    assert_eq!(nightly::delete_orphans(&fx.packer, Duration::ZERO).await.unwrap(), 1);
    assert!(fx.packer.store.size(orphan).await.unwrap().is_none(), "the orphan is gone");
    assert!(fx.packer.store.size(&indexed).await.unwrap().is_some(), "the indexed object stays");
    assert!(fx.packer.store.size(superseded_key).await.unwrap().is_some(), "the superseded one waits its turn");
}
