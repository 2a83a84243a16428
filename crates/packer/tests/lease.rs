//! A packer whose lease is taken back mid-run (the sweeper queued the job
//! again because the lease looked expired) stops the run and writes no
//! result: the index keeps what it had and the job row keeps its new owner.

mod common;

use std::time::Duration;

use common::{enqueue, fill, job, job_row_when, packer};
use diesel::prelude::*;
use insider_bulk_core::db::schema::jobs as jobs_table;
use insider_bulk_core::db::{bundles, jobs};
use insider_bulk_core::domain::{FormType, JobReason, JobState};
use insider_bulk_packer::job::{GenerateJob, Outcome, Packer};
use insider_bulk_testing::{month, Backend};

type Run = tokio::task::JoinHandle<Result<Outcome, insider_bulk_packer::job::JobError>>;

/// A 6,000-filing Form 4 month packing on PostgreSQL under a 1 s lease
/// (renewed every half second, so a lost lease is noticed long before the
/// pack ends), returned once the job is running.
async fn running_under_a_short_lease(
    m: insider_bulk_core::domain::Month,
    seed: u64,
) -> (common::Fixture, insider_bulk_core::db::DbConnection, GenerateJob, Run) {
    let fx = packer(Backend::Postgres).await;
    let mut conn = fx.test_db.connect();
    fill(&mut conn, FormType::Form4, m, 6000, seed);
    let job = job(FormType::Form4, m, JobReason::OnDemand);
    enqueue(&fx.packer.db, &job).await;
    let short = Packer { lease: Packer::new_lease(Duration::from_secs(1)), ..fx.packer.clone() };
    let run = {
        let job = job.clone();
        tokio::spawn(async move { short.run(&job).await })
    };
    job_row_when(&mut conn, &job.id, "the job to start", |j| j.state == JobState::Running).await;
    (fx, conn, job, run)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lease_is_taken_back_stops_and_writes_nothing() {
    let (_fx, mut conn, job, run) = running_under_a_short_lease(month("2025-07"), 3).await;
    let (form, m) = (job.form, job.month);
    diesel::update(jobs_table::table.find(&job.id))
        .set(jobs_table::lease_owner.eq(Some("the-next-packer")))
        .execute(&mut conn)
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await.unwrap().unwrap().unwrap();
    assert_eq!(outcome, Outcome::LeaseLost, "the run stopped when its lease was gone");
    assert!(bundles::get(&mut conn, form, m).unwrap().is_none(), "no index row written by a packer without the lease");
    let row = jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!((row.state, row.lease_owner.as_deref()), (JobState::Running, Some("the-next-packer")));
    assert!(row.result_sha256.is_none());
}

/// The database stops answering the packer's renewals (a table lock held
/// past the lease): the packer gives the run up once its lease has run out,
/// before any result is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_cannot_renew_its_lease_gives_it_up() {
    use diesel::connection::SimpleConnection;
    let (fx, mut conn, job, run) = running_under_a_short_lease(month("2025-05"), 4).await;
    let (form, m) = (job.form, job.month);
    let mut blocker = fx.test_db.connect();
    let insider_bulk_core::db::DbConnection::Postgres(pg) = &mut blocker else { unreachable!("a PostgreSQL test") };
    pg.batch_execute("BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE").unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(60), run).await.unwrap().unwrap().unwrap();
    pg.batch_execute("ROLLBACK").unwrap();
    assert_eq!(outcome, Outcome::LeaseLost, "the run stopped once its lease could not be renewed in time");
    assert!(bundles::get(&mut conn, form, m).unwrap().is_none(), "no result written");
    let row = jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!(row.state, JobState::Running, "left for the sweeper, whose lease rule now applies");
}

/// A job handed out `PACKER_MAX_ATTEMPTS` times already (claims and lost
/// messages alike) fails for good at its next delivery, and is refunded.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_past_its_attempts_fails_and_is_refunded() {
    use insider_bulk_core::db::billing::{self, GenerateOrder, OrderOutcome};
    use insider_bulk_core::db::jobs::recovery::StuckRules;
    use insider_bulk_core::db::{accounts, schema::jobs as jobs_table};
    let fx = packer(Backend::Sqlite).await;
    let (form, m) = (FormType::Form3, month("2025-02"));
    let mut conn = fx.test_db.connect();
    let account = accounts::create(&mut conn, "payer", insider_bulk_core::domain::Tier::Pro, 100).unwrap();
    let message = GenerateJob { account_id: Some(account.id.clone()), ..job(form, m, JobReason::OnDemand) };
    let order = GenerateOrder {
        account_id: account.id.clone(),
        cost: 25,
        form,
        month: m,
        job: insider_bulk_core::db::jobs::JobRow { tokens_charged: 25, ..message.queued_row() },
        idempotency: None,
        stuck_rules: StuckRules::now(Duration::from_secs(30), false),
    };
    let placed = billing::place_generate_order(&mut conn, &order, |_| String::new()).unwrap();
    assert!(matches!(placed, OrderOutcome::Queued { balance: 75, .. }));
    diesel::update(jobs_table::table.find(&message.id)).set(jobs_table::attempts.eq(5)).execute(&mut conn).unwrap();

    let outcome = fx.packer.run(&message).await.unwrap();
    assert!(matches!(&outcome, Outcome::Failed { error } if error.contains("gave up after 5 attempts")), "{outcome:?}");
    let row = jobs::get(&mut conn, &message.id).unwrap().unwrap();
    assert_eq!(row.state, JobState::Failed);
    assert_eq!(accounts::get(&mut conn, &account.id).unwrap().unwrap().balance, 100, "refunded");
}
