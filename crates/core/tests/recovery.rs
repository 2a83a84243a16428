//! Leases and the sweeper's rules, on both backends: which open jobs count
//! as stuck, what a recovery writes, and that concurrent sweeps on
//! PostgreSQL recover each job once.

use std::time::Duration;

use diesel::prelude::*;
use insider_bulk_core::db::jobs::lease::{self, Claim, Lease};
use insider_bulk_core::db::jobs::recovery::{self, StuckRules};
use insider_bulk_core::db::jobs::{self, JobRow};
use insider_bulk_core::db::schema::{jobs as jobs_table, outbox as outbox_table};
use insider_bulk_core::db::{now_utc, outbox, DbConnection};
use insider_bulk_core::domain::{FormType, JobId, JobReason, JobState, Month, RecoveryReason};
use insider_bulk_testing::{Backend, TestDatabase};

fn lease(owner: &str, seconds: u64) -> Lease {
    Lease { owner: owner.into(), duration: Duration::from_secs(seconds) }
}

fn new_job(conn: &mut DbConnection, month: &str) -> JobId {
    let id = JobId::random();
    let month: Month = month.parse().unwrap();
    jobs::enqueue(conn, &JobRow::queued(id.clone(), FormType::Form4, month, JobReason::Nightly, now_utc())).unwrap();
    id
}

/// What the relay does once the broker confirmed: the outbox row goes and
/// the job is stamped as dispatched `ago`.
fn dispatched(conn: &mut DbConnection, id: &JobId, ago: Duration) {
    let row: i64 =
        outbox_table::table.filter(outbox_table::job_id.eq(id)).select(outbox_table::id).first(conn).unwrap();
    outbox::confirmed(conn, row, id, now_utc()).unwrap();
    diesel::update(jobs_table::table.find(id))
        .set(jobs_table::dispatched_at.eq(Some(now_utc() - ago)))
        .execute(conn)
        .unwrap();
}

fn waiting_messages(conn: &mut DbConnection, id: &JobId) -> i64 {
    outbox_table::table.filter(outbox_table::job_id.eq(id)).count().get_result(conn).unwrap()
}

fn rules(idle: bool) -> StuckRules {
    StuckRules::now(Duration::from_secs(30), idle)
}

fn leases_admit_one_holder(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let id = new_job(&mut conn, "2024-01");
    let (a, b) = (lease("a", 60), lease("b", 60));
    let Claim::Started(row) = lease::claim(&mut conn, &id, &a).unwrap() else { panic!("the first claim starts it") };
    assert_eq!((row.attempts, row.lease_owner.as_deref()), (1, Some("a")));
    assert_eq!(lease::claim(&mut conn, &id, &b).unwrap(), Claim::HeldElsewhere, "a live lease is not taken");
    assert!(!lease::renew(&mut conn, &id, &b, 1, 2).unwrap(), "only the holder renews");
    assert!(!lease::succeed(&mut conn, &id, "b", "sha").unwrap(), "only the holder writes the result");
    assert!(lease::renew(&mut conn, &id, &a, 5, 10).unwrap());
    assert_eq!(jobs::get(&mut conn, &id).unwrap().unwrap().rows_done, 5);
    assert!(lease::succeed(&mut conn, &id, "a", "sha").unwrap());
    assert_eq!(lease::claim(&mut conn, &id, &b).unwrap(), Claim::Finished, "a duplicate message finds it done");
    assert_eq!(lease::claim(&mut conn, &"no-such-job".parse().unwrap(), &b).unwrap(), Claim::Missing);

    // An expired lease can be claimed by the next delivery.
    let other = new_job(&mut conn, "2024-02");
    dispatched(&mut conn, &other, Duration::ZERO);
    let Claim::Started(_) = lease::claim(&mut conn, &other, &lease("a", 0)).unwrap() else { panic!() };
    std::thread::sleep(Duration::from_millis(20));
    let Claim::Started(row) = lease::claim(&mut conn, &other, &b).unwrap() else { panic!("an expired lease is free") };
    assert_eq!((row.attempts, row.lease_owner.as_deref()), (2, Some("b")));
    assert!(!lease::retry_later(&mut conn, &other, "a", "late", Duration::ZERO).unwrap(), "a's lease is gone");
    assert!(lease::retry_later(&mut conn, &other, "b", "broken", Duration::from_secs(60)).unwrap());
    let row = jobs::get(&mut conn, &other).unwrap().unwrap();
    assert_eq!((row.state, row.lease_owner, row.error.as_deref()), (JobState::Queued, None, Some("broken")));
    assert_eq!(waiting_messages(&mut conn, &other), 1, "the retry waits in the outbox");
}

fn the_sweeper_recovers_what_is_stuck_and_nothing_else(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let expired = new_job(&mut conn, "2024-01");
    dispatched(&mut conn, &expired, Duration::ZERO);
    let Claim::Started(_) = lease::claim(&mut conn, &expired, &lease("dead", 0)).unwrap() else { panic!() };
    let live = new_job(&mut conn, "2024-02");
    dispatched(&mut conn, &live, Duration::ZERO);
    let Claim::Started(_) = lease::claim(&mut conn, &live, &lease("alive", 600)).unwrap() else { panic!() };
    let waiting = new_job(&mut conn, "2024-03"); // still in the outbox: the relay has it
    let fresh = new_job(&mut conn, "2024-04");
    dispatched(&mut conn, &fresh, Duration::from_secs(5));
    let lost = new_job(&mut conn, "2024-05");
    dispatched(&mut conn, &lost, Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(20));

    // The queue still holds messages and nothing later was claimed: the
    // old dispatch may be waiting in line.
    let swept = recovery::sweep(&mut conn, &rules(false), 100).unwrap();
    assert_eq!(
        swept.iter().map(|r| (r.job_id.as_str(), r.reason)).collect::<Vec<_>>(),
        vec![(expired.as_str(), RecoveryReason::LeaseExpired)]
    );
    let row = jobs::get(&mut conn, &expired).unwrap().unwrap();
    assert_eq!((row.state, row.lease_owner, row.attempts), (JobState::Queued, None, 1), "the claim counted");
    assert_eq!(waiting_messages(&mut conn, &expired), 1, "re-published through the outbox");
    assert!(recovery::sweep(&mut conn, &rules(false), 100).unwrap().is_empty(), "recovered once");

    // An idle queue: the old dispatch was lost; the fresh one is not yet.
    let swept = recovery::sweep(&mut conn, &rules(true), 100).unwrap();
    assert_eq!(
        swept.iter().map(|r| (r.job_id.as_str(), r.reason)).collect::<Vec<_>>(),
        vec![(lost.as_str(), RecoveryReason::MessageLost)]
    );
    let row = jobs::get(&mut conn, &lost).unwrap().unwrap();
    assert_eq!((row.state, row.attempts, row.dispatched_at), (JobState::Queued, 1, None), "a lost message counts");
    assert_eq!(waiting_messages(&mut conn, &lost), 1);
    for untouched in [&live, &waiting, &fresh] {
        let row = jobs::get(&mut conn, untouched).unwrap().unwrap();
        assert_eq!(row.attempts, i32::from(untouched == &live), "{untouched} was left alone");
    }
}

fn first_in_first_out_evidence_finds_a_loss_in_a_busy_queue(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let lost = new_job(&mut conn, "2024-01");
    dispatched(&mut conn, &lost, Duration::from_secs(120));
    let later = new_job(&mut conn, "2024-02");
    dispatched(&mut conn, &later, Duration::from_secs(100));
    // Stamped two seconds before `later`: too close to say which came
    // first in the queue (relays stamp batches, several publish at once).
    let close = new_job(&mut conn, "2024-03");
    dispatched(&mut conn, &close, Duration::from_secs(102));
    let Claim::Started(_) = lease::claim(&mut conn, &later, &lease("p", 600)).unwrap() else { panic!() };
    // Claimed, but only just: not yet evidence.
    assert!(recovery::sweep(&mut conn, &rules(false), 100).unwrap().is_empty());
    diesel::update(jobs_table::table.find(&later))
        .set(jobs_table::started_at.eq(Some(now_utc() - Duration::from_secs(60))))
        .execute(&mut conn)
        .unwrap();
    let swept = recovery::sweep(&mut conn, &rules(false), 100).unwrap();
    assert_eq!(swept.len(), 1);
    assert_eq!((swept[0].job_id.as_str(), swept[0].reason), (lost.as_str(), RecoveryReason::MessageLost));
}

fn a_stuck_job_is_recovered_on_demand_and_a_restart_requeues_every_open_job(backend: Backend) {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let stuck = new_job(&mut conn, "2024-01");
    dispatched(&mut conn, &stuck, Duration::from_secs(120));
    let other = new_job(&mut conn, "2024-02");
    dispatched(&mut conn, &other, Duration::from_secs(120));
    let row = jobs::get(&mut conn, &stuck).unwrap().unwrap();
    let found = recovery::recover_if_stuck(&mut conn, &row, &rules(true)).unwrap();
    assert_eq!(found.map(|r| r.reason), Some(RecoveryReason::MessageLost));
    assert_eq!(waiting_messages(&mut conn, &other), 0, "only the job asked about");

    let running = new_job(&mut conn, "2024-03");
    dispatched(&mut conn, &running, Duration::ZERO);
    let Claim::Started(_) = lease::claim(&mut conn, &running, &lease("previous-run", 600)).unwrap() else { panic!() };
    let mut restarted = recovery::recover_after_restart(&mut conn).unwrap();
    restarted.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    let mut expected = vec![other.clone(), running.clone()];
    expected.sort();
    assert_eq!(restarted.iter().map(|r| r.job_id.clone()).collect::<Vec<_>>(), expected);
    assert!(restarted.iter().all(|r| r.reason == RecoveryReason::ProcessRestart));
    assert_eq!(jobs::get(&mut conn, &running).unwrap().unwrap().state, JobState::Queued);
}

#[test]
fn leases_admit_one_holder_on_sqlite() {
    leases_admit_one_holder(Backend::Sqlite);
}

#[test]
fn leases_admit_one_holder_on_postgres() {
    leases_admit_one_holder(Backend::Postgres);
}

#[test]
fn the_sweeper_recovers_what_is_stuck_and_nothing_else_on_sqlite() {
    the_sweeper_recovers_what_is_stuck_and_nothing_else(Backend::Sqlite);
}

#[test]
fn the_sweeper_recovers_what_is_stuck_and_nothing_else_on_postgres() {
    the_sweeper_recovers_what_is_stuck_and_nothing_else(Backend::Postgres);
}

#[test]
fn first_in_first_out_evidence_on_sqlite() {
    first_in_first_out_evidence_finds_a_loss_in_a_busy_queue(Backend::Sqlite);
}

#[test]
fn first_in_first_out_evidence_on_postgres() {
    first_in_first_out_evidence_finds_a_loss_in_a_busy_queue(Backend::Postgres);
}

#[test]
fn recovery_on_demand_and_after_restart_on_sqlite() {
    a_stuck_job_is_recovered_on_demand_and_a_restart_requeues_every_open_job(Backend::Sqlite);
}

#[test]
fn recovery_on_demand_and_after_restart_on_postgres() {
    a_stuck_job_is_recovered_on_demand_and_a_restart_requeues_every_open_job(Backend::Postgres);
}

/// Four sweepers at once over 200 stuck jobs: each job recovered once,
/// with one outbox row.
#[test]
fn concurrent_sweeps_on_postgres_recover_each_job_once() {
    let db = TestDatabase::new(Backend::Postgres);
    let mut conn = db.connect();
    let mut ids = Vec::new();
    for n in 0..200 {
        let month = format!("{}-{:02}", 2004 + n / 12, n % 12 + 1);
        let id = new_job(&mut conn, &month);
        dispatched(&mut conn, &id, Duration::from_secs(120));
        ids.push(id);
    }
    let sweeps: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = DbConnection::open(&url).unwrap();
                let mut mine = Vec::new();
                loop {
                    let batch = recovery::sweep(&mut conn, &rules(true), 7).unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|r| r.job_id));
                }
            })
        })
        .collect();
    let mut recovered: Vec<JobId> = sweeps.into_iter().flat_map(|s| s.join().unwrap()).collect();
    recovered.sort();
    ids.sort();
    assert_eq!(recovered, ids, "every job recovered exactly once");
    let rows: i64 = outbox_table::table.count().get_result(&mut conn).unwrap();
    assert_eq!(rows, 200, "one outbox row each");
    let attempts: Vec<i32> = jobs_table::table.select(jobs_table::attempts).load(&mut conn).unwrap();
    assert!(attempts.iter().all(|&a| a == 1), "one attempt counted each: {attempts:?}");
}
