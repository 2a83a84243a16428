//! The one-process service with `EDGAR_WATCH=true`: a filing listed in a
//! fake EDGAR's current-filings feed (on loopback, serving a fixture full
//! submission) reaches its month's bundle in index.json with no other
//! process and no operator, in place of the first-start sample; and does
//! so once when the service is killed right after each of the watcher's
//! writes (what it saw, the filing, the regeneration's outbox row) and
//! started again.

mod common;

use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::{binary, free_port, Process};
use insider_bulk_testing::{eventually_ok, fixtures_dir};

const ACCESSION: &str = "0000842517-24-000086";

/// EDGAR's feed listing the fixture submission once as the owner's and
/// once as the issuer's, and the submission at the link's folder.
async fn edgar(req: HttpRequest) -> HttpResponse {
    if req.path() == "/cgi-bin/browse-edgar" {
        let entries = if req.query_string().contains("type=4&") {
            ["1484108", "842517"]
                .iter()
                .map(|cik| {
                    format!(
                        "<entry><title>4 - X ({cik}) (Reporting)</title>\
                         <link rel=\"alternate\" href=\"https://www.sec.gov/Archives/edgar/data/{cik}/000084251724000086/{ACCESSION}-index.htm\"/>\
                         <category scheme=\"https://www.sec.gov/\" label=\"form type\" term=\"4\"/>\
                         <id>urn:tag:sec.gov,2008:accession-number={ACCESSION}</id></entry>"
                    )
                })
                .collect::<String>()
        } else {
            String::new()
        };
        let feed = format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?><feed xmlns=\"http://www.w3.org/2005/Atom\">{entries}</feed>");
        return HttpResponse::Ok().body(feed);
    }
    if req.path().ends_with(&format!("/000084251724000086/{ACCESSION}.txt")) {
        return HttpResponse::Ok().body(std::fs::read(fixtures_dir().join(format!("form4_{ACCESSION}.txt"))).unwrap());
    }
    HttpResponse::NotFound().finish()
}

fn start_edgar() -> (u16, actix_web::dev::ServerHandle) {
    let server =
        HttpServer::new(|| App::new().default_service(web::to(edgar))).workers(1).bind(("127.0.0.1", 0)).unwrap();
    let port = server.addrs()[0].port();
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);
    (port, handle)
}

fn service_env(port: u16, edgar_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("GATEWAY_ADDR", format!("127.0.0.1:{port}")),
        ("EDGAR_WATCH", "true".into()),
        ("EDGAR_USER_AGENT", "insider-bulk tests test@example.com".into()),
        ("EDGAR_BASE_URL", format!("http://127.0.0.1:{edgar_port}/")),
        ("EDGAR_WATCH_POLL_SECONDS", "1".into()),
        // These tests read index.json in a loop: its price is tested elsewhere.
        ("COST_INDEX", "0".into()),
    ]
}

/// The fixture's month (2024-05) in index.json once its bundle is available
/// with the filing, and the index.
async fn bundled_entry(port: u16, key: &str, service: &Process) -> (serde_json::Value, serde_json::Value) {
    let http = reqwest::Client::new();
    let index_url = format!("http://127.0.0.1:{port}/api/insiders/bulk/form-4/index.json?api_Token={key}");
    let bundled = || async {
        // A service just restarted may not listen yet.
        let answer = http.get(&index_url).send().await.map_err(|e| e.to_string())?;
        let index: serde_json::Value = answer.json().await.unwrap();
        let may = index["files"].as_array().unwrap().iter().find(|e| e["year"] == 2024 && e["month"] == 5).cloned();
        match may {
            Some(e) if e["status"] == "available" && e["filing_count"] == 1 => Ok((e, index)),
            other => Err(format!("{other:?}")),
        }
    };
    let what = "the fixture's month in index.json with its filing";
    eventually_ok(Duration::from_secs(120), what, bundled, || service.log_text()).await
}

#[actix_web::test]
async fn a_filing_in_the_feed_reaches_index_json() {
    let (edgar_port, handle) = start_edgar();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = service_env(port, edgar_port);
    let mut service = Process::start("insider-bulk", binary("insider-bulk"), &[], &env, dir.path());
    let (key, service) = actix_web::rt::task::spawn_blocking(move || {
        let key = service
            .read_until(Duration::from_secs(120), |line| line.trim().strip_prefix("ibk_").map(|k| format!("ibk_{k}")));
        (key, service)
    })
    .await
    .unwrap();
    let (entry, index) = bundled_entry(port, &key, &service).await;
    assert!(entry["sha256"].as_str().is_some_and(|s| s.len() == 64), "{entry}");
    assert_eq!(entry["synthetic"], false, "{entry}");
    // ACCEPTANCE-DATETIME 20240501130722, US Eastern (EDT): how fresh the form is.
    assert_eq!(index["latest_accepted_at"], "2024-05-01T17:07:22.000Z", "{}", index["latest_accepted_at"]);
    let log = service.log_text();
    assert!(
        log.contains("stored a filing from the feed") && log.contains("removed the synthetic sample first"),
        "{log}"
    );
    drop(service);
    handle.stop(true).await;
}

async fn killed_after(point: &str) {
    let (edgar_port, handle) = start_edgar();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut env = service_env(port, edgar_port);
    env.push(("INSIDER_BULK_WATCH_CRASH_AFTER", point.into()));
    let mut crashing = Process::start("crashing", binary("insider-bulk"), &[], &env, dir.path());
    let at = point.to_owned();
    let status = actix_web::rt::task::spawn_blocking(move || {
        let status = crashing.exited_within(Duration::from_secs(120));
        let status = status.unwrap_or_else(|| panic!("the service was meant to die at {at}"));
        (status, crashing)
    })
    .await
    .unwrap();
    let (status, crashing) = status;
    assert!(
        !status.success() && crashing.log_text().contains(&format!("crash point {point}")),
        "{}",
        crashing.log_text()
    );

    env.pop();
    let service = Process::start("insider-bulk", binary("insider-bulk"), &[], &env, dir.path());
    let admin = std::process::Command::new(binary("insider-bulk"))
        .args(["admin", "create-account", "--name", "reader", "--tier", "pro"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&admin.stdout).into_owned();
    let key = out.split_whitespace().find(|w| w.starts_with("ibk_")).unwrap_or_else(|| panic!("{out}")).to_owned();
    let (entry, _) = bundled_entry(port, &key, &service).await;
    assert!(entry["sha256"].as_str().is_some_and(|s| s.len() == 64), "{point}: {entry}");
    drop(service);
    handle.stop(true).await;
}

#[actix_web::test]
async fn killed_after_recording_what_it_saw_the_filing_still_reaches_index_json() {
    killed_after("seen").await;
}

#[actix_web::test]
async fn killed_after_storing_the_filing_it_still_reaches_index_json() {
    killed_after("filing").await;
}

#[actix_web::test]
async fn killed_after_queueing_the_regeneration_it_still_reaches_index_json() {
    killed_after("outbox").await;
}
