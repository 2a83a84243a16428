//! A generate call never joins a dead job: when the month's open job is
//! stuck (its message was lost, or its packer's lease ran out), the call
//! queues it again through the outbox and returns it, uncharged; the first
//! charge stands because the job now runs.

mod common;

use std::time::Duration;

use common::TestGateway;
use insider_bulk_core::db::jobs::lease::{self, Claim, Lease};
use insider_bulk_core::db::schema::jobs as jobs_table;
use insider_bulk_core::db::{jobs, now_utc, outbox};
use insider_bulk_core::domain::{JobId, JobState, Month, Tier};
use insider_bulk_core::queue::{JobConsumer, JobQueue};
use insider_bulk_testing::{eventually, Backend};

async fn generate(gw: &TestGateway, key: &str, month: Month) -> serde_json::Value {
    let path = format!("/api/insiders/bulk/form-4/generate/{}/{}", month.year(), month.month());
    let response = gw.http.post(gw.url(&path, key)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn recovered(gw: &TestGateway, reason: &str) -> u64 {
    gw.state.metrics.dispatch.jobs_recovered.with_label_values(&[reason]).get()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_for_a_month_whose_message_was_lost_recovers_the_job() {
    use diesel::prelude::*;
    let gw = TestGateway::builder(Backend::Postgres).start().await;
    let (a, key_a) = gw.account(Tier::Pro, 100).await;
    let (b, key_b) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();

    let first = generate(&gw, &key_a, month).await;
    let id: JobId = first["job_id"].as_str().unwrap().parse().unwrap();
    eventually(Duration::from_secs(10), "the relay to publish", || async {
        gw.db.run(outbox::backlog).await.unwrap().0 == 0
    })
    .await;
    // The message is delivered and dropped on the floor: acked, never run.
    let mut consumer = gw.queue.consume(1).await.unwrap();
    consumer.next().await.unwrap().ack().await.unwrap();
    drop(consumer);
    // The monitor samples the queue every 2 s: wait until it has seen it empty.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Only now does the message count as long lost, so that the call, not
    // the sweeper's next pass (every 5 s), is what finds it.
    let job_id = id.clone();
    gw.db
        .run(move |c| {
            diesel::update(jobs_table::table.find(&job_id))
                .set(jobs_table::dispatched_at.eq(Some(now_utc() - Duration::from_secs(600))))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let before = recovered(&gw, "message_lost");
    let second = generate(&gw, &key_b, month).await;
    assert_eq!(second["job_id"], first["job_id"], "the same job, recovered, not a second one");
    assert_eq!(recovered(&gw, "message_lost"), before + 1, "the call recovered it, and counted it");
    let job_id = id.clone();
    let row = gw.db.run(move |c| jobs::get(c, &job_id)).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (JobState::Queued, 1), "queued again; the lost message counts");
    assert_eq!(gw.balance(&a).await, 75, "the first charge stands");
    assert_eq!(gw.balance(&b).await, 100, "joining is free");
    eventually(Duration::from_secs(10), "the job's message to go out again", || async {
        gw.queue.depth().await.unwrap() == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_for_a_month_whose_packer_died_recovers_the_job() {
    let gw = TestGateway::builder(Backend::Sqlite).start().await;
    let (a, key_a) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    let first = generate(&gw, &key_a, month).await;
    let id: JobId = first["job_id"].as_str().unwrap().parse().unwrap();
    let job_id = id.clone();
    // A packer claims it with a lease that has already run out: it died.
    let dead = Lease { owner: "dead-packer".into(), duration: Duration::ZERO };
    let claim = gw.db.run(move |c| lease::claim(c, &job_id, &dead)).await.unwrap();
    assert!(matches!(claim, Claim::Started(_)));
    // Just past its expiry: the call, not the sweeper's next pass, finds it.
    tokio::time::sleep(Duration::from_millis(3)).await;

    let before = recovered(&gw, "lease_expired");
    let again = generate(&gw, &key_a, month).await;
    assert_eq!(again["job_id"], first["job_id"]);
    assert_eq!(recovered(&gw, "lease_expired"), before + 1, "the call recovered it, and counted it");
    let job_id = id.clone();
    let row = gw.db.run(move |c| jobs::get(c, &job_id)).await.unwrap().unwrap();
    assert_eq!((row.state, row.lease_owner), (JobState::Queued, None), "taken from the dead packer");
    assert_eq!(gw.balance(&a).await, 75, "charged once");
}
