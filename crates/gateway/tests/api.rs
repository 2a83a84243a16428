//! Every status code of the seed's table and the design's, through real HTTP.

mod common;

use common::{error_of, TestGateway};
use insider_bulk_core::domain::{JobId, Month, Tier};
use insider_bulk_testing::Backend;

fn last_month() -> Month {
    Month::current().previous().unwrap()
}

fn generate_path(form: &str, year: &str, month: &str) -> String {
    format!("/api/insiders/bulk/form-{form}/generate/{year}/{month}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_answers_the_seed_shape_and_charges_25() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let m = last_month();
    let response = gw
        .http
        .post(gw.url(&generate_path("4", &m.year().to_string(), &m.month().to_string()), &key))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("ratelimit-policy") && response.headers().contains_key("ratelimit"));
    let text = response.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    fields.sort_by_key(|f| text.find(&format!("\"{f}\":")).unwrap());
    assert_eq!(fields, ["job_id", "queued_at", "estimated_seconds", "status"], "exactly the seed's fields, in order");
    assert!(uuid::Uuid::parse_str(body["job_id"].as_str().unwrap()).is_ok());
    let queued_at = body["queued_at"].as_str().unwrap();
    assert_eq!(queued_at.len(), "2026-05-01T20:55:12.000Z".len(), "{queued_at}");
    assert!(queued_at.ends_with('Z') && queued_at.as_bytes()[19] == b'.', "{queued_at}");
    assert!(body["estimated_seconds"].as_i64().unwrap() >= 1);
    assert_eq!(body["status"], "queued");
    assert_eq!(gw.balance(&account).await, 75);

    // A second call for the month joins the open job, free of charge.
    let again = gw
        .http
        .post(gw.url(&generate_path("4", &m.year().to_string(), &m.month().to_string()), &key))
        .send()
        .await
        .unwrap();
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["job_id"], body["job_id"]);
    assert_eq!(gw.balance(&account).await, 75);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_400_naming_the_parameter() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 1000).await;
    let now = Month::current();
    let next_year = (now.year() + 1).to_string();
    let (future_year, future_month) = if now.month() == 12 {
        (next_year.clone(), "1".to_owned())
    } else {
        (now.year().to_string(), (now.month() + 1).to_string())
    };
    let cases = [
        (generate_path("6", "2025", "9"), "form_type"),
        (generate_path("x", "2025", "9"), "form_type"),
        (generate_path("4", "2002", "9"), "year"),
        (generate_path("4", &next_year, "1"), "year"),
        (generate_path("4", "20x5", "9"), "year"),
        (generate_path("4", "2025", "13"), "month"),
        (generate_path("4", "2025", "0"), "month"),
        (generate_path("4", "2025", "9x"), "month"),
        (generate_path("4", &future_year, &future_month), if now.month() == 12 { "year" } else { "month" }),
    ];
    for (path, param) in cases {
        let (status, error) = error_of(gw.http.post(gw.url(&path, &key)).send().await.unwrap()).await;
        assert_eq!((status, error["param"].as_str()), (400, Some(param)), "{path}: {error}");
        assert_eq!(error["code"], "invalid_parameter");
    }
    let (status, error) =
        error_of(gw.http.get(gw.url("/api/insiders/bulk/form-7/index.json", &key)).send().await.unwrap()).await;
    assert_eq!((status, error["param"].as_str()), (400, Some("form_type")));
    let (status, error) =
        error_of(gw.http.get(gw.url("/api/insiders/bulk/jobs/not-a-uuid", &key)).send().await.unwrap()).await;
    assert_eq!((status, error["param"].as_str()), (400, Some("job_id")));
    assert_eq!(gw.balance(&account).await, 1000, "no bad request is charged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_revoked_keys_are_401() {
    let gw = TestGateway::builder(Backend::Sqlite).config(|c| c.auth_cache = std::time::Duration::ZERO).start().await;
    let (account, key) = gw.account(Tier::Free, 100).await;
    let index = "/api/insiders/bulk/form-4/index.json";
    let (status, _) = error_of(gw.http.get(format!("{}{index}", gw.base)).send().await.unwrap()).await;
    assert_eq!(status, 401);
    let (status, _) = error_of(
        gw.http
            .get(gw.url(index, "ibk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = error_of(gw.http.get(gw.url(index, "nonsense")).send().await.unwrap()).await;
    assert_eq!(status, 401);
    let tampered = format!("{}B", &key[..key.len() - 1]);
    let tampered = if tampered == key { format!("{}C", &key[..key.len() - 1]) } else { tampered };
    let (status, error) = error_of(gw.http.get(gw.url(index, &tampered)).send().await.unwrap()).await;
    assert_eq!((status, error["message"].as_str()), (401, Some("invalid API key")), "the right id, the wrong secret");
    let (status, _) =
        error_of(gw.http.get(format!("{}{index}", gw.base)).bearer_auth("not.a.jwt").send().await.unwrap()).await;
    assert_eq!(status, 401);

    assert_eq!(gw.http.get(gw.url(index, &key)).send().await.unwrap().status(), 200);
    let key_id = key.split('_').nth(1).unwrap().to_owned();
    let revoked = gw.db.run(move |c| insider_bulk_core::db::accounts::revoke_key(c, &key_id)).await.unwrap();
    assert!(revoked);
    let (status, error) = error_of(gw.http.get(gw.url(index, &key)).send().await.unwrap()).await;
    assert_eq!(status, 401, "a revoked key");
    assert!(error["message"].as_str().unwrap().contains("revoked"), "says it was revoked: {error}");
    let (_, error) = error_of(gw.http.get(gw.url(index, &tampered)).send().await.unwrap()).await;
    assert_eq!(error["message"], "invalid API key", "only the secret's holder learns the key was revoked");
    let (status, error) =
        error_of(gw.http.get(format!("{}{index}?api_token={key}", gw.base)).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(error["message"].as_str().unwrap().contains("not api_token="), "a near miss is named: {error}");
    // An unauthenticated caller learns nothing about a job or a month.
    let (status, error) =
        error_of(gw.http.get(format!("{}/api/insiders/bulk/jobs/{account}", gw.base)).send().await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (401, Some("unauthorized")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_balance_is_402_with_balance_and_cost() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 24).await;
    let m = last_month();
    let path = generate_path("4", &m.year().to_string(), &m.month().to_string());
    let (status, error) = error_of(gw.http.post(gw.url(&path, &key)).send().await.unwrap()).await;
    assert_eq!((status, error["balance"].as_i64(), error["cost"].as_i64()), (402, Some(24), Some(25)), "{error}");
    assert_eq!(gw.balance(&account).await, 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_things_are_404_and_wrong_methods_405() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 100).await;
    let (_, other_key) = gw.account(Tier::Pro, 100).await;
    let m = last_month();
    let download = format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", m.year(), m.month());
    let (status, error) = error_of(gw.http.get(gw.url(&download, &key)).send().await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));
    let job = format!("/api/insiders/bulk/jobs/{}", uuid::Uuid::new_v4());
    assert_eq!(error_of(gw.http.get(gw.url(&job, &key)).send().await.unwrap()).await.0, 404);
    let (status, _) = error_of(gw.http.get(format!("{}/no/such/thing", gw.base)).send().await.unwrap()).await;
    assert_eq!(status, 404);
    let (status, _) =
        error_of(gw.http.delete(gw.url("/api/insiders/bulk/form-4/index.json", &key)).send().await.unwrap()).await;
    assert_eq!(status, 405);

    // Another account's job is "not found", exactly like a job that does not exist.
    let path = generate_path("4", &m.year().to_string(), &m.month().to_string());
    let body: serde_json::Value = gw.http.post(gw.url(&path, &key)).send().await.unwrap().json().await.unwrap();
    let job = format!("/api/insiders/bulk/jobs/{}", body["job_id"].as_str().unwrap());
    assert_eq!(gw.http.get(gw.url(&job, &key)).send().await.unwrap().status(), 200);
    let (status, error) = error_of(gw.http.get(gw.url(&job, &other_key)).send().await.unwrap()).await;
    assert_eq!((status, error["message"].as_str()), (404, Some("no such job")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_replays_and_refuses_another_request() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let m = last_month();
    let path = generate_path("4", &m.year().to_string(), &m.month().to_string());
    let send =
        |path: String, idem: &'static str| gw.http.post(gw.url(&path, &key)).header("Idempotency-Key", idem).send();
    let first = send(path.clone(), "retry-1").await.unwrap().text().await.unwrap();
    let second = send(path.clone(), "retry-1").await.unwrap().text().await.unwrap();
    assert_eq!(first, second, "a retry gets the first response byte for byte");
    assert_eq!(gw.balance(&account).await, 75);
    let other = m.previous().unwrap();
    let other_path = generate_path("4", &other.year().to_string(), &other.month().to_string());
    let (status, error) = error_of(send(other_path, "retry-1").await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (422, Some("idempotency_key_reused")));
    assert_eq!(gw.balance(&account).await, 75);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_429_with_retry_after_and_headers() {
    let gw = TestGateway::builder(Backend::Sqlite)
        .config(|c| {
            c.limits.free.0.quota = 3;
            c.limits.free.0.window_seconds = 3600;
        })
        .start()
        .await;
    let (_, key) = gw.account(Tier::Free, 100_000).await;
    let index = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    for _ in 0..3 {
        let ok = gw.http.get(&index).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["ratelimit-policy"], "\"requests\";q=3;w=3600");
    }
    let refused = gw.http.get(&index).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after));
    assert!(refused.headers()["ratelimit"].to_str().unwrap().starts_with("\"requests\";r=0;"));
    let (_, error) = error_of(refused).await;
    assert_eq!(error["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_has_its_own_smaller_budget() {
    let gw = TestGateway::builder(Backend::Sqlite).config(|c| c.limits.pro.1.quota = 2).start().await;
    let (account, key) = gw.account(Tier::Pro, 1000).await;
    let mut month = last_month();
    // Only a POST to generate counts against the generate budget: a GET
    // there is refused (405) on the request budget alone.
    let path = generate_path("4", &month.year().to_string(), &month.month().to_string());
    for _ in 0..3 {
        let wrong = gw.http.get(gw.url(&path, &key)).send().await.unwrap();
        assert_eq!(wrong.status(), 405);
        assert_eq!(wrong.headers()["ratelimit-policy"], "\"requests\";q=600;w=60");
    }
    let mut answers = Vec::new();
    for _ in 0..3 {
        let path = generate_path("4", &month.year().to_string(), &month.month().to_string());
        answers.push(gw.http.post(gw.url(&path, &key)).send().await.unwrap());
        month = month.previous().unwrap();
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 429]);
    for answer in &answers {
        assert_eq!(answer.headers()["ratelimit-policy"], "\"requests\";q=600;w=60, \"generate\";q=2;w=3600");
    }
    let fields: Vec<&str> = answers.iter().map(|r| r.headers()["ratelimit"].to_str().unwrap()).collect();
    assert!(fields[0].starts_with("\"requests\";r=596;") && fields[0].contains(", \"generate\";r=1;"), "{fields:?}");
    assert!(fields[2].contains(", \"generate\";r=0;"), "{fields:?}");
    assert!(answers[2].headers().contains_key("retry-after"));
    assert_eq!(gw.balance(&account).await, 950, "the refused call is not charged");
    assert_eq!(gw.http.get(gw.url("/api/insiders/bulk/form-4/index.json", &key)).send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_endpoints_answer_without_credentials() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let spec: serde_json::Value =
        gw.http.get(format!("{}/openapi.json", gw.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/insiders/bulk/form-{form_type}/generate/{year}/{month}"]["post"].is_object());
    let docs = gw.http.get(format!("{}/docs", gw.base)).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("generate") && !docs.contains("src=\"http"), "the docs page needs no network");
    assert_eq!(gw.http.get(format!("{}/healthz", gw.base)).send().await.unwrap().status(), 200);
    let metrics = gw.http.get(format!("{}/metrics", gw.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("insider_bulk_gateway_requests_total"), "{metrics}");
    // Ready once the monitor has sampled the queue.
    insider_bulk_testing::eventually(std::time::Duration::from_secs(5), "/readyz answering 200", || async {
        gw.http.get(format!("{}/readyz", gw.base)).send().await.unwrap().status() == 200
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_leads_to_the_docs() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(format!("{}/", gw.base)).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/docs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_found_its_month_unchanged_is_done_all_the_way() {
    use insider_bulk_core::db::jobs::lease::{self, Claim, Lease};
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 100).await;
    let m = Month::current().previous().unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let body: serde_json::Value = gw.http.post(url).send().await.unwrap().json().await.unwrap();
    let id = body["job_id"].as_str().unwrap().to_owned();
    let job: JobId = id.parse().unwrap();
    // A packer claims it and, the month being unchanged, packs no rows.
    gw.db
        .run(move |c| {
            let lease = Lease { owner: "packer-1".into(), duration: std::time::Duration::from_secs(30) };
            assert!(matches!(lease::claim(c, &job, &lease)?, Claim::Started(_)));
            assert!(lease::succeed(c, &job, "packer-1", &"0".repeat(64))?);
            Ok(())
        })
        .await
        .unwrap();
    let view: serde_json::Value =
        gw.http.get(gw.url(&format!("/api/insiders/bulk/jobs/{id}"), &key)).send().await.unwrap().json().await.unwrap();
    assert_eq!(view["state"], "succeeded");
    assert_eq!((view["progress"]["rows_total"].as_i64(), view["progress"]["fraction"].as_f64()), (Some(0), Some(1.0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_requests_count_under_their_route_pattern_whatever_the_form() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    for form in ["3", "4", "5", "4"] {
        let path = format!("/api/insiders/bulk/form-{form}/index.json");
        assert_eq!(gw.http.get(gw.url(&path, &key)).send().await.unwrap().status(), 200, "{form}");
    }
    let (status, error) =
        error_of(gw.http.get(gw.url("/api/insiders/bulk/form-9/index.json", &key)).send().await.unwrap()).await;
    assert_eq!((status, error["param"].as_str()), (400, Some("form_type")));
    let (status, _) =
        error_of(gw.http.post(gw.url("/api/insiders/bulk/form-4/index.json", &key)).send().await.unwrap()).await;
    assert_eq!(status, 405);
    let (status, _) =
        error_of(gw.http.get(format!("{}/api/insiders/bulk/form-4/index.json", gw.base)).send().await.unwrap()).await;
    assert_eq!(status, 401, "the static routes are behind the guard too");
    let metrics = gw.http.get(format!("{}/metrics", gw.base)).send().await.unwrap().text().await.unwrap();
    let count = |status: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("insider_bulk_gateway_requests_total{")
                    && l.contains(r#"route="/api/insiders/bulk/form-{form_type}/index.json""#)
                    && l.contains(r#"method="GET""#)
                    && l.contains(&format!(r#"status="{status}""#))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    assert_eq!(count("200"), Some(4), "{metrics}");
    assert_eq!(count("400"), Some(1), "{metrics}");
    assert_eq!(count("401"), Some(1), "{metrics}");
    assert!(!metrics.contains("form-4/index.json"), "no per-form label: {metrics}");
}

/// The live docs' ways to pass a key are equivalent; two different keys
/// in one request are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_way_to_pass_a_key_works() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 1000).await;
    let (_, other) = gw.account(Tier::Pro, 1000).await;
    let index = format!("{}/api/insiders/bulk/form-4/index.json", gw.base);
    let ways = [
        gw.http.get(format!("{index}?apiKey={key}")),
        gw.http.get(format!("{index}?api_Token={key}")),
        gw.http.get(&index).header("X-API-Key", &key),
        gw.http.get(&index).bearer_auth(&key),
        gw.http.get(format!("{index}?apiKey={key}")).header("X-API-Key", &key),
    ];
    for way in ways {
        let response = way.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-tokens-charged"], "25");
        assert_eq!(response.headers()["x-request-id"].len(), 32);
    }
    for (status, request) in [
        (400, gw.http.get(format!("{index}?apiKey={key}")).header("X-API-Key", &other)),
        (400, gw.http.get(format!("{index}?api_Token={key}")).bearer_auth(&other)),
        (400, gw.http.get(format!("{index}?apiKey={key}&api_Token={other}"))),
        (
            401,
            gw.http.get(&index).header("X-API-Key", "ibk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
    ] {
        let (got, error) = error_of(request.send().await.unwrap()).await;
        assert_eq!(got, status, "{error}");
    }
}
