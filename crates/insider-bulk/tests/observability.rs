//! Every metric that a dashboard panel or a Prometheus rule names is really
//! exported: a real gateway and a real packer (PostgreSQL, RabbitMQ) serve
//! one request and one job, a real EDGAR watcher starts (its EDGAR is
//! unreachable: its series exist from the start), then every `/metrics` is
//! scraped.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{binary, free_port, wait_ready, Process};
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{Month, Tier};
use insider_bulk_gateway::admin;
use insider_bulk_testing::{amqp_url, delete_queues, unique_queue_name, TestDatabase};

/// The `insider_bulk_*` metric names a text mentions (recording rules are
/// `insider_bulk:…` and are not exported by the processes).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("insider_bulk_") {
        let tail = &rest[at..];
        let end =
            tail.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        let preceded_by_name_char = rest[..at].chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == ':');
        if !preceded_by_name_char {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// What a scrape exports: each family, and a histogram's series names.
fn exported(scrape: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in scrape.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else { continue };
        let mut parts = rest.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else { continue };
        names.insert(name.to_owned());
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{name}{suffix}"));
            }
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_and_rules_name_only_exported_metrics() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dashboard = std::fs::read_to_string(repo.join("deploy/grafana/insider-bulk.json")).expect("the dashboard");
    let rules = std::fs::read_to_string(repo.join("deploy/prometheus/rules.yml")).expect("the rules");
    let wanted: BTreeSet<String> = metric_names(&dashboard).into_iter().chain(metric_names(&rules)).collect();
    assert!(wanted.len() > 10, "the dashboard and rules name metrics: {wanted:?}");

    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 2).await.unwrap();
    let key = admin::create_account(&db, "metrics", Tier::Pro, 100).await.unwrap().1.plaintext;
    let insider_bulk_core::db::DatabaseUrl::Postgres(url) = &test_db.url else { unreachable!() };
    let dir = tempfile::tempdir().unwrap();
    let queue = unique_queue_name();
    let (gateway_port, packer_port, watcher_port) = (free_port(), free_port(), free_port());
    let env = vec![
        ("DATABASE_URL", url.clone()),
        ("QUEUE_URL", amqp_url()),
        ("QUEUE_NAME", queue.clone()),
        ("BUNDLE_STORE_URL", dir.path().join("bundles").display().to_string()),
        ("GATEWAY_ADDR", format!("127.0.0.1:{gateway_port}")),
        ("PACKER_METRICS_ADDR", format!("127.0.0.1:{packer_port}")),
        ("EDGAR_WATCH_METRICS_ADDR", format!("127.0.0.1:{watcher_port}")),
        ("EDGAR_USER_AGENT", "insider-bulk tests test@example.com".into()),
        ("EDGAR_BASE_URL", "http://127.0.0.1:9/".into()),
    ];
    let gateway = Process::start("gateway", binary("insider-bulk-gateway"), &["serve"], &env, dir.path());
    let packer = Process::start("packer", binary("insider-bulk-packer"), &["run"], &env, dir.path());
    let watcher = Process::start("watcher", binary("insider-bulk-ingest"), &["watch"], &env, dir.path());
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{gateway_port}");
    wait_ready(&http, &format!("{base}/readyz"), &gateway).await;
    wait_ready(&http, &format!("http://127.0.0.1:{packer_port}/readyz"), &packer).await;
    wait_ready(&http, &format!("http://127.0.0.1:{watcher_port}/readyz"), &watcher).await;

    let m = Month::current().previous().unwrap();
    let generate = format!("{base}/api/insiders/bulk/form-4/generate/{}/{}?api_Token={key}", m.year(), m.month());
    assert_eq!(http.post(&generate).send().await.unwrap().status(), 200);
    let packer_metrics = format!("http://127.0.0.1:{packer_port}/metrics");
    let scrape = || async { http.get(&packer_metrics).send().await.unwrap().text().await.unwrap() };
    insider_bulk_testing::eventually(Duration::from_secs(10), "the packer's job counted as succeeded", || async {
        scrape().await.contains("insider_bulk_packer_jobs_total{outcome=\"succeeded\"} 1")
    })
    .await;
    let packer_scrape = scrape().await;
    let gateway_scrape = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let watcher_metrics = format!("http://127.0.0.1:{watcher_port}/metrics");
    let watcher_scrape = http.get(&watcher_metrics).send().await.unwrap().text().await.unwrap();
    let exported: BTreeSet<String> =
        [gateway_scrape, packer_scrape, watcher_scrape].iter().flat_map(|s| exported(s)).collect();
    let missing: Vec<&String> = wanted.difference(&exported).collect();
    assert!(missing.is_empty(), "named in deploy/ but not exported: {missing:?}\nexported: {exported:?}");
    drop((gateway, packer, watcher));
    delete_queues(&queue).await;
}
