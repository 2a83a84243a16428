//! The EDGAR client against a real HTTP server on 127.0.0.1, serving the
//! shared fixtures in place.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use insider_bulk_ingest::edgar::{EdgarClient, EdgarError, IndexEntry};
use time::macros::date;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/edgar");
const UA: &str = "Insider Bulk Tests admin@example.com";
const INDEX_PATH: &str = "/Archives/edgar/daily-index/2020/QTR1/form.20200318.idx";
const WEEKEND_PATH: &str = "/Archives/edgar/daily-index/2020/QTR1/form.20200321.idx";
/// Index path -> fixture file served at `/Archives/<index path>`.
const FILINGS: [(&str, &str); 2] = [
    ("edgar/data/842517/0000842517-24-000086.txt", "form4_0000842517-24-000086.txt"),
    ("edgar/data/707549/0000707549-25-000004.txt", "form4A_0000707549-25-000004.txt"),
];
const THROTTLED: &str = "edgar/data/1/0000000001-20-000429.txt";
const FLAKY: &str = "edgar/data/1/0000000001-20-000500.txt";
const BROKEN: &str = "edgar/data/1/0000000001-20-000503.txt";
/// Any path under this prefix answers 200; the rate test uses 25 of them.
const ALWAYS_OK: &str = "edgar/data/2/";

struct Hit {
    at: Instant,
    path: String,
    user_agent: Option<String>,
    accept_encoding: Option<String>,
}

#[derive(Default)]
struct Server {
    hits: Mutex<Vec<Hit>>,
}

impl Server {
    async fn start() -> (Arc<Server>, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let server = Arc::new(Server::default());
        let state = server.clone();
        // Ends with the test's runtime.
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(state.clone().handle(socket));
            }
        });
        (server, base)
    }

    /// One request per connection (`Connection: close`), which is all the client needs.
    async fn handle(self: Arc<Self>, mut socket: TcpStream) {
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let at = Instant::now();
        let head = String::from_utf8_lossy(&head).into_owned();
        let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        let hit = Hit {
            at,
            path: path.clone(),
            user_agent: header("user-agent"),
            accept_encoding: header("accept-encoding"),
        };
        let seen_before = {
            let mut hits = self.hits.lock().unwrap();
            let n = hits.iter().filter(|h| h.path == path).count();
            hits.push(hit);
            n
        };
        let (status, extra, body) = route(&path, seen_before);
        let mut response =
            format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n", body.len())
                .into_bytes();
        response.extend_from_slice(&body);
        let _ = socket.write_all(&response).await;
        let _ = socket.shutdown().await;
    }

    fn hits_for(&self, index_path: &str) -> Vec<Instant> {
        let wanted = format!("/Archives/{index_path}");
        self.hits.lock().unwrap().iter().filter(|h| h.path == wanted).map(|h| h.at).collect()
    }

    fn assert_user_agent_on_every_request(&self) {
        let hits = self.hits.lock().unwrap();
        assert!(!hits.is_empty());
        for hit in hits.iter() {
            assert_eq!(hit.user_agent.as_deref(), Some(UA), "request for {}", hit.path);
            assert!(hit.accept_encoding.as_deref().unwrap_or_default().contains("gzip"), "{}", hit.path);
        }
    }
}

/// `seen_before`: how many earlier requests this path had.
fn route(path: &str, seen_before: usize) -> (&'static str, &'static str, Vec<u8>) {
    let ok = |body: Vec<u8>| ("200 OK", "", body);
    if path == INDEX_PATH {
        return ok(fixture("index_form.20200318.idx"));
    }
    let Some(index_path) = path.strip_prefix("/Archives/") else { return ("404 Not Found", "", Vec::new()) };
    if let Some((_, file)) = FILINGS.iter().find(|(p, _)| *p == index_path) {
        return ok(fixture(file));
    }
    match index_path {
        THROTTLED if seen_before == 0 => ("429 Too Many Requests", "Retry-After: 1\r\n", b"slow down".to_vec()),
        FLAKY if seen_before < 2 => ("500 Internal Server Error", "", b"oops".to_vec()),
        THROTTLED | FLAKY => ok(b"recovered".to_vec()),
        BROKEN => ("503 Service Unavailable", "", Vec::new()),
        p if p.starts_with(ALWAYS_OK) => ok(b"ok".to_vec()),
        _ => ("404 Not Found", "", Vec::new()),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn client(base: &str) -> EdgarClient {
    EdgarClient::builder(UA).base_url(base).build().unwrap()
}

/// Independent of the parser: first whitespace token is the form, last token
/// the path, accession = file stem. Cross-checked by hand with
/// `grep -E '^(3|4|5|3/A|4/A|5/A) ' | grep -oE '[0-9]{10}-[0-9]{2}-[0-9]{6}' | sort -u | wc -l` = 1036.
fn expected_ownership_accessions() -> HashSet<String> {
    let text = String::from_utf8(fixture("index_form.20200318.idx")).unwrap();
    text.lines()
        .filter(|l| matches!(l.split_whitespace().next(), Some("3" | "4" | "5" | "3/A" | "4/A" | "5/A")))
        .map(|l| l.split_whitespace().last().unwrap().rsplit('/').next().unwrap().trim_end_matches(".txt").to_owned())
        .collect()
}

#[tokio::test]
async fn daily_index_is_fetched_filtered_and_deduplicated() {
    let (server, base) = Server::start().await;
    let index = client(&base).daily_form_index(date!(2020 - 03 - 18)).await.unwrap().expect("index exists");

    let expected = expected_ownership_accessions();
    assert_eq!(expected.len(), 1036);
    assert_eq!(index.entries.len(), expected.len());
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    let got: HashSet<String> = index.entries.iter().map(|e| e.accession.to_string()).collect();
    assert_eq!(got, expected);

    let allowed = ["3", "4", "5", "3/A", "4/A", "5/A"];
    let mut per_form: HashMap<String, usize> = HashMap::new();
    for e in &index.entries {
        let form = e.form.to_string();
        assert!(allowed.contains(&form.as_str()), "{e:?}");
        assert_eq!(e.date_filed, date!(2020 - 03 - 18));
        assert!(e.path.ends_with(&format!("/{}.txt", e.accession)), "{e:?}");
        *per_form.entry(form).or_default() += 1;
    }
    assert_eq!(per_form.get("3/A"), Some(&1), "{per_form:?}"); // the fixture's two 3/A rows are one filing
    assert!(!per_form.contains_key("5"), "{per_form:?}");
    // First in index order wins: the first Form 3 row of the file.
    let first: &IndexEntry = &index.entries[0];
    assert_eq!(first.company_name, "10x Genomics, Inc.");
    assert_eq!((first.cik.as_str(), first.accession.as_str()), ("0001770787", "0000899243-20-008926"));
    server.assert_user_agent_on_every_request();
}

#[tokio::test]
async fn a_day_without_an_index_is_none() {
    let (server, base) = Server::start().await;
    let saturday = client(&base).daily_form_index(date!(2020 - 03 - 21)).await.unwrap();
    assert!(saturday.is_none());
    let hits = server.hits.lock().unwrap();
    assert_eq!(hits.iter().filter(|h| h.path == WEEKEND_PATH).count(), 1, "404 is not retried");
}

#[tokio::test]
async fn filings_are_fetched_by_entry_or_path() {
    let (server, base) = Server::start().await;
    let client = client(&base);
    let index = client.daily_form_index(date!(2020 - 03 - 18)).await.unwrap().unwrap();
    let mut entry = index.entries[0].clone();
    entry.path = FILINGS[0].0.to_owned();
    assert_eq!(client.fetch_filing(&entry).await.unwrap(), fixture(FILINGS[0].1));
    assert_eq!(client.fetch_filing(FILINGS[1].0).await.unwrap(), fixture(FILINGS[1].1));
    server.assert_user_agent_on_every_request();
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let (server, base) = Server::start().await;
    let client = client(&base);
    let (throttled, flaky) = tokio::join!(client.fetch_filing(THROTTLED), client.fetch_filing(FLAKY));
    assert_eq!(throttled.unwrap(), b"recovered");
    assert_eq!(flaky.unwrap(), b"recovered");

    let throttled_hits = server.hits_for(THROTTLED);
    assert_eq!(throttled_hits.len(), 2);
    assert!(throttled_hits[1] - throttled_hits[0] >= Duration::from_secs(1), "Retry-After: 1 was not honoured");
    let flaky_hits = server.hits_for(FLAKY);
    assert_eq!(flaky_hits.len(), 3);
    assert!(flaky_hits[1] - flaky_hits[0] >= Duration::from_millis(500), "no backoff");
    assert!(flaky_hits[2] - flaky_hits[1] >= Duration::from_millis(1000), "backoff did not grow");
    server.assert_user_agent_on_every_request();
}

#[tokio::test]
async fn persistent_server_errors_give_up_naming_url_and_status() {
    let (server, base) = Server::start().await;
    let client = EdgarClient::builder(UA).base_url(&base).retry_base(Duration::from_millis(10)).build().unwrap();
    let err = client.fetch_filing(BROKEN).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, EdgarError::RetriesExhausted { attempts: 5, .. }), "{message}");
    assert!(message.contains(&format!("{base}Archives/{BROKEN}")), "{message}");
    assert!(message.contains("503"), "{message}");
    assert_eq!(server.hits_for(BROKEN).len(), 5);
}

/// A port nothing listens on: every attempt is refused before any HTTP answer.
#[tokio::test]
async fn a_host_that_never_answers_is_unreachable_not_a_server_error() {
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/");
    let client = EdgarClient::builder(UA).base_url(&base).retry_base(Duration::from_millis(10)).build().unwrap();
    let err = client.daily_form_index(date!(2020 - 03 - 18)).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, EdgarError::Unreachable { attempts: 5, .. }), "{message}");
    assert!(message.contains(&format!("{base}Archives/edgar/daily-index/")), "{message}");
    assert!(message.to_lowercase().contains("refused"), "the cause is named: {message}");
}

#[tokio::test]
async fn a_missing_filing_is_an_immediate_error_naming_the_url() {
    let (server, base) = Server::start().await;
    let missing = "edgar/data/3/0000000003-20-000404.txt";
    let err = client(&base).fetch_filing(missing).await.unwrap_err();
    assert!(matches!(err, EdgarError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains(&format!("{base}Archives/{missing}")), "{err}");
    assert_eq!(server.hits_for(missing).len(), 1, "404 must not be retried");
}

#[test]
fn a_user_agent_is_required() {
    for ua in ["", "   "] {
        let err = EdgarClient::builder(ua).base_url("http://127.0.0.1:1/").build().unwrap_err();
        assert!(matches!(err, EdgarError::MissingUserAgent), "{err}");
        assert!(err.to_string().contains("User-Agent"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_stay_within_ten_per_second() {
    let (server, base) = Server::start().await;
    let client = client(&base);
    let tasks: Vec<_> = (0..25)
        .map(|i| {
            let client = client.clone(); // clones share the limiter
            tokio::spawn(async move { client.fetch_filing(&format!("{ALWAYS_OK}{i}.txt")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), b"ok");
    }
    let mut arrivals: Vec<Instant> = server.hits.lock().unwrap().iter().map(|h| h.at).collect();
    assert_eq!(arrivals.len(), 25);
    arrivals.sort();
    // More than 10 in some 1-second window <=> some 11 consecutive arrivals span less than 1 s.
    for (i, window) in arrivals.windows(11).enumerate() {
        let span = window[10] - window[0];
        assert!(span >= Duration::from_secs(1), "arrivals {i}..={} within {span:?}", i + 10);
    }
    server.assert_user_agent_on_every_request();
}
