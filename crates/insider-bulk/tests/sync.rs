//! `insider-bulk sync` against the real service: the one-process binary on
//! its embedded default (sample months, idle re-runs, a damaged local
//! file), a download cut in the middle by a proxy and resumed, and the
//! split service on PostgreSQL, RabbitMQ and an S3 store (a 307 to a signed
//! URL) with generate calls under a token bound.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{binary, free_port, wait_ready, Process};
use insider_bulk_core::db::accounts;
use insider_bulk_core::db::filings::{store_filings, FilingToStore};
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{FormType, Month, Tier};
use insider_bulk_gateway::admin;
use insider_bulk_ingest::synth::synth_month;
use insider_bulk_testing::{amqp_url, delete_queues, unique_queue_name, TestDatabase};
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

async fn index(base: &str, key: &str, form: u8) -> serde_json::Value {
    let url = format!("{base}/api/insiders/bulk/form-{form}/index.json?api_Token={key}");
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

fn entry(index: &serde_json::Value, month: Month) -> &serde_json::Value {
    index["months"]
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

/// A TCP proxy in front of the service that records each request head and
/// response status, and can cut the first bundle download's response after
/// `cut` body bytes. It makes every connection carry one request
/// (`Connection: close`), so that one exchange is one connection.
struct Proxy {
    base: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Proxy {
    async fn start(upstream: String, cut: Option<usize>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let recorded = exchanges.clone();
        let cut = Arc::new(Mutex::new(cut));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, recorded, cut) = (upstream.clone(), recorded.clone(), cut.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, recorded, cut).await;
                });
            }
        });
        Proxy { base, exchanges }
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }

    fn downloads(&self) -> Vec<Exchange> {
        self.exchanges().into_iter().filter(|e| e.request.contains(".tar.gz")).collect()
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
    cut: Arc<Mutex<Option<usize>>>,
) -> std::io::Result<()> {
    let (head, body_start) = read_head(&mut client).await?;
    let head = String::from_utf8_lossy(&head).into_owned();
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
    let limit = if head.contains(".tar.gz") { cut.lock().unwrap().take() } else { None };
    recorded.lock().unwrap().push(Exchange { request: head, status });
    client_write.write_all(&response_head).await?;
    let Some(limit) = limit else {
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

/// The one-process service on an empty folder, and its demo key.
async fn embedded(dir: &Path) -> (Process, String, String) {
    let port = free_port();
    let mut service = Process::start(
        "insider-bulk",
        binary("insider-bulk"),
        &[],
        &[("GATEWAY_ADDR", format!("127.0.0.1:{port}"))],
        dir,
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_the_sample_then_answers_304_and_refetches_a_damaged_file() {
    let service_dir = tempfile::tempdir().unwrap();
    let (_service, key, base) = embedded(service_dir.path()).await;
    let upstream = base.trim_start_matches("http://").to_owned();
    let proxy = Proxy::start(upstream, None).await;
    let mirror = tempfile::tempdir().unwrap();
    let (from, to) = sample_months();
    let range = ["--form", "4", "--form", "3", "--from", &from.to_string(), "--to", &to.to_string()];

    let first = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(summary(&first), "downloaded 6, unchanged 0, generated 0, failed 0", "{}", text(&first));
    for form in [3u8, 4] {
        let index = index(&base, &key, form).await;
        let mut month = from;
        for _ in 0..3 {
            let file = mirror.path().join(format!("form-{form}-{month}.tar.gz"));
            assert_eq!(sha_of(&file), entry(&index, month)["sha256"].as_str().unwrap(), "{}", file.display());
            month = Month::new(month.year() + i32::from(month.month() == 12), month.month() % 12 + 1).unwrap();
        }
    }
    assert!(mirror.path().join(STATE).exists());
    let partials: Vec<_> = snapshot(mirror.path()).into_keys().filter(|n| n.ends_with(".partial")).collect();
    assert!(partials.is_empty(), "{partials:?}");

    // Nothing changed: one 304 per form, and not a byte written.
    let before = snapshot(mirror.path());
    let seen = proxy.exchanges().len();
    let second = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(summary(&second), "downloaded 0, unchanged 6, generated 0, failed 0", "{}", text(&second));
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
    assert_eq!(summary(&from_env), "downloaded 0, unchanged 6, generated 0, failed 0", "{}", text(&from_env));

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

    // A damaged file (same size, new mtime) is hashed again and fetched again.
    let damaged = mirror.path().join(format!("form-4-{to}.tar.gz"));
    let good = sha_of(&damaged);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    let third = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert!(third.status.success(), "{}", text(&third));
    assert_eq!(summary(&third), "downloaded 1, unchanged 5, generated 0, failed 0", "{}", text(&third));
    assert_eq!(sha_of(&damaged), good);

    // Damage that keeps size and mtime is trusted until --verify hashes every file.
    let hidden = mirror.path().join(format!("form-3-{from}.tar.gz"));
    let good = sha_of(&hidden);
    let mtime = std::fs::metadata(&hidden).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&hidden).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&hidden, &bytes).unwrap();
    std::fs::File::options().write(true).open(&hidden).unwrap().set_modified(mtime).unwrap();
    let trusted = sync(&proxy.base, &key, mirror.path(), &range).await;
    assert_eq!(summary(&trusted), "downloaded 0, unchanged 6, generated 0, failed 0", "{}", text(&trusted));
    let mut verify = range.to_vec();
    verify.push("--verify");
    let verified = sync(&proxy.base, &key, mirror.path(), &verify).await;
    assert!(verified.status.success(), "{}", text(&verified));
    assert_eq!(summary(&verified), "downloaded 1, unchanged 5, generated 0, failed 0", "{}", text(&verified));
    assert_eq!(sha_of(&hidden), good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_in_the_middle_resumes_with_a_range() {
    const CUT: usize = 10_000;
    let service_dir = tempfile::tempdir().unwrap();
    let (_service, key, base) = embedded(service_dir.path()).await;
    let proxy = Proxy::start(base.trim_start_matches("http://").to_owned(), Some(CUT)).await;
    let mirror = tempfile::tempdir().unwrap();
    let (_, month) = sample_months();
    let args = ["--form", "4", "--from", &month.to_string(), "--to", &month.to_string()];
    let name = format!("form-4-{month}.tar.gz");
    let sha = entry(&index(&base, &key, 4).await, month)["sha256"].as_str().unwrap().to_owned();

    let first = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert!(String::from_utf8_lossy(&first.stderr).contains(&format!("failed form-4 {month}:")), "{}", text(&first));
    assert_eq!(summary(&first), "downloaded 0, unchanged 0, generated 0, failed 1");
    assert!(!mirror.path().join(&name).exists(), "nothing half-written in place");
    let partials: Vec<PathBuf> = std::fs::read_dir(mirror.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert_eq!(partials.len(), 1, "{partials:?}");
    assert_eq!(std::fs::metadata(&partials[0]).unwrap().len(), CUT as u64, "the partial keeps what arrived");

    let second = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(summary(&second), "downloaded 1, unchanged 0, generated 0, failed 0");
    assert_eq!(sha_of(&mirror.path().join(&name)), sha);
    assert!(!partials[0].exists(), "the partial became the file");
    let downloads = proxy.downloads();
    assert_eq!(downloads.len(), 2, "{downloads:#?}");
    let resumed = downloads[1].request.to_ascii_lowercase();
    assert!(resumed.contains(&format!("range: bytes={CUT}-\r\n")), "{resumed}");
    assert!(resumed.contains(&format!("if-range: \"{sha}\"\r\n")), "{resumed}");
    assert_eq!(downloads[1].status, 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_service_generates_pending_months_within_the_token_bound() {
    use insider_bulk_testing::s3::{start_server, KEY, SECRET};
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let newer = Month::current().previous().unwrap();
    let older = newer.previous().unwrap();
    for (month, seed) in [(older, 11), (newer, 12)] {
        let batch: Vec<FilingToStore> = synth_month(FormType::Form4, month, 200, seed)
            .map(|filing| FilingToStore { filing, loaded_from: "synth".into() })
            .collect();
        db.run(move |c| store_filings(c, &batch).map(drop)).await.unwrap();
    }
    let (account, key) = admin::create_account(&db, "mirror", Tier::Pro, 100).await.unwrap();
    let key = key.plaintext;
    let (_, poor_key) = admin::create_account(&db, "poor", Tier::Pro, 10).await.unwrap();

    let s3 = start_server("bulk");
    let dir = tempfile::tempdir().unwrap();
    let queue = unique_queue_name();
    let database_url = match &test_db.url {
        insider_bulk_core::db::DatabaseUrl::Postgres(url) => url.clone(),
        other => panic!("split mode runs on PostgreSQL, not {other}"),
    };
    let env = vec![
        ("DATABASE_URL", database_url),
        ("QUEUE_URL", amqp_url()),
        ("QUEUE_NAME", queue.clone()),
        ("BUNDLE_STORE_URL", "s3://bulk/sync".to_owned()),
        ("AWS_ENDPOINT_URL", s3.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false".to_owned()),
        // Not the documented 25: sync must learn the price from the account.
        ("COST_GENERATE", "15".to_owned()),
    ];
    let port = free_port();
    let mut gateway_env = env.clone();
    gateway_env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
    let gateway = Process::start("gateway", binary("insider-bulk-gateway"), &["serve"], &gateway_env, dir.path());
    let mut packer_env = env.clone();
    packer_env.push(("PACKER_METRICS_ADDR", format!("127.0.0.1:{}", free_port())));
    let packer = Process::start("packer", binary("insider-bulk-packer"), &["run"], &packer_env, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&reqwest::Client::new(), &format!("{base}/readyz"), &gateway).await;
    let proxy = Proxy::start(format!("127.0.0.1:{port}"), None).await;

    let balance = |id: String| {
        let db = db.clone();
        async move { db.run(move |c| accounts::get(c, &id)).await.unwrap().unwrap().balance }
    };
    let before = balance(account.id.clone()).await;
    let mirror = tempfile::tempdir().unwrap();
    let range = ["--form", "4", "--from", &older.to_string(), "--to", &newer.to_string()];
    let mut args = range.to_vec();
    args.extend(["--generate-pending", "--max-tokens", "29"]);
    let run = sync(&proxy.base, &key, mirror.path(), &args).await;
    assert!(run.status.success(), "{}\ngateway: {}\npacker: {}", text(&run), gateway.log_text(), packer.log_text());
    assert_eq!(summary(&run), "downloaded 1, unchanged 0, generated 1, failed 0", "{}", text(&run));
    let spent = before - balance(account.id.clone()).await;
    assert!(spent <= 29, "spent {spent} tokens with --max-tokens 29");
    assert_eq!(spent, 15, "one call of 15 fits in 29 tokens, two do not");
    let bound = format!("form-4 {newer}: not generated: --max-tokens 29 leaves 14 tokens, a call costs 15");
    assert!(String::from_utf8_lossy(&run.stdout).contains(&bound), "{}", text(&run));

    let index = index(&base, &key, 4).await;
    let generated = mirror.path().join(format!("form-4-{older}.tar.gz"));
    assert_eq!(sha_of(&generated), entry(&index, older)["sha256"].as_str().unwrap());
    assert!(!mirror.path().join(format!("form-4-{newer}.tar.gz")).exists());
    let download = proxy.downloads();
    assert_eq!(download.len(), 1, "{download:#?}");
    assert_eq!(download[0].status, 307, "the S3 store answers with a signed URL, whose digest sync checked");

    // A 402 stops generating, with the balance and the cost, and fails the run.
    let poor_dir = tempfile::tempdir().unwrap();
    let poor = sync(&proxy.base, &poor_key.plaintext, poor_dir.path(), &args).await;
    assert_eq!(poor.status.code(), Some(1), "{}", text(&poor));
    let stderr = String::from_utf8_lossy(&poor.stderr);
    assert!(stderr.contains("insufficient balance: 10 tokens left, a generate call costs 15"), "{}", text(&poor));
    assert!(poor_dir.path().join(format!("form-4-{older}.tar.gz")).exists(), "the rest still downloads");

    drop(packer);
    drop(gateway);
    delete_queues(&queue).await;
}
