//! A packer whose lease is taken back mid-run (the sweeper queued the job
//! again because the lease looked expired) stops the run and writes no
//! result: the index keeps what it had and the job row keeps its new owner.

mod common;

use std::time::Duration;

use common::{enqueue, fill, job, month, packer};
use diesel::prelude::*;
use insider_bulk_core::db::schema::jobs as jobs_table;
use insider_bulk_core::db::{bundles, jobs};
use insider_bulk_core::domain::{FormType, JobReason};
use insider_bulk_packer::job::{Outcome, Packer};
use insider_bulk_testing::Backend;

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lease_is_taken_back_stops_and_writes_nothing() {
    let fx = packer(Backend::Postgres).await;
    let (form, m) = (FormType::Form4, month("2025-07"));
    let mut conn = fx.test_db.connect();
    fill(&mut conn, form, m, 6000, 3);
    let job = job(form, m, JobReason::OnDemand);
    enqueue(&fx.packer.db, &job).await;
    // Renewed every half second: the theft is noticed long before the pack ends.
    let short = Packer { lease: Packer::new_lease(Duration::from_secs(1)), ..fx.packer.clone() };
    let run = {
        let (packer, job) = (short.clone(), job.clone());
        tokio::spawn(async move { packer.run(&job).await })
    };
    let mut waited = 0;
    while jobs::get(&mut conn, &job.id).unwrap().unwrap().state != "running" {
        assert!(waited < 600, "the job never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    diesel::update(jobs_table::table.find(&job.id))
        .set(jobs_table::lease_owner.eq(Some("the-next-packer")))
        .execute(&mut conn)
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await.unwrap().unwrap().unwrap();
    assert_eq!(outcome, Outcome::LeaseLost, "the run stopped when its lease was gone");
    assert!(bundles::get(&mut conn, form, m).unwrap().is_none(), "no index row written by a packer without the lease");
    let row = jobs::get(&mut conn, &job.id).unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.lease_owner.as_deref()), ("running", Some("the-next-packer")));
    assert!(row.result_sha256.is_none());
}
