//! The split deployment on one machine: a gateway process and two packer
//! processes on PostgreSQL and RabbitMQ; and two gateway processes sharing
//! a rate limit through Redis.

mod common;

use std::time::Duration;

use common::{binary, free_port, generate_and_download, wait_ready, Process, SplitService};
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{FormType, Month, Tier};
use insider_bulk_gateway::admin;
use insider_bulk_testing::{amqp_url, delete_queues, redis_url, unique_queue_name, TestDatabase};

fn service_env(db: &TestDatabase, queue: &str, store: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "DATABASE_URL",
            match &db.url {
                insider_bulk_core::db::DatabaseUrl::Postgres(url) => url.clone(),
                other => panic!("split mode runs on PostgreSQL, not {other}"),
            },
        ),
        ("QUEUE_URL", amqp_url()),
        ("QUEUE_NAME", queue.to_owned()),
        ("BUNDLE_STORE_URL", store.display().to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_and_two_packers_regenerate_a_month() {
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let month = Month::current().previous().unwrap();
    common::fill(&db, FormType::Form4, month, 500, 7).await;
    let key = admin::create_account(&db, "split", Tier::Pro, 100_000).await.unwrap().1.plaintext;

    let service = SplitService::start(&test_db, 2, &[]).await;
    let (http, base) = (reqwest::Client::new(), service.base.clone());
    // Both packers are consuming before the job goes out.
    let metrics_url = format!("{base}/metrics");
    insider_bulk_testing::eventually(Duration::from_secs(30), "two packers consuming", || async {
        let metrics = http.get(&metrics_url).send().await.unwrap().text().await.unwrap();
        metrics.lines().any(|l| l == "insider_bulk_queue_consumers 2")
    })
    .await;
    let manifest = generate_and_download(&http, &base, &key, 4, month.year(), month.month()).await;
    assert_eq!(manifest["filing_count"], 500);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_one_rate_limit() {
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let key = admin::create_account(&db, "limited", Tier::Free, 100_000).await.unwrap().1.plaintext;
    let dir = tempfile::tempdir().unwrap();
    let queue = unique_queue_name();
    let mut gateways = Vec::new();
    let mut bases = Vec::new();
    for n in 0..2 {
        let port = free_port();
        let mut env = service_env(&test_db, &queue, &dir.path().join("bundles"));
        env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
        env.push(("RATE_LIMIT_REDIS_URL", redis_url()));
        env.push(("RATE_LIMIT_FREE_REQUESTS", "30/3600".into()));
        gateways.push(Process::start(
            &format!("gateway-{n}"),
            binary("insider-bulk-gateway"),
            &["serve"],
            &env,
            dir.path(),
        ));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let http = reqwest::Client::new();
    for (base, gateway) in bases.iter().zip(&gateways) {
        wait_ready(&http, &format!("{base}/readyz"), gateway).await;
    }
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let url = format!("{}/api/insiders/bulk/form-4/index.json?api_Token={key}", bases[i % 2]);
            let http = http.clone();
            tokio::spawn(async move { http.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut admitted = 0;
    let mut limited = 0;
    for call in calls {
        match call.await.unwrap() {
            200 => admitted += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((admitted, limited), (30, 170), "the policy holds across both gateways");
    drop(gateways);
    delete_queues(&queue).await;
}
