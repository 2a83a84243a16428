//! The watcher killed right after each of its writes (its seen set, a
//! filing, a regeneration's outbox row) and started again, with no
//! operator: the filing is stored once and its month's regeneration is
//! queued once and published.

use std::sync::Mutex;

use actix_web::web;

use crate::fake_edgar::{start, submission, Upstream};
use crate::support::{count, jobs_by_month, wait_for, Env};

async fn killed_after(point: &str) {
    let filing = submission("form4_0000842517-24-000086.txt");
    let upstream = web::Data::new(Mutex::new(Upstream::listing(vec![filing.clone()])));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let mut crashing = env.start(&[("INSIDER_BULK_WATCH_CRASH_AFTER", point)]);
    let status = crashing.exited().await;
    assert!(!status.success(), "{point}: the watcher was meant to die\n{}", crashing.log());
    assert!(crashing.log().contains(&format!("crash point {point}")), "{}", crashing.log());
    let mut conn = env.conn();
    let written = match point {
        "seen" => "SELECT count(*) AS n FROM watch_filings WHERE stored_at IS NULL",
        "filing" => "SELECT count(*) AS n FROM filings",
        _ => "SELECT count(*) AS n FROM outbox",
    };
    assert_eq!(count(&mut conn, written), 1, "{point}: the write before the kill is there");

    let watcher = env.start(&[]);
    let dispatched = "SELECT count(*) AS n FROM jobs WHERE dispatched_at IS NOT NULL";
    wait_for("the month's job published", || (count(&mut conn, dispatched) == 1).then_some(())).await;
    // A few more polls change nothing.
    let polls = upstream.lock().unwrap().feed_requests();
    wait_for("three more polls", || (upstream.lock().unwrap().feed_requests() >= polls + 9).then_some(())).await;
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings"), 1, "{point}");
    assert_eq!(jobs_by_month(&mut conn), vec![(filing.month.clone(), 1)], "{point}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM outbox"), 0, "{point}");
    assert_eq!(env.queue_depth().await, 1, "{point}: one message for the month");
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}

#[actix_web::test]
async fn killed_after_recording_what_it_saw() {
    killed_after("seen").await;
}

#[actix_web::test]
async fn killed_after_storing_a_filing() {
    killed_after("filing").await;
}

#[actix_web::test]
async fn killed_after_queueing_a_regeneration() {
    killed_after("outbox").await;
}
