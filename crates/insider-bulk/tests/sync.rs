//! `insider-bulk sync` against the real service: the one-process binary on
//! its embedded default (sample months as `.jsonl.gz` and tar.gz through
//! the gateway's signed URLs, idle re-runs, a damaged local file, a state
//! file of the older layout), a signed-URL download cut in the middle by a
//! proxy and resumed, a refused signed URL replaced, a month built on its
//! first download (202), and the split service on PostgreSQL, RabbitMQ and
//! an S3 store (presigned URLs) with every charged call under a token bound.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{binary, free_port, wait_ready, Process, SplitService};
use insider_bulk_core::db::accounts;
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{AccountId, FormType, Month, Tier};
use insider_bulk_gateway::admin;
use insider_bulk_testing::TestDatabase;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const STATE: &str = ".insider-bulk-sync.json";

/// Runs `insider-bulk sync` to the end.
async fn sync(base: &str, key: &str, dir: &Path, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(binary("insider-bulk"));
    command.arg("sync").args(["--url", base, "--api-token", key, "--dir"]).arg(dir).args(args);
    command.env_remove("INSIDER_BULK_URL").env_remove("INSIDER_BULK_API_TOKEN");
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn summary(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or_default().to_owned()
}

/// Every file in `dir` with its bytes' sha256 and its mtime.
fn snapshot(dir: &Path) -> BTreeMap<String, (String, SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let sha = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
            let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
            (path.file_name().unwrap().to_string_lossy().into_owned(), (sha, mtime))
        })
        .collect()
}

fn sha_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn lines_of(path: &Path) -> usize {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()), &mut text)
        .unwrap();
    text.lines().count()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn index(base: &str, key: &str, form: u8) -> serde_json::Value {
    let url = format!("{base}/api/insiders/bulk/form-{form}/index.json");
    let response = reqwest::Client::new().get(url).header("X-API-Key", key).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn entry(index: &serde_json::Value, month: Month) -> &serde_json::Value {
    index["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["year"] == month.year() && e["month"] == month.month())
        .expect("the month is in the index")
}

/// One request through the proxy: its head as sent, and the status answered.
#[derive(Clone, Debug)]
struct Exchange {
    request: String,
    status: u16,
}

impl Exchange {
    /// A GET of a signed URL of the gateway (no key), not an API call.
    fn is_file(&self) -> bool {
        self.request.starts_with("GET /files/")
    }

    fn is_download_call(&self) -> bool {
        self.request.starts_with("GET /api/insiders/bulk/form-") && !self.request.contains("/index.json")
    }
}

/// What the proxy does to the next signed-URL download.
#[derive(Clone, Copy, Debug)]
enum Next {
    Relay,
    /// Cuts its response after this many body bytes.
    Cut(usize),
    /// Answers 403 itself, as the gateway does for an expired URL.
    Refuse,
}

/// A TCP proxy in front of the service that records each request head and
/// response status, and does `Next` to the next signed-URL download. It
/// makes every connection carry one request (`Connection: close`), so that
/// one exchange is one connection. The gateway's signed URLs point back to
/// it, since they are made from the Host header it passes on.
struct Proxy {
    base: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    next: Arc<Mutex<Next>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(Mutex::new(Next::Relay));
        let (recorded, shared_next) = (exchanges.clone(), next.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, recorded, next) = (upstream.clone(), recorded.clone(), shared_next.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, recorded, next).await;
                });
            }
        });
        Proxy { base, exchanges, next }
    }

    fn set_next(&self, next: Next) {
        *self.next.lock().unwrap() = next;
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }

    fn files(&self) -> Vec<Exchange> {
        self.exchanges().into_iter().filter(Exchange::is_file).collect()
    }
}

/// An HTTP head and the bytes read past it.
async fn read_head(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Ok((buffer, rest));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn relay(
    mut client: TcpStream,
    upstream: &str,
    recorded: Arc<Mutex<Vec<Exchange>>>,
    next: Arc<Mutex<Next>>,
) -> std::io::Result<()> {
    let (head, body_start) = read_head(&mut client).await?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let file = head.starts_with("GET /files/");
    let action = if file { std::mem::replace(&mut *next.lock().unwrap(), Next::Relay) } else { Next::Relay };
    if let Next::Refuse = action {
        let body = r#"{"error":{"code":"forbidden","message":"the download URL has expired: ask the download endpoint for a new URL"}}"#;
        recorded.lock().unwrap().push(Exchange { request: head, status: 403 });
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(answer.as_bytes()).await?;
        return client.shutdown().await;
    }
    let mut forwarded: String = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(forwarded.as_bytes()).await?;
    server.write_all(&body_start).await?;
    let (mut server_read, mut server_write) = server.into_split();
    let (mut client_read, mut client_write) = client.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let (response_head, mut body) = read_head(&mut server_read).await?;
    let status = String::from_utf8_lossy(&response_head).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    recorded.lock().unwrap().push(Exchange { request: head, status });
    client_write.write_all(&response_head).await?;
    let Next::Cut(limit) = action else {
        client_write.write_all(&body).await?;
        tokio::io::copy(&mut server_read, &mut client_write).await?;
        return client_write.shutdown().await;
    };
    // Exactly `limit` body bytes, then the connection drops.
    while body.len() < limit {
        let mut chunk = vec![0u8; 8192];
        let n = server_read.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    client_write.write_all(&body[..limit.min(body.len())]).await?;
    client_write.shutdown().await
}

/// The API key goes with every API call, in its header, and never with a
/// signed URL or in any URL.
fn assert_key_only_to_the_api(exchanges: &[Exchange], key: &str) {
    for exchange in exchanges {
        let request = exchange.request.to_ascii_lowercase();
        let request_line = request.lines().next().unwrap_or_default();
        assert!(!request_line.contains(&key.to_ascii_lowercase()), "a key in a URL: {exchange:#?}");
        if exchange.is_file() {
            assert!(!request.contains(&key.to_ascii_lowercase()), "the key went to a signed URL: {exchange:#?}");
            assert!(!request.contains("x-api-key"), "{exchange:#?}");
        } else {
            let header = format!("x-api-key: {}\r\n", key.to_ascii_lowercase());
            assert!(request.contains(&header), "an API call without the key: {exchange:#?}");
        }
    }
}

/// The one-process service on an empty folder, and its demo key.
async fn embedded(dir: &Path, env: &[(&str, String)]) -> (Process, String, String) {
    let port = free_port();
    let mut env = env.to_vec();
    env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
    let mut service = Process::start("insider-bulk", binary("insider-bulk"), &[], &env, dir);
    let key = service
        .read_until(Duration::from_secs(120), |line| line.trim().starts_with("ibk_").then(|| line.trim().to_owned()));
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&reqwest::Client::new(), &format!("{base}/readyz"), &service).await;
    (service, key, base)
}

/// The sample's months: the three before the current one.
fn sample_months() -> (Month, Month) {
    let last = Month::current().previous().unwrap();
    (last.previous().unwrap().previous().unwrap(), last)
}

/// The month after `month`.
fn next(month: Month) -> Month {
    Month::new(month.year() + i32::from(month.month() == 12), month.month() % 12 + 1).unwrap()
}

const STATE_V1: &str = r#"{"version":1,"forms":{},"files":{}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_the_sample_then_answers_304_and_refetches_a_damaged_file() {
    let service_dir = tempfile::tempdir().unwrap();
    let (_service, key, base) = embedded(service_dir.path(), &[]).await;
    let proxy = Proxy::start(base.trim_start_matches("http://").to_owned()).await;
    let mirror = tempfile::tempdir().unwrap();
    let (from, to) = sample_months();
    let range = ["--form", "4", "--form", "3", "--from", &from.to_string(), "--to", &to.to_string()];

    // By default each month's .jsonl.gz, through the download call and its signed URL.
    let first = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(
        summary(&first),
        "downloaded 6, unchanged 0, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&first)
    );
    assert!(
        stdout(&first).contains("tokens charged: 200\n"),
        "two index.json and six downloads at 25: {}",
        text(&first)
    );
    let exchanges = proxy.exchanges();
    assert_eq!(exchanges.iter().filter(|e| e.is_download_call()).count(), 6, "{exchanges:#?}");
    assert_eq!(exchanges.iter().filter(|e| e.is_file() && e.status == 200).count(), 6, "{exchanges:#?}");
    assert_key_only_to_the_api(&exchanges, &key);
    for form in [3u8, 4] {
        let index = index(&base, &key, form).await;
        let mut month = from;
        for _ in 0..3 {
            let listed = entry(&index, month);
            let file = mirror.path().join(listed["filename"].as_str().unwrap());
            assert_eq!(file, mirror.path().join(format!("form-{form}-{month}.jsonl.gz")));
            assert_eq!(sha_of(&file), listed["sha256"].as_str().unwrap(), "{}", file.display());
            assert_eq!(lines_of(&file) as i64, listed["row_count"].as_i64().unwrap(), "{}", file.display());
            assert!(!mirror.path().join(format!("form-{form}-{month}.tar.gz")).exists(), "no tables unless asked");
            month = next(month);
        }
    }
    assert!(mirror.path().join(STATE).exists());
    let partials: Vec<_> = snapshot(mirror.path()).into_keys().filter(|n| n.ends_with(".partial")).collect();
    assert!(partials.is_empty(), "{partials:?}");

    // Nothing changed: one free 304 per form, and not a byte written.
    let before = snapshot(mirror.path());
    let seen = proxy.exchanges().len();
    let second = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(
        summary(&second),
        "downloaded 0, unchanged 6, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&second)
    );
    assert!(stdout(&second).contains("tokens charged: 0\n"), "{}", text(&second));
    let exchanges = &proxy.exchanges()[seen..];
    assert_eq!(exchanges.len(), 2, "{exchanges:#?}");
    for exchange in exchanges {
        assert_eq!(exchange.status, 304, "{exchange:#?}");
        assert!(exchange.request.to_ascii_lowercase().contains("if-none-match:"), "{exchange:#?}");
    }
    assert_eq!(snapshot(mirror.path()), before, "an idle run writes nothing");

    // The URL and key may come from the environment.
    let mut command = std::process::Command::new(binary("insider-bulk"));
    command.arg("sync").arg("--dir").arg(mirror.path()).args(range);
    command.env("INSIDER_BULK_URL", &proxy.base).env("INSIDER_BULK_API_TOKEN", &key);
    let from_env = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    assert_eq!(
        summary(&from_env),
        "downloaded 0, unchanged 6, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&from_env)
    );

    // A refused key, an unreachable server, a bad URL: one line each, exit 2, nothing written.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    for (url, key, said) in [
        (proxy.base.as_str(), "ibk_0000000000000000_nope", "the server refused the API key (401): "),
        (nowhere.as_str(), key.as_str(), "cannot reach "),
        ("ftp://example.com", key.as_str(), "invalid --url"),
    ] {
        let refused = sync(url, key, mirror.path(), &range).await;
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(stderr.lines().count(), 1, "{}", text(&refused));
        assert!(stderr.starts_with(&format!("insider-bulk sync: {said}")), "{}", text(&refused));
        assert!(!stderr.contains(key), "the key is never printed: {stderr}");
        assert_eq!(snapshot(mirror.path()), before, "{url}");
    }

    // A damaged file (same size, new mtime) is hashed again and fetched
    // again; its URL is still valid, so the download call is free.
    let damaged = mirror.path().join(format!("form-4-{to}.jsonl.gz"));
    let good = sha_of(&damaged);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    let third = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(third.status.success(), "{}", text(&third));
    assert_eq!(
        summary(&third),
        "downloaded 1, unchanged 5, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&third)
    );
    assert!(stdout(&third).contains("tokens charged: 0\n"), "X-Tokens-Charged, not the price: {}", text(&third));
    assert_eq!(sha_of(&damaged), good);

    // Damage that keeps size and mtime is trusted until --verify hashes every file.
    let hidden = mirror.path().join(format!("form-3-{from}.jsonl.gz"));
    let good = sha_of(&hidden);
    let mtime = std::fs::metadata(&hidden).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&hidden).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&hidden, &bytes).unwrap();
    std::fs::File::options().write(true).open(&hidden).unwrap().set_modified(mtime).unwrap();
    let trusted = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert_eq!(
        summary(&trusted),
        "downloaded 0, unchanged 6, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&trusted)
    );
    let mut verify = range.to_vec();
    verify.push("--verify");
    let verified = sync(&proxy.base, &key, mirror.path(), &verify).await;
    assert!(verified.status.success(), "{}", text(&verified));
    assert_eq!(
        summary(&verified),
        "downloaded 1, unchanged 5, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&verified)
    );
    assert_eq!(sha_of(&hidden), good);

    // --tables adds each month's tar.gz, by the name and sha256 the index gives it.
    let mut tables = range.to_vec();
    tables.push("--tables");
    let with_tables = sync(&proxy.base, &key, mirror.path(), &tables).await;
    assert!(with_tables.status.success(), "{}", text(&with_tables));
    assert_eq!(
        summary(&with_tables),
        "downloaded 6, unchanged 6, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&with_tables)
    );
    assert!(stdout(&with_tables).contains("tokens charged: 150\n"), "{}", text(&with_tables));
    for form in [3u8, 4] {
        let index = index(&base, &key, form).await;
        let mut month = from;
        for _ in 0..3 {
            let bundle = &entry(&index, month)["bundle"];
            let file = mirror.path().join(bundle["filename"].as_str().unwrap());
            assert_eq!(file, mirror.path().join(format!("form-{form}-{month}.tar.gz")));
            assert_eq!(sha_of(&file), bundle["sha256"].as_str().unwrap(), "{}", file.display());
            month = next(month);
        }
    }
    // The refused key's run is checked apart: its calls carry that key.
    let (refused, ours): (Vec<Exchange>, Vec<Exchange>) =
        proxy.exchanges().into_iter().partition(|e| e.request.contains("ibk_0000000000000000_nope"));
    assert!(refused.iter().all(|e| e.status == 401), "{refused:#?}");
    assert_key_only_to_the_api(&ours, &key);

    // A state file of the older layout: said so, set aside, every file hashed again, nothing fetched.
    std::fs::write(mirror.path().join(STATE), STATE_V1).unwrap();
    let old_state = sync(&proxy.base, &key, mirror.path(), &tables).await;
    assert!(old_state.status.success(), "{}", text(&old_state));
    assert!(stdout(&old_state).contains("version 1 is the layout of an older insider-bulk"), "{}", text(&old_state));
    assert_eq!(
        summary(&old_state),
        "downloaded 0, unchanged 12, generated 0, pending 0, skipped 0, failed 0",
        "{}",
        text(&old_state)
    );
    let rewritten: serde_json::Value =
        serde_json::from_slice(&std::fs::read(mirror.path().join(STATE)).unwrap()).unwrap();
    assert_eq!(rewritten["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_download_resumes_a_refused_url_is_replaced_and_a_pending_month_is_waited_for() {
    let service_dir = tempfile::tempdir().unwrap();
    // No wait in the download call: a pending month answers 202 at once.
    let (_service, key, base) = embedded(service_dir.path(), &[("DOWNLOAD_WAIT_SECONDS", "0".to_owned())]).await;
    let proxy = Proxy::start(base.trim_start_matches("http://").to_owned()).await;
    let mirror = tempfile::tempdir().unwrap();
    let (first_month, month) = sample_months();
    let args = ["--form", "4", "--from", &month.to_string(), "--to", &month.to_string()];
    let name = format!("form-4-{month}.jsonl.gz");
    let listed = index(&base, &key, 4).await;
    let sha = entry(&listed, month)["sha256"].as_str().unwrap().to_owned();
    let size = entry(&listed, month)["size_bytes"].as_u64().unwrap();
    let cut = usize::try_from(size / 2).unwrap();
    assert!(cut > 0, "{size}");

    proxy.set_next(Next::Cut(cut));
    let first = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert!(String::from_utf8_lossy(&first.stderr).contains(&format!("failed {name}: download: ")), "{}", text(&first));
    assert_eq!(summary(&first), "downloaded 0, unchanged 0, generated 0, pending 0, skipped 0, failed 1");
    assert!(!mirror.path().join(&name).exists(), "nothing half-written in place");
    let partials: Vec<PathBuf> = std::fs::read_dir(mirror.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert_eq!(partials.len(), 1, "{partials:?}");
    assert_eq!(std::fs::metadata(&partials[0]).unwrap().len(), cut as u64, "the partial keeps what arrived");

    let second = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(summary(&second), "downloaded 1, unchanged 0, generated 0, pending 0, skipped 0, failed 0");
    assert_eq!(sha_of(&mirror.path().join(&name)), sha);
    assert!(!partials[0].exists(), "the partial became the file");
    let files = proxy.files();
    assert_eq!(files.len(), 2, "{files:#?}");
    let resumed = files[1].request.to_ascii_lowercase();
    assert!(resumed.contains(&format!("range: bytes={cut}-\r\n")), "{resumed}");
    // The gateway's signed URL serves the sha256 as its ETag: If-Range carries it.
    assert!(resumed.contains(&format!("if-range: \"{sha}\"\r\n")), "{resumed}");
    assert_eq!(files[1].status, 206);
    assert_key_only_to_the_api(&proxy.exchanges(), &key);

    // A signed URL refused (403, as an expired one is): a fresh one is asked for.
    let other = tempfile::tempdir().unwrap();
    let seen = proxy.exchanges().len();
    proxy.set_next(Next::Refuse);
    let refused = sync(&proxy.base, &key, other.path(), &args).await;
    assert!(refused.status.success(), "{}", text(&refused));
    assert!(stdout(&refused).contains("the signed URL was refused"), "{}", text(&refused));
    assert_eq!(summary(&refused), "downloaded 1, unchanged 0, generated 0, pending 0, skipped 0, failed 0");
    assert_eq!(sha_of(&other.path().join(&name)), sha);
    let exchanges = &proxy.exchanges()[seen..];
    let statuses: Vec<u16> = exchanges.iter().filter(|e| e.is_file()).map(|e| e.status).collect();
    assert_eq!(statuses, [403, 200], "{exchanges:#?}");
    assert_eq!(exchanges.iter().filter(|e| e.is_download_call()).count(), 2, "{exchanges:#?}");

    // A month never built: the download call queues it and answers 202
    // (free). With no patience the run says so and fails, having done
    // nothing; with the default it calls again until the file is there.
    let pending = first_month.previous().unwrap();
    assert_eq!(entry(&listed, pending)["status"], "pending");
    let pending_args = ["--form", "4", "--from", &pending.to_string(), "--to", &pending.to_string()];
    let mut impatient = pending_args.to_vec();
    impatient.extend(["--pending-wait", "0"]);
    let building = tempfile::tempdir().unwrap();
    let gave_up = sync(&proxy.base, &key, building.path(), &impatient).await;
    assert_eq!(gave_up.status.code(), Some(1), "{}", text(&gave_up));
    let pending_name = format!("form-4-{pending}.jsonl.gz");
    assert!(
        stdout(&gave_up).contains(&format!("still being built on the server, not here yet: {pending_name};")),
        "{}",
        text(&gave_up)
    );
    assert_eq!(summary(&gave_up), "downloaded 0, unchanged 0, generated 0, pending 1, skipped 0, failed 0");
    assert!(stdout(&gave_up).contains("tokens charged: 25\n"), "the index only: {}", text(&gave_up));
    let waited = sync(&proxy.base, &key, building.path(), &pending_args).await;
    assert!(waited.status.success(), "{}", text(&waited));
    assert_eq!(summary(&waited), "downloaded 1, unchanged 0, generated 0, pending 0, skipped 0, failed 0");
    let built = index(&base, &key, 4).await;
    assert_eq!(entry(&built, pending)["status"], "available");
    assert_eq!(sha_of(&building.path().join(&pending_name)), entry(&built, pending)["sha256"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_service_spends_within_the_token_bound_on_every_charged_call() {
    use insider_bulk_testing::s3::{start_server, KEY, SECRET};
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let newer = Month::current().previous().unwrap();
    let older = newer.previous().unwrap();
    for (month, seed) in [(older, 11), (newer, 12)] {
        common::fill(&db, FormType::Form4, month, 200, seed).await;
    }
    let (account, key) = admin::create_account(&db, "mirror", Tier::Pro, 100).await.unwrap();
    let key = key.plaintext;
    let (_, poor_key) = admin::create_account(&db, "poor", Tier::Pro, 10).await.unwrap();

    let s3 = start_server("bulk");
    let service = SplitService::start(
        &test_db,
        1,
        &[
            ("BUNDLE_STORE_URL", "s3://bulk/sync".to_owned()),
            ("AWS_ENDPOINT_URL", s3.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false".to_owned()),
            // Not the documented 25: sync must learn the prices from the account.
            ("COST_INDEX", "5".to_owned()),
            ("COST_DOWNLOAD", "7".to_owned()),
            ("COST_GENERATE", "15".to_owned()),
        ],
    )
    .await;
    let port = service.base.rsplit(':').next().unwrap().to_owned();
    let proxy = Proxy::start(format!("127.0.0.1:{port}")).await;

    let balance = |id: AccountId| {
        let db = db.clone();
        async move { db.run(move |c| accounts::get(c, &id)).await.unwrap().unwrap().balance }
    };
    let before = balance(account.id.clone()).await;
    let range = ["--form", "4", "--from", &older.to_string(), "--to", &newer.to_string()];

    // Below the price of index.json: no call at all, and nothing done.
    let broke = tempfile::tempdir().unwrap();
    let mut tiny = range.to_vec();
    tiny.extend(["--max-tokens", "4"]);
    let nothing = sync(&proxy.base, &key, broke.path(), &tiny).await;
    assert_eq!(nothing.status.code(), Some(1), "{}", text(&nothing));
    let refused = "form-4: index.json not fetched: --max-tokens 4 leaves 4 tokens, an index.json call costs 5";
    assert!(stdout(&nothing).contains(refused), "{}", text(&nothing));
    assert_eq!(summary(&nothing), "downloaded 0, unchanged 0, generated 0, pending 0, skipped 2, failed 0");
    assert!(proxy.exchanges().iter().all(|e| e.request.contains("/account")), "{:#?}", proxy.exchanges());
    assert_eq!(balance(account.id.clone()).await, before);

    // index.json 5, one generate 15 with room kept for its download (7):
    // the second generate does not fit beside both downloads, so that
    // month is built by its download call instead.
    let mirror = tempfile::tempdir().unwrap();
    let mut args = range.to_vec();
    args.extend(["--generate-pending", "--max-tokens", "40"]);
    let run = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert!(
        run.status.success(),
        "{}\ngateway: {}\npacker: {}",
        text(&run),
        service.gateway.log_text(),
        service.packers[0].log_text()
    );
    assert_eq!(
        summary(&run),
        "downloaded 2, unchanged 0, generated 1, pending 0, skipped 0, failed 0",
        "{}",
        text(&run)
    );
    let bound = format!(
        "form-4 {newer}: not generated: --max-tokens 40 leaves 20 tokens, a generate call costs 15 and the downloads after it 14"
    );
    assert!(stdout(&run).contains(&bound), "{}", text(&run));
    assert!(stdout(&run).contains("tokens charged: 34 (--max-tokens 40)\n"), "{}", text(&run));
    assert_eq!(before - balance(account.id.clone()).await, 34, "5 + 15 + 7 + 7, as sync counted");

    let index = index(&service.base, &key, 4).await;
    for month in [older, newer] {
        let listed = entry(&index, month);
        let file = mirror.path().join(listed["filename"].as_str().unwrap());
        assert_eq!(sha_of(&file), listed["sha256"].as_str().unwrap(), "{}", file.display());
    }
    // The presigned URLs went to the store itself, not through the gateway.
    assert!(proxy.files().is_empty(), "{:#?}", proxy.files());
    assert_key_only_to_the_api(&proxy.exchanges(), &key);

    // A 402 on a download ends the charged calls, with the balance and the price.
    let poor_dir = tempfile::tempdir().unwrap();
    let poor = sync(&proxy.base, &poor_key.plaintext, poor_dir.path(), &range).await;
    assert_eq!(poor.status.code(), Some(1), "{}", text(&poor));
    let stderr = String::from_utf8_lossy(&poor.stderr);
    assert!(stderr.contains("insufficient balance: 5 tokens left, a download call costs 7"), "{}", text(&poor));
    assert_eq!(
        summary(&poor),
        "downloaded 0, unchanged 0, generated 0, pending 0, skipped 1, failed 1",
        "{}",
        text(&poor)
    );

    service.stop().await;
}
