//! What a hostile client sends, through a real server: forwarded headers
//! that would move the index's links to another host, a second `api_Token`,
//! and request heads the HTTP parser or our limits refuse (raw TCP, so that
//! no client library tidies the request up first).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{error_of, TestGateway};
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::now_utc;
use insider_bulk_core::domain::{BundleStatus, FormType, Month, StorageTier, Tier};
use insider_bulk_gateway::config::TrustedProxies;
use insider_bulk_testing::Backend;

const INDEX: &str = "/api/insiders/bulk/form-4/index.json";

/// Indexes last month's Form 4 bundle as available, so that the index
/// gives it a download URL (the file itself is not needed for that).
async fn an_available_month(gw: &TestGateway) {
    let month = Month::current().previous().unwrap();
    let row = BundleRow {
        form_type: FormType::Form4,
        period_month: month,
        status: BundleStatus::Available,
        storage: StorageTier::Hot,
        file_name: format!("form-4-{month}.tar.gz"),
        object_key: format!("hot/form-4/{month}/x.tar.gz"),
        generated_at: now_utc(),
        sha256: "0".repeat(64),
        size_bytes: 1,
        filing_count: 1,
        row_count: 1,
        source_fingerprint: "f".repeat(64),
        last_job_id: None,
        synthetic: false,
        jsonl_object_key: format!("hot/form-4/{month}/x.jsonl.gz"),
        jsonl_sha256: "1".repeat(64),
        jsonl_size_bytes: 1,
    };
    gw.db.run(move |c| bundles::upsert(c, &row)).await.unwrap();
}

/// The download URLs of the index answered to `request`.
async fn index_urls(request: reqwest::RequestBuilder) -> Vec<String> {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let index: serde_json::Value = response.json().await.unwrap();
    let urls: Vec<String> =
        index["files"].as_array().unwrap().iter().filter_map(|m| m["url"].as_str()).map(str::to_owned).collect();
    assert!(!urls.is_empty(), "the available month has a URL: {index}");
    urls
}

/// The request twice: with X-Forwarded-Host and X-Forwarded-Proto, and with
/// a Forwarded header saying the same.
fn forwarding(request: reqwest::RequestBuilder) -> [reqwest::RequestBuilder; 2] {
    let clone = request.try_clone().unwrap();
    [
        request.header("X-Forwarded-Host", "evil.example").header("X-Forwarded-Proto", "https"),
        clone.header("Forwarded", "for=203.0.113.7;host=evil.example;proto=https"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_host_from_an_untrusted_peer_is_ignored() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    an_available_month(&gw).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    for request in forwarding(gw.http.get(gw.url(INDEX, &key))) {
        for url in index_urls(request).await {
            assert!(url.starts_with(&format!("{}/api/insiders/bulk/form-4/", gw.base)), "{url}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_host_from_a_trusted_proxy_is_used_and_the_public_url_still_wins() {
    let trusted = |c: &mut insider_bulk_gateway::config::GatewayConfig| {
        c.trusted_proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.0/8").unwrap();
    };
    let gw = TestGateway::builder(Backend::Sqlite).config(trusted).start().await;
    an_available_month(&gw).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    for request in forwarding(gw.http.get(gw.url(INDEX, &key))) {
        for url in index_urls(request).await {
            assert!(url.starts_with("https://evil.example/api/insiders/bulk/form-4/"), "{url}");
        }
    }
    // Without forwarding headers the trusted peer's own request is answered as usual.
    for url in index_urls(gw.http.get(gw.url(INDEX, &key))).await {
        assert!(url.starts_with(&format!("{}/", gw.base)), "{url}");
    }

    let gw = TestGateway::builder(Backend::Sqlite)
        .config(move |c| {
            trusted(c);
            c.public_url = Some("https://bulk.example.com".into());
        })
        .start()
        .await;
    an_available_month(&gw).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    for request in forwarding(gw.http.get(gw.url(INDEX, &key))) {
        for url in index_urls(request).await {
            assert!(url.starts_with("https://bulk.example.com/api/insiders/bulk/form-4/"), "{url}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_api_token_in_any_case_is_400_and_a_miscased_one_is_named() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (first, key) = gw.account(Tier::Pro, 100).await;
    let (second, other_key) = gw.account(Tier::Pro, 100).await;
    let m = Month::current().previous().unwrap();
    let generate = format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month());
    for query in [
        format!("api_Token={key}&api_token={other_key}"),
        format!("api_token={other_key}&api_Token={key}"),
        format!("api_Token={key}&api_Token={other_key}"),
        format!("api_Token={key}&api_Token={key}"),
        format!("API_TOKEN={other_key}&x=1&api_Token={key}"),
        format!("api_Token={key}&api%5Ftoken={other_key}"),
    ] {
        for request in
            [gw.http.get(format!("{}{INDEX}?{query}", gw.base)), gw.http.post(format!("{}{generate}?{query}", gw.base))]
        {
            let (status, error) = error_of(request.send().await.unwrap()).await;
            assert_eq!(
                (status, error["code"].as_str(), error["param"].as_str()),
                (400, Some("invalid_parameter"), Some("api_Token")),
                "{query}: {error}"
            );
            assert!(error["message"].as_str().unwrap().contains("send api_Token once"), "{error}");
        }
    }
    assert_eq!((gw.balance(&first).await, gw.balance(&second).await), (100, 100), "nothing charged");

    // Two Authorization headers are the same ambiguity.
    let two = gw
        .http
        .get(gw.url(INDEX, &key))
        .header("Authorization", "Bearer a.b.c")
        .header("Authorization", "Bearer d.e.f");
    let (status, error) = error_of(two.send().await.unwrap()).await;
    assert_eq!((status, error["param"].as_str()), (400, Some("Authorization")), "{error}");

    // The name in another case is no credential; the 401 says how it is spelled.
    let (status, error) =
        error_of(gw.http.get(format!("{}{INDEX}?api_token={key}", gw.base)).send().await.unwrap()).await;
    let message = error["message"].as_str().unwrap();
    assert_eq!(status, 401, "{error}");
    assert!(
        message.contains("case-sensitive") && message.contains("?apiKey=") && message.contains("api_token="),
        "{message}"
    );
    assert!(!message.contains(&key), "the key is never echoed: {message}");
    let (_, error) = error_of(gw.http.get(format!("{}{INDEX}", gw.base)).send().await.unwrap()).await;
    assert!(!error["message"].as_str().unwrap().contains("case-sensitive"), "{error}");
    // Exactly once, exactly spelled, still works (escaped names are the same name).
    assert_eq!(gw.http.get(gw.url(INDEX, &key)).send().await.unwrap().status(), 200);
    assert_eq!(gw.http.get(format!("{}{INDEX}?api%5FToken={key}", gw.base)).send().await.unwrap().status(), 200);
}

/// An answer read off a raw connection.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The JSON error's `error` object, asserting the one shape.
    fn json_error(&self) -> serde_json::Value {
        assert_eq!(self.header("content-type"), Some("application/json"), "status {}", self.status);
        let body: serde_json::Value = serde_json::from_slice(&self.body).expect("a JSON body");
        let error = body["error"].clone();
        assert!(error["code"].is_string() && error["message"].is_string(), "{body}");
        assert!(error["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        error
    }
}

/// Writes `request` as it is to the gateway and reads one answer.
fn raw(gw: &TestGateway, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(gw.base.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).expect("an answer before the connection closes");
        assert!(n > 0, "closed without an answer; got {:?}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(received[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| l.split_once(':').unwrap())
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = received[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the body ended early");
        body.extend_from_slice(&chunk[..n]);
    }
    RawResponse { status, headers, body }
}

/// A GET of `target` with `extra` header lines (each ending in CRLF).
fn get(target: &str, extra: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn fillers(count: usize) -> String {
    (0..count).map(|i| format!("X-Filler-{i}: v\r\n")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_below_the_parser_limits_get_the_json_error() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    let index = format!("{INDEX}?api_Token={key}");
    let big = format!("X-Big: {}\r\n", "a".repeat(40 * 1024));
    for target in ["/healthz", index.as_str(), "/no/such/thing"] {
        let answer = raw(&gw, &get(target, &big));
        let error = answer.json_error();
        assert_eq!(
            (answer.status, error["code"].as_str()),
            (431, Some("header_fields_too_large")),
            "{target}: {error}"
        );
        assert!(error["message"].as_str().unwrap().contains("bytes of header fields"), "{error}");
        assert!(answer.header("x-request-id").is_some());
    }
    // 80 header fields: more than ours (64), fewer than the parser's (96).
    let answer = raw(&gw, &get(&index, &fillers(78)));
    let error = answer.json_error();
    assert_eq!((answer.status, error["code"].as_str()), (431, Some("header_fields_too_large")), "{error}");
    assert!(error["message"].as_str().unwrap().contains("80 header fields; at most 64"), "{error}");
    // At the limits themselves the request is answered.
    assert_eq!(raw(&gw, &get(&index, &fillers(62))).status, 200, "64 header fields");
    let at_limit = format!("X-Big: {}\r\n", "a".repeat(32 * 1024 - 100));
    assert_eq!(raw(&gw, &get("/healthz", &at_limit)).status, 200, "just under 32 KiB of header fields");
    // The request target's own limit, through the same door.
    let long = format!("/healthz?q={}", "a".repeat(9 * 1024));
    let answer = raw(&gw, &get(&long, ""));
    assert_eq!((answer.status, answer.json_error()["code"].as_str()), (414, Some("uri_too_long")));
    let body = raw(&gw, b"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000000\r\n\r\n");
    assert_eq!((body.status, body.json_error()["code"].as_str()), (413, Some("payload_too_large")));
}

/// actix-http's parser answers these itself, before any service or
/// middleware runs: 431 for more than 96 header fields (its fixed
/// `MAX_HEADERS`) or a head over its 128 KiB buffer, 400 for a malformed
/// head. Its dispatcher writes them with an empty body; the server's
/// stream (`http_io`) writes the JSON error instead. The service stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_parser_refuses_itself_gets_the_json_error_and_the_service_stays_up() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let huge = format!("X-Big: {}\r\n", "a".repeat(200 * 1024));
    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("150 header fields", get("/healthz", &fillers(148)), 431, "header_fields_too_large"),
        ("a 200 KiB header field", get("/healthz", &huge), 431, "header_fields_too_large"),
        ("a garbage request line", b"GARBAGE\r\n\r\n".to_vec(), 400, "invalid_request"),
        ("binary bytes", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400, "invalid_request"),
        (
            "HTTP/1.1 without Host",
            b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
            400,
            "invalid_request",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = raw(&gw, &request);
        let error = answer.json_error();
        assert_eq!((answer.status, error["code"].as_str()), (status, Some(code)), "{what}: {error}");
        assert!(!error["message"].as_str().unwrap().is_empty(), "{what}: {error}");
        assert_eq!(answer.header("connection"), Some("close"), "{what}");
        assert_eq!(answer.header("x-request-id"), error["request_id"].as_str(), "{what}");
        assert_eq!(answer.header("content-length"), Some(answer.body.len().to_string().as_str()), "{what}");
        assert_eq!(raw(&gw, &get("/healthz", "")).status, 200, "the service is up after {what}");
    }
}

/// A head that does not arrive within the 5 s the server gives it: the
/// dispatcher's own 408, in JSON too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_too_slow_gets_the_json_408() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let started = std::time::Instant::now();
    let answer = raw(&gw, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let error = answer.json_error();
    assert_eq!((answer.status, error["code"].as_str()), (408, Some("request_timeout")), "{error}");
    assert!(started.elapsed() >= Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(raw(&gw, &get("/healthz", "")).status, 200);
}

/// An HTTP/1.0 request may come without Host: the index's links then name
/// the address the server listens on (as with actix-web's `HttpServer`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_asked_without_host_links_to_the_listening_address() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    an_available_month(&gw).await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
    let answer = raw(&gw, format!("GET {INDEX}?api_Token={key} HTTP/1.0\r\n\r\n").as_bytes());
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let index: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let urls: Vec<&str> = index["files"].as_array().unwrap().iter().filter_map(|m| m["url"].as_str()).collect();
    assert!(!urls.is_empty(), "{index}");
    for url in urls {
        assert!(url.starts_with(&format!("{}/api/insiders/bulk/form-4/", gw.base)), "{url}");
    }
}
