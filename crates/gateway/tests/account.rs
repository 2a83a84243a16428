//! `GET /api/insiders/bulk/account`: the caller's own account only, with
//! its balance, the generate cost, the rate-limit budgets and the latest 50
//! ledger entries, each charge and refund with its job.

mod common;

use common::{error_of, TestGateway};
use insider_bulk_core::db::{accounts, jobs};
use insider_bulk_core::domain::{JobId, Month, Tier};
use insider_bulk_testing::Backend;

async fn get_account(gw: &TestGateway, key: &str) -> serde_json::Value {
    let response = gw.http.get(gw.url("/api/insiders/bulk/account", key)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn shows_balance_limits_and_ledger_of_the_caller_only(backend: Backend) {
    let gw = TestGateway::builder(backend).config(|c| c.limits.pro.0.quota = 500).start().await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let (_, other_key) = gw.account(Tier::Free, 7).await;
    let m = Month::current().previous().unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let job: serde_json::Value = gw.http.post(url).send().await.unwrap().json().await.unwrap();
    let job_id = job["job_id"].as_str().unwrap().to_owned();
    let failed: JobId = job_id.parse().unwrap();
    gw.db.run(move |c| jobs::lease::fail(c, &failed, None, "broken")).await.unwrap();

    let view = get_account(&gw, &key).await;
    assert_eq!(view["account_id"], account.as_str());
    assert_eq!((view["tier"].as_str(), view["balance"].as_i64()), (Some("pro"), Some(100)), "{view}");
    assert_eq!(view["generate_cost"], 25);
    let kinds: Vec<(&str, i64, Option<&str>)> = view["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["amount"].as_i64().unwrap(), e["job_id"].as_str()))
        .collect();
    assert_eq!(kinds, [("refund", 25, Some(&*job_id)), ("charge", -25, Some(&*job_id)), ("grant", 100, None)]);
    let requests = &view["rate_limits"][0];
    assert_eq!((requests["policy"].as_str(), requests["quota"].as_u64()), (Some("requests"), Some(500)));
    assert_eq!(requests["remaining"], 500 - 2, "the generate call and this one counted: {view}");
    assert_eq!(view["rate_limits"][1]["policy"], "generate");
    assert!(view["rate_limits"][1]["remaining"].is_null(), "this call does not draw on the generate budget");

    let other = get_account(&gw, &other_key).await;
    assert_eq!((other["balance"].as_i64(), other["tier"].as_str()), (Some(7), Some("free")));
    assert_eq!(other["ledger"].as_array().unwrap().len(), 1, "another account sees only its own grant");

    let (status, body) = error_of(gw.http.get(gw.url("/api/insiders/bulk/account", "")).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
}

async fn returns_the_latest_fifty_entries_newest_first(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (account, key) = gw.account(Tier::Pro, 1).await;
    let id = account.clone();
    gw.db
        .run(move |c| {
            for i in 0..60 {
                accounts::grant(c, &id, 1, Some(&format!("grant {i}")))?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let view = get_account(&gw, &key).await;
    let ledger = view["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 50);
    assert_eq!((ledger[0]["note"].as_str(), ledger[49]["note"].as_str()), (Some("grant 59"), Some("grant 10")));
    assert_eq!(ledger[0]["balance_after"], 61);
    assert_eq!(view["balance"], 61);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(insider_bulk_testing::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(insider_bulk_testing::Backend::Postgres).await })*
        }
    };
}

on_both_backends!(shows_balance_limits_and_ledger_of_the_caller_only, returns_the_latest_fifty_entries_newest_first);
