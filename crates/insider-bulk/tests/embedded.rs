//! The one-command service, as a new user runs it: no configuration, an
//! empty folder. It fills a sample, prints a key and curl lines that work,
//! and regenerates a month end to end.

mod common;

use std::time::Duration;

use common::{binary, free_port, generate_and_download, Process};
use insider_bulk_core::domain::Month;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_serves_a_sample_and_regenerates_a_month() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut service = Process::start(
        "insider-bulk",
        binary("insider-bulk"),
        &[],
        &[("GATEWAY_ADDR", format!("127.0.0.1:{port}"))],
        dir.path(),
    );
    let mut key = None;
    let mut curls = Vec::new();
    service.read_until(Duration::from_secs(120), |line| {
        if let Some(k) = line.trim().strip_prefix("ibk_") {
            key = Some(format!("ibk_{k}"));
        }
        if line.trim_start().starts_with("curl ") {
            curls.push(line.trim().to_owned());
        }
        (curls.len() == 3).then_some(())
    });
    let key = key.expect("the demo key is printed");
    assert!(dir.path().join("data/insider-bulk.sqlite3").exists(), "everything lives under ./data");

    // The printed curl lines work as printed.
    for curl in &curls {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{curl} -w '%{{http_code}}' -f"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{curl}: {}", String::from_utf8_lossy(&output.stderr));
    }

    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let month = Month::current().previous().unwrap();
    let manifest = generate_and_download(&http, &base, &key, 4, month.year(), month.month()).await;
    assert_eq!(manifest["synthetic"], true, "the sample is marked synthetic: {manifest}");
    assert!(manifest["filing_count"].as_u64().unwrap() > 0);

    // A restart on the same folder keeps the data and does not make another demo account.
    service.terminate();
    let log = service.log_text();
    assert!(log.contains("\"SIGTERM\"") && log.contains("shutting down"), "the stop is logged: {log}");
    assert!(log.contains("stopped"), "and its end: {log}");
    let mut again = Process::start(
        "insider-bulk-again",
        binary("insider-bulk"),
        &[],
        &[("GATEWAY_ADDR", format!("127.0.0.1:{port}"))],
        dir.path(),
    );
    again.read_until(Duration::from_secs(60), |line| line.contains("accounts exist already").then_some(()));
    let index = http.get(format!("{base}/api/insiders/bulk/form-4/index.json?api_Token={key}")).send().await.unwrap();
    assert_eq!(index.status(), 200, "the demo key still works after a restart");
}
