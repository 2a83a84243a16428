//! `insider-bulk-ingest watch` as its own process, on PostgreSQL and
//! RabbitMQ, against a fake EDGAR on loopback that lists the fixture full
//! submissions in EDGAR's feed format and serves them; broken on purpose
//! in each test of bad input, killed after each of its writes in the kill
//! tests. The parser also reads the two real feed responses as they are.

mod bad_input;
mod fake_edgar;
mod kills;
mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;

use actix_web::web;
use insider_bulk_ingest::watch::feed::parse_feed;
use insider_bulk_testing::fixtures_dir;

use fake_edgar::{start, submissions, Upstream};
use support::{count, jobs_by_month, wait_for, Env};

/// The accessions of a feed's entries of exactly `form`, by a plain scan.
fn scanned(feed: &str, form: &str) -> BTreeSet<String> {
    feed.split("<entry>")
        .skip(1)
        .filter(|e| e.contains(&format!("term=\"{form}\"")))
        .filter_map(|e| e.split("accession-number=").nth(1).map(|a| a[..20].to_owned()))
        .collect()
}

#[test]
fn the_real_feeds_are_read_as_they_are() {
    let path = fixtures_dir().join("getcurrent_form4_2026-09-21.atom");
    let text = std::fs::read_to_string(&path).unwrap();
    let page = parse_feed(text.as_bytes()).unwrap();
    assert_eq!(page.entries, 10);
    let accessions: BTreeSet<String> = page.filings.iter().map(|f| f.accession.as_str().to_owned()).collect();
    assert_eq!(page.filings.len(), 5, "each filing once, though listed as Reporting and as Issuer");
    assert_eq!(accessions, scanned(&text, "4"));
    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    // The folder of the first entry of each filing (the owner's).
    let first = &page.filings[0];
    assert_eq!(first.accession.as_str(), "0001865525-26-000028");
    assert_eq!(first.archive_path(), "Archives/edgar/data/1865525/000186552526000028/0001865525-26-000028.txt");

    let mixed = std::fs::read_to_string(fixtures_dir().join("getcurrent_type4_mixed_2026-09-23.atom")).unwrap();
    let page = parse_feed(mixed.as_bytes()).unwrap();
    assert_eq!(page.entries, 40);
    let kept: BTreeSet<String> = page.filings.iter().map(|f| f.accession.as_str().to_owned()).collect();
    assert_eq!(kept, scanned(&mixed, "4"), "only the exact form 4 entries; 424B2, 485BXT and 497J drop out");
    assert!(page.filings.iter().all(|f| f.document_type.to_string() == "4"));
    assert_eq!(page.other_accessions.len(), 34);
}

#[actix_web::test]
async fn new_filings_are_stored_once_and_their_months_queued_once() {
    let subs = submissions();
    let upstream = web::Data::new(Mutex::new(Upstream::listing(subs.clone())));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let mut watcher = env.start(&[]);
    let mut conn = env.conn();
    let stored = "SELECT count(*) AS n FROM watch_filings WHERE stored_at IS NOT NULL";
    wait_for("every listed filing stored", || (count(&mut conn, stored) == 5).then_some(())).await;
    let dispatched = "SELECT count(*) AS n FROM jobs WHERE dispatched_at IS NOT NULL";
    wait_for("the four months' jobs published", || (count(&mut conn, dispatched) == 4).then_some(())).await;
    // More polls: nothing new, nothing fetched or queued again.
    let polls = upstream.lock().unwrap().feed_requests();
    wait_for("three more polls", || (upstream.lock().unwrap().feed_requests() >= polls + 9).then_some(())).await;

    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings"), 5);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings WHERE first_seen_at IS NOT NULL"), 5);
    // Acceptance and filing date come from the header (13:07:22 EDT).
    let header = "SELECT count(*) AS n FROM filings WHERE accession_number = '0000842517-24-000086' \
                  AND accepted_at = '2024-05-01 17:07:22' AND filing_date = '2024-05-01'";
    assert_eq!(count(&mut conn, header), 1);
    let months: BTreeSet<String> = subs.iter().map(|s| s.month.clone()).collect();
    let jobs = jobs_by_month(&mut conn);
    assert_eq!(jobs.iter().map(|(m, _)| m.clone()).collect::<BTreeSet<_>>(), months);
    assert!(jobs.iter().all(|(_, n)| *n == 1), "one regeneration a month: {jobs:?}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM jobs WHERE account_id IS NOT NULL"), 0, "system jobs");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM outbox"), 0);
    assert_eq!(env.queue_depth().await, 4);
    {
        let up = upstream.lock().unwrap();
        for s in &subs {
            assert_eq!(up.document_requests(&s.accession), 1, "{} fetched once", s.accession);
        }
        assert_eq!(up.user_agents, BTreeSet::from(["insider-bulk tests test@example.com".to_owned()]));
    }
    assert_eq!(watcher.metric("insider_bulk_watch_filings_stored_total").await, 5.0);
    assert_eq!(watcher.metric("insider_bulk_watch_regenerations_total{outcome=\"queued\"}").await, 4.0);
    assert!(watcher.metric("insider_bulk_watch_last_success_timestamp_seconds").await > 0.0);
    assert!(watcher.log().contains("stored a filing from the feed"), "{}", watcher.log());
    let status = watcher.terminate().await;
    assert!(status.success(), "SIGTERM stops it cleanly\n{}", watcher.log());
    assert!(watcher.log().contains("stopped"), "{}", watcher.log());
    server.stop(true).await;
    env.cleanup().await;
}

/// A burst into one month queues one regeneration at once and, while it
/// waits, the month's later filings are covered by it; a filing after the
/// job has run gets a regeneration of its own after the debounce.
#[actix_web::test]
async fn a_month_is_regenerated_at_most_once_per_debounce_and_after_the_last_filing() {
    let subs = submissions();
    let january: Vec<_> = subs.iter().filter(|s| s.month == "2025-01").cloned().collect();
    assert_eq!(january.len(), 2);
    let upstream = web::Data::new(Mutex::new(Upstream::listing(vec![january[0].clone()])));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let watcher = env.start(&[("REGENERATE_DEBOUNCE_SECONDS", "3")]);
    let mut conn = env.conn();
    let dispatched = "SELECT count(*) AS n FROM jobs WHERE dispatched_at IS NOT NULL";
    wait_for("the first job published", || (count(&mut conn, dispatched) == 1).then_some(())).await;
    // The job ran (as a packer would finish it): the next filing needs a new one.
    diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE jobs SET state = 'succeeded'"), &mut conn).unwrap();
    {
        let mut up = upstream.lock().unwrap();
        up.listed.insert(0, january[1].clone());
        up.documents.insert(january[1].accession.clone(), january[1].text.clone());
    }
    wait_for("the second job published", || (count(&mut conn, dispatched) == 2).then_some(())).await;
    let gap = "SELECT count(*) AS n FROM jobs a JOIN jobs b ON a.id < b.id \
               WHERE abs(extract(epoch FROM b.queued_at - a.queued_at)) < 3";
    assert_eq!(count(&mut conn, gap), 0, "two jobs of the month within the debounce");
    assert_eq!(jobs_by_month(&mut conn), vec![("2025-01".to_owned(), 2)]);
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}

/// Two replicas: one polls, the other holds back on the lock and takes
/// over when the first dies.
#[actix_web::test]
async fn a_second_replica_stands_by_and_takes_over() {
    let subs = submissions();
    let upstream = web::Data::new(Mutex::new(Upstream::listing(vec![subs[0].clone()])));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let mut first = env.start(&[]);
    first.logged("took the watcher lock").await;
    let second = env.start(&[]);
    second.logged("another watcher holds the lock").await;
    let mut conn = env.conn();
    let stored = "SELECT count(*) AS n FROM filings";
    wait_for("the first filing stored", || (count(&mut conn, stored) == 1).then_some(())).await;
    first.kill();
    second.logged("took the watcher lock").await;
    {
        let mut up = upstream.lock().unwrap();
        up.listed.insert(0, subs[1].clone());
        up.documents.insert(subs[1].accession.clone(), subs[1].text.clone());
    }
    wait_for("the second filing stored by the new leader", || (count(&mut conn, stored) == 2).then_some(())).await;
    assert_eq!(second.metric("insider_bulk_watch_leader").await, 1.0);
    drop(second);
    server.stop(true).await;
    env.cleanup().await;
}
