//! What an attacker, or someone reading the logs, can learn from the real
//! binaries: no credential in logs or error bodies; nothing about jobs or
//! months without credentials; oversized input refused with a 4xx and the
//! service still up.

mod common;

use std::time::Duration;

use common::{binary, free_port, one_process_service, wait_ready, Process};
use insider_bulk_core::db::{Database, DatabaseUrl};
use insider_bulk_core::domain::Tier;
use insider_bulk_gateway::admin;
use insider_bulk_testing::{amqp_url, delete_queues, unique_queue_name, TestDatabase};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

const JWT_SECRET: &str = "jwt-secret-that-must-never-be-logged-7c1e";
const DB_PASSWORD: &str = "db-password-that-must-never-be-logged-5a0b";

fn jwt(secret: &str, sub: &str, aud: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"sub": sub, "iss": "insider-bulk", "aud": aud, "exp": now + 600});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// The body of an error without its request id, to compare two answers.
async fn error_without_id(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let mut body: serde_json::Value = response.json().await.expect("a JSON error body");
    body["error"].as_object_mut().expect("the error shape").remove("request_id");
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_logs_or_error_bodies() {
    let test_db = TestDatabase::postgres();
    let DatabaseUrl::Postgres(url) = &test_db.url else { unreachable!() };
    // Trust authentication ignores the password: any secret-looking one will do.
    assert!(url.starts_with("postgres://") && url.contains('@') && !url[11..url.find('@').unwrap()].contains(':'));
    let url_with_password = url.replacen('@', &format!(":{DB_PASSWORD}@"), 1);
    let db = Database::open(&test_db.url, 2).await.unwrap();
    let (account, key) = admin::create_account(&db, "secrets", Tier::Pro, 100).await.unwrap();
    let key = key.plaintext;
    let good_jwt = jwt(JWT_SECRET, account.id.as_str(), "insider-bulk-api");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let queue = unique_queue_name();
    let env = vec![
        ("DATABASE_URL", url_with_password.clone()),
        ("QUEUE_URL", amqp_url()),
        ("QUEUE_NAME", queue.clone()),
        ("BUNDLE_STORE_URL", dir.path().join("bundles").display().to_string()),
        ("GATEWAY_ADDR", format!("127.0.0.1:{port}")),
        ("JWT_HS256_SECRET", JWT_SECRET.to_owned()),
        // More than operators run: every event of our crates and the web stack.
        ("RUST_LOG", "debug".to_owned()),
    ];
    let mut gateway = Process::start("gateway", binary("insider-bulk-gateway"), &["serve"], &env, dir.path());
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&http, &format!("{base}/readyz"), &gateway).await;

    let api = |path: &str| format!("{base}/api/insiders/bulk{path}");
    let wrong_key = format!("{}x", &key[..key.len() - 1]);
    let mut bodies = Vec::new();
    let mut record = |status: u16, body: String, want: u16| {
        assert_eq!(status, want, "{body}");
        bodies.push(body);
    };
    let requests = [
        (http.get(api(&format!("/form-4/index.json?api_Token={key}"))), 200),
        (http.get(api(&format!("/form-4/index.json?api_Token={wrong_key}"))), 401),
        (http.get(api("/form-4/index.json")).bearer_auth(&key), 200),
        (
            http.get(api("/form-4/index.json")).bearer_auth(jwt(
                "a-wrong-secret-of-enough-length-000",
                account.id.as_str(),
                "insider-bulk-api",
            )),
            401,
        ),
        (
            http.get(api("/form-4/index.json")).bearer_auth(jwt(JWT_SECRET, account.id.as_str(), "another-audience")),
            401,
        ),
        (http.get(api("/form-4/index.json")).bearer_auth(&good_jwt), 200),
        (
            http.get(api(&format!("/form-4/index.json?api_Token={key}"))).bearer_auth(jwt(
                JWT_SECRET,
                "acct_other",
                "insider-bulk-api",
            )),
            401,
        ),
        (http.get(api(&format!("/form-9/index.json?api_Token={key}"))), 400),
        (http.get(api(&format!("/form-4/2004/01.tar.gz?api_Token={key}"))), 404),
        (http.get(api(&format!("/jobs/not-a-uuid?api_Token={key}"))), 400),
        (http.post(api(&format!("/form-4/generate/2025/13?api_Token={key}"))).header("Idempotency-Key", "k1"), 400),
        (http.post(api(&format!("/form-4/generate/2025/1?api_Token={key}"))).header("Idempotency-Key", "k1"), 200),
    ];
    let sent = requests.len();
    for (request, want) in requests {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        record(status, response.text().await.unwrap(), want);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    gateway.terminate();
    delete_queues(&queue).await;
    let log = gateway.log_text();
    // Debug logging was on for the requests (else the checks below would
    // prove nothing): each answered request is logged, by its route.
    let answered = log.lines().filter(|l| l.contains("insider_bulk_gateway::access") && l.contains("answered")).count();
    assert!(answered >= sent, "{answered} of {sent} requests logged at debug: {log}");
    assert!(log.contains("SIGTERM") && log.contains("stopped"), "the gateway logs its shutdown: {log}");

    let key_secret = key.splitn(3, '_').nth(2).unwrap();
    assert!(key_secret.len() >= 20, "the key's secret part: {key_secret}");
    let secrets = [
        ("the API key", key.as_str()),
        ("the API key's secret part", key_secret),
        ("a wrong API key", wrong_key.as_str()),
        ("the JWT secret", JWT_SECRET),
        ("a valid JWT", good_jwt.as_str()),
        ("the database password", DB_PASSWORD),
    ];
    for (what, secret) in secrets {
        assert!(!log.contains(secret), "{what} is in the gateway's log:\n{log}");
        for body in &bodies {
            assert!(!body.contains(secret), "{what} is in an answer: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_nothing_about_jobs_or_months_is_learned() {
    let (service, base, key, _dir) = one_process_service().await;
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{base}/api/insiders/bulk{path}");
    // A job and a month that exist, and ones that do not.
    let month = sample_month(&service);
    let generated: serde_json::Value = http
        .post(api(&format!("/form-4/generate/{month}?api_Token={key}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = generated["job_id"].as_str().expect("a job id").to_owned();
    let no_job = "00000000-0000-4000-8000-000000000000";

    for credentials in ["", "?api_Token=ibk_0000000000000000_notarealkeynotarealkeynotarealkey0000"] {
        let answers = [
            (api(&format!("/jobs/{job}{credentials}")), api(&format!("/jobs/{no_job}{credentials}"))),
            (
                api(&format!("/form-4/{month}.tar.gz{credentials}")),
                api(&format!("/form-4/2004/01.tar.gz{credentials}")),
            ),
        ];
        for (existing, missing) in answers {
            let a = error_without_id(http.get(&existing).send().await.unwrap()).await;
            let b = error_without_id(http.get(&missing).send().await.unwrap()).await;
            assert_eq!(a.0, 401, "{existing}: {a:?}");
            assert_eq!(a, b, "{existing} and {missing} must answer alike without valid credentials");
        }
        let (status, _) =
            error_without_id(http.get(api(&format!("/form-4/index.json{credentials}"))).send().await.unwrap()).await;
        assert_eq!(status, 401, "the index lists what exists");
        let (status, _) =
            error_without_id(http.post(api(&format!("/form-4/generate/2025/2{credentials}"))).send().await.unwrap())
                .await;
        assert_eq!(status, 401);
    }
    drop(service);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_bodies_and_paths_are_4xx_and_the_service_stays_up() {
    let (service, base, key, _dir) = one_process_service().await;
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{base}/api/insiders/bulk{path}");
    let index = api(&format!("/form-4/index.json?api_Token={key}"));
    let huge = "a".repeat(256 * 1024);
    // Longer URLs than this the HTTP client itself refuses to send.
    let long = &huge[..48 * 1024];

    let mut many_headers = reqwest::header::HeaderMap::new();
    for i in 0..300 {
        many_headers.insert(
            reqwest::header::HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
            "v".parse().unwrap(),
        );
    }
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("a 256 KiB header", http.get(&index).header("x-big", huge.as_str())),
        ("300 headers", http.get(&index).headers(many_headers)),
        ("a 48 KiB path segment", http.get(api(&format!("/form-{long}/index.json?api_Token={key}")))),
        ("a 48 KiB query", http.get(format!("{index}&q={long}"))),
        ("a 10 KiB form type", http.get(api(&format!("/form-{}/index.json?api_Token={key}", &huge[..10 * 1024])))),
        (
            "an 8 MiB body",
            http.post(api(&format!("/form-4/generate/2025/3?api_Token={key}"))).body(vec![b'{'; 8 << 20]),
        ),
        (
            "a 1 KiB Idempotency-Key",
            http.post(api(&format!("/form-4/generate/2025/3?api_Token={key}")))
                .header("Idempotency-Key", &huge[..1024]),
        ),
    ];
    for (what, request) in cases {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                assert!((400..500).contains(&status), "{what}: {status}");
            }
            // Refusing to read the rest may close the connection before the
            // answer is read; the service must still be up (checked below).
            Err(e) => assert!(e.is_request() || e.is_body(), "{what}: {}", e.without_url()),
        }
        let health = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200, "the service is up after {what}");
    }
    let balance_unchanged = http.get(&index).send().await.unwrap();
    assert_eq!(balance_unchanged.status(), 200);
    drop(service);
}

/// A month the first start packed, as `YYYY/MM`, from the banner's curl line.
fn sample_month(service: &Process) -> String {
    let banner = std::fs::read_to_string(service.log.parent().unwrap().join("banner.txt")).unwrap();
    // The progress lines of the first start go to stderr, the banner to stdout.
    let printed = format!("{banner}\n{}", service.log_text());
    let line =
        printed.lines().find(|l| l.contains("sample loaded and packed for")).expect("the first start names the sample");
    let first = line.rsplit("for ").next().unwrap().split(',').next().unwrap().trim();
    first.replace('-', "/")
}
