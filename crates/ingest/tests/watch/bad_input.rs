//! Bad input from EDGAR: each case ends in a log line and a metric, and in
//! every filing stored once.

use std::process::Command;
use std::sync::Mutex;

use actix_web::web;
use insider_bulk_testing::fixtures_dir;

use crate::fake_edgar::{start, submission, submissions, Upstream};
use crate::support::{count, wait_for, Env};

fn stored_once(conn: &mut insider_bulk_core::db::DbConnection, accession: &str) -> bool {
    count(conn, &format!("SELECT count(*) AS n FROM filings WHERE accession_number = '{accession}'")) == 1
}

#[actix_web::test]
async fn feeds_that_are_not_xml_or_cut_off_and_entries_without_an_accession() {
    let subs = submissions();
    let mut upstream = Upstream::listing(subs[..2].to_vec());
    let real = std::fs::read(fixtures_dir().join("getcurrent_form4_2026-09-21.atom")).unwrap();
    upstream.bad_feeds = vec![
        b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>".to_vec(),
        real[..real.len() / 2].to_vec(),
    ];
    upstream.extra_entries = vec!["<entry><title>4 - NOBODY (0000000001) (Reporting)</title>\
         <link rel=\"alternate\" href=\"https://www.sec.gov/Archives/edgar/data/1/x/x-index.htm\"/>\
         <category scheme=\"https://www.sec.gov/\" label=\"form type\" term=\"4\"/>\
         <id>urn:tag:sec.gov,2008:filing</id></entry>\n"
        .into()];
    let upstream = web::Data::new(Mutex::new(upstream));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let watcher = env.start(&[]);
    watcher.metric_reaches("insider_bulk_watch_feed_errors_total{reason=\"not_xml\"}", 2.0).await;
    watcher.logged("the feed could not be read this poll").await;
    watcher.metric_reaches("insider_bulk_watch_entries_unreadable_total", 1.0).await;
    watcher.logged("a feed entry was skipped").await;
    let mut conn = env.conn();
    wait_for("both filings stored", || (count(&mut conn, "SELECT count(*) AS n FROM filings") == 2).then_some(()))
        .await;
    watcher.metric_reaches("insider_bulk_watch_polls_total{outcome=\"ok\"}", 1.0).await;
    assert!(subs[..2].iter().all(|s| stored_once(&mut conn, &s.accession)));
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM watch_filings"),
        2,
        "the entry without accession is not one"
    );
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}

#[actix_web::test]
async fn documents_that_404_then_appear_or_come_as_an_html_page_or_cut_off() {
    let subs = submissions();
    let mut upstream = Upstream::listing(subs[..3].to_vec());
    upstream.not_yet.insert(subs[0].accession.clone(), 2);
    upstream.html_first.insert(subs[1].accession.clone(), 1);
    upstream.truncated_first.insert(subs[2].accession.clone(), 1);
    let upstream = web::Data::new(Mutex::new(upstream));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let watcher = env.start(&[]);
    let mut conn = env.conn();
    wait_for("all three stored", || (count(&mut conn, "SELECT count(*) AS n FROM filings") == 3).then_some(())).await;
    assert!(subs[..3].iter().all(|s| stored_once(&mut conn, &s.accession)));
    for (reason, at_least) in [("not_found", 2.0), ("html", 1.0), ("truncated", 1.0)] {
        let series = format!("insider_bulk_watch_document_retries_total{{reason=\"{reason}\"}}");
        assert!(watcher.metric(&series).await >= at_least, "{series}\n{}", watcher.log());
    }
    assert_eq!(watcher.metric("insider_bulk_watch_documents_left_total").await, 0.0);
    assert!(watcher.log().contains("the document is not there yet: asking again later"), "{}", watcher.log());
    assert_eq!(upstream.lock().unwrap().document_requests(&subs[0].accession), 3, "two 404s, then the text");
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}

#[actix_web::test]
async fn a_storm_of_429s_is_ridden_out_with_nothing_lost_or_loaded_twice() {
    let subs = submissions();
    let mut upstream = Upstream::listing(subs.clone());
    // More than the client's attempts at one request: a poll fails too.
    upstream.throttle = 12;
    let upstream = web::Data::new(Mutex::new(upstream));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let watcher = env.start(&[]);
    let mut conn = env.conn();
    wait_for("every filing stored", || (count(&mut conn, "SELECT count(*) AS n FROM filings") == 5).then_some(()))
        .await;
    assert!(subs.iter().all(|s| stored_once(&mut conn, &s.accession)));
    watcher.metric_reaches("insider_bulk_watch_throttled_total", 12.0).await;
    assert!(watcher.log().contains("EDGAR throttled this client (HTTP 429)"), "{}", watcher.log());
    assert!(watcher.log().contains("EDGAR is throttling the watcher"), "{}", watcher.log());
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}

/// One document never comes and one filing is never listed: the watcher
/// gives up on the first (counted, logged) and never sees the second; the
/// nightly reconciliation loads both from the days' form indexes and
/// counts them as missed by the feed.
#[actix_web::test]
async fn what_the_feed_never_delivers_the_reconciliation_loads_and_counts() {
    let listed = submission("form4_0001127602-25-001055.txt");
    let skipped = submission("form4A_0000707549-25-000004.txt");
    let stored = submission("form4_0000842517-24-000086.txt");
    let mut upstream = Upstream::listing(vec![listed.clone(), stored.clone()]);
    upstream.documents.remove(&listed.accession);
    upstream.documents.insert(skipped.accession.clone(), skipped.text.clone());
    upstream.documents.insert(listed.accession.clone(), listed.text.clone());
    upstream.not_yet.insert(listed.accession.clone(), 1_000);
    upstream.indexed = vec![listed.clone(), skipped.clone()];
    let upstream = web::Data::new(Mutex::new(upstream));
    let (port, server) = start(upstream.clone());
    let mut env = Env::new(port);
    let watcher = env.start(&[]);
    watcher.metric_reaches("insider_bulk_watch_documents_left_total", 1.0).await;
    watcher.logged("gave up on the document for now").await;
    let mut conn = env.conn();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings"), 1);
    upstream.lock().unwrap().not_yet.clear();

    let url = env.db.url.to_string();
    let base = format!("http://127.0.0.1:{port}/");
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(["edgar", "--from", "2025-01-10", "--to", "2025-01-21", "--base-url", &base])
            .args(["--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("2025-01-10: found 1, loaded 1") && stdout.contains("missed by the feed 1"), "{stdout}");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM filings"), 3);
    assert_eq!(count(&mut conn, "SELECT coalesce(sum(missed_by_watch), 0)::bigint AS n FROM edgar_days"), 2);
    let reconciled = format!(
        "SELECT count(*) AS n FROM watch_filings WHERE accession_number = '{}' AND reconciled_at IS NOT NULL",
        listed.accession
    );
    assert_eq!(count(&mut conn, &reconciled), 1);
    watcher.metric_reaches("insider_bulk_watch_missed_total", 2.0).await;
    drop(watcher);
    server.stop(true).await;
    env.cleanup().await;
}
