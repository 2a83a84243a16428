//! Billing under concurrency and failure: exactly what can be paid for is
//! charged and queued, the ledger sums to the balance, failed jobs are
//! refunded, and a database outage charges nothing.

mod common;

use common::{error_of, TestGateway};
use diesel::connection::SimpleConnection;
use insider_bulk_core::db::{accounts, jobs, outbox};
use insider_bulk_core::domain::{JobId, LedgerKind, Month, Tier};
use insider_bulk_testing::Backend;

async fn hundred_calls_pay_for_three(backend: Backend) {
    let gw = TestGateway::builder(backend).config(|c| c.limits.pro.1.quota = 1000).start().await;
    let (account, key) = gw.account(Tier::Pro, 75).await;
    let months: Vec<Month> =
        Month::current().coverage_through().collect::<Vec<_>>().into_iter().rev().take(100).collect();
    let calls = months.iter().map(|m| {
        let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
        let http = gw.http.clone();
        async move { http.post(url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_join_all(calls).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let paid = statuses.iter().filter(|s| **s == 402).count();
    assert_eq!((ok, paid), (3, 97), "{statuses:?}");

    let id = account.clone();
    let (row, ledger, open) = gw
        .db
        .run(move |c| Ok((accounts::get(c, &id)?.unwrap(), accounts::ledger(c, &id)?, jobs::open_count(c)?)))
        .await
        .unwrap();
    assert_eq!(row.balance, 0);
    assert_eq!(ledger.iter().map(|e| e.amount).sum::<i64>(), row.balance, "the ledger sums to the balance");
    assert_eq!(ledger.iter().filter(|e| e.entry_kind == LedgerKind::Charge).count(), 3);
    assert_eq!(open, 3, "three jobs recorded");
    // Every charged job reaches the queue through the outbox, which then empties.
    insider_bulk_testing::eventually(std::time::Duration::from_secs(5), "3 messages queued, none left", || async {
        use insider_bulk_core::queue::JobQueue;
        gw.queue.depth().await.unwrap() == 3 && gw.db.run(outbox::backlog).await.unwrap().0 == 0
    })
    .await;
}

/// Runs the futures concurrently on the runtime.
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_pay_for_three_on_postgres() {
    hundred_calls_pay_for_three(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_pay_for_three_on_sqlite() {
    hundred_calls_pay_for_three(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_for_one_month_charge_once() {
    let gw = TestGateway::builder(Backend::Postgres).config(|c| c.limits.pro.1.quota = 1000).start().await;
    let (account, key) = gw.account(Tier::Pro, 1000).await;
    let m = Month::current().previous().unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (http, url) = (gw.http.clone(), url.clone());
            tokio::spawn(async move { http.post(url).send().await.unwrap().json::<serde_json::Value>().await.unwrap() })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        ids.insert(h.await.unwrap()["job_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "all joined one job");
    assert_eq!(gw.balance(&account).await, 975);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_for_good_is_refunded_once() {
    let gw = TestGateway::start(Backend::Postgres).await;
    let (account, key) = gw.account(Tier::Pro, 50).await;
    let m = Month::current().previous().unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let body: serde_json::Value = gw.http.post(url).send().await.unwrap().json().await.unwrap();
    let job: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(gw.balance(&account).await, 25);
    let (first, second) = gw
        .db
        .run(move |c| {
            Ok((jobs::lease::fail(c, &job, None, "broken")?, jobs::lease::fail(c, &job, None, "broken again")?))
        })
        .await
        .unwrap();
    assert!(first && !second);
    assert_eq!(gw.balance(&account).await, 50, "refunded, once");
    let id = account.clone();
    let ledger = gw.db.run(move |c| accounts::ledger(c, &id)).await.unwrap();
    let kinds: Vec<LedgerKind> = ledger.iter().map(|e| e.entry_kind).collect();
    assert_eq!(kinds, [LedgerKind::Grant, LedgerKind::Charge, LedgerKind::Refund]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_is_append_only() {
    let gw = TestGateway::start(Backend::Postgres).await;
    let (account, _) = gw.account(Tier::Pro, 50).await;
    let mut conn = gw.test_db.connect();
    let tampered = conn.batch_execute(&format!("UPDATE ledger SET amount = 1000000 WHERE account_id = '{account}'"));
    assert!(tampered.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_is_503_and_charges_nothing() {
    let gw = TestGateway::builder(Backend::Postgres)
        .config(|c| c.auth_cache = std::time::Duration::from_secs(600))
        .start()
        .await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let index = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    assert_eq!(gw.http.get(&index).send().await.unwrap().status(), 200, "warms the key cache");

    let insider_bulk_core::db::DatabaseUrl::Postgres(url) = &gw.test_db.url else { unreachable!() };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut admin =
        <diesel::PgConnection as diesel::Connection>::establish(&insider_bulk_testing::postgres_admin_url()).unwrap();
    // Take the database away: end its sessions and rename it, so reconnects fail.
    admin
        .batch_execute(&format!(
            "UPDATE pg_database SET datallowconn = false WHERE datname = '{name}'; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .unwrap();
    let m = Month::current().previous().unwrap();
    let generate = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let (status, error) = error_of(gw.http.post(&generate).send().await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (503, Some("unavailable")), "{error}");
    assert!(!error["message"].as_str().unwrap().contains("postgres://"), "no connection detail leaks: {error}");
    admin.batch_execute(&format!("UPDATE pg_database SET datallowconn = true WHERE datname = '{name}'")).unwrap();

    assert_eq!(gw.balance(&account).await, 75, "the failed call charged nothing (the index before it 25)");
    assert_eq!(gw.http.post(&generate).send().await.unwrap().status(), 200, "and the service recovers");
}

/// index.json is metered: each 200 is charged, the balance stops it with a
/// 402 on a fresh reading, and the ledger holds one entry per settlement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_calls_are_metered_until_the_balance_runs_out() {
    let gw = TestGateway::start(Backend::Postgres).await;
    let (account, key) = gw.account(Tier::Pro, 60).await;
    let index = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(gw.http.get(&index).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 402]);
    let view: serde_json::Value =
        gw.http.get(gw.url("/api/insiders/bulk/account", &key)).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["balance"], 10, "the account view settles the caller's calls first");
    let id = account.clone();
    let ledger = gw.db.run(move |c| accounts::ledger(c, &id)).await.unwrap();
    let charged: i64 = ledger.iter().filter(|e| e.entry_kind == LedgerKind::Charge).map(|e| -e.amount).sum();
    assert_eq!(charged, 50);
    assert!(ledger
        .iter()
        .all(|e| e.entry_kind != LedgerKind::Charge || e.note.as_deref().unwrap().starts_with("index form 4")));
}

/// Two gateways admit calls against the same stale balance: settling them
/// charges what the balance holds, never below zero, and reports the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_meters_on_one_account_never_overdraw_it() {
    use insider_bulk_gateway::service::meter::Meter;
    let gw = TestGateway::start(Backend::Postgres).await;
    let (account, _) = gw.account(Tier::Pro, 50).await;
    let id = std::sync::Arc::new(account.clone());
    let (a, b) = (Meter::default(), Meter::default());
    for meter in [&a, &b] {
        for _ in 0..2 {
            let charged = meter.charge(&gw.db, &id, 25, "index form 4").await.unwrap();
            assert!(matches!(charged, insider_bulk_core::db::billing::CallCharge::Charged { .. }), "{charged:?}");
        }
    }
    let shortfall = a.settle(&gw.db, None).await.unwrap() + b.settle(&gw.db, None).await.unwrap();
    assert_eq!(shortfall, 50);
    assert_eq!(gw.balance(&account).await, 0);
    let again = a.charge(&gw.db, &id, 25, "index form 4").await.unwrap();
    assert!(matches!(again, insider_bulk_core::db::billing::CallCharge::InsufficientBalance { balance: 0, .. }));
}
