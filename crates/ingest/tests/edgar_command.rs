//! `insider-bulk-ingest edgar` end to end against a real local HTTP server
//! that serves the fixture daily form index (cut to its first ownership
//! entries, so the test stays within SEC's 10 requests per second) and real
//! fixture documents at the filing paths the index names.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Mutex;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use insider_bulk_core::db::{edgar_days, DbConnection};
use insider_bulk_testing::{fixtures_dir, TestDatabase};
use time::macros::date;
use time::Date;

const OWNERSHIP_LINES: usize = 24;

/// The fixture index with its header, a few other forms and the first
/// `ownership_lines` ownership lines; and the accession numbers those
/// lines name.
fn trimmed_index(ownership_lines: usize) -> (String, BTreeSet<String>) {
    let full = std::fs::read_to_string(fixtures_dir().join("index_form.20200318.idx")).unwrap();
    let mut lines = full.lines();
    let dashes = "-".repeat(140);
    let mut kept: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("----")).collect();
    kept.push(&dashes);
    let body: Vec<&str> = lines.collect();
    kept.extend(body.iter().filter(|l| l.starts_with("1-A ")).take(3));
    let ownership: Vec<&str> = body
        .iter()
        .copied()
        .filter(|l| ["3 ", "4 ", "5 ", "3/A ", "4/A ", "5/A "].iter().any(|f| l.starts_with(f)))
        .take(ownership_lines)
        .collect();
    kept.extend(&ownership);
    let accessions = ownership
        .iter()
        .map(|l| l.split_whitespace().last().unwrap().rsplit('/').next().unwrap().trim_end_matches(".txt").to_owned())
        .collect();
    (kept.join("\n") + "\n", accessions)
}

/// Bare ownership XML fixtures: their accession comes from the path served.
fn documents() -> Vec<Vec<u8>> {
    ["form4_0000899243-21-019441.xml", "form4_0001062993-23-012371.xml", "form3_0000899243-21-036608.xml"]
        .iter()
        .map(|name| std::fs::read(fixtures_dir().join(name)).unwrap())
        .collect()
}

#[derive(Default)]
struct Seen {
    user_agents: BTreeSet<String>,
    requests: usize,
}

/// Filings that are broken upstream: each must be reported, not fatal.
#[derive(Default)]
struct Upstream {
    /// Answered with a 404: a re-run may find them (exit code 1). A test
    /// empties it to let a later run fetch them.
    missing: Mutex<BTreeSet<String>>,
    /// Answered with a cut-off document: a re-run cannot help (exit code 3).
    malformed: BTreeSet<String>,
    /// Whether every other weekday has an index (with no ownership filings
    /// in it) unless it is one of `holidays`; otherwise only 2020-03-18 has.
    weekday_indexes: bool,
    holidays: BTreeSet<Date>,
    /// A day whose index answers 500 every time.
    broken_index: Option<Date>,
}

async fn serve(
    req: HttpRequest,
    index: web::Data<String>,
    upstream: web::Data<Upstream>,
    seen: web::Data<Mutex<Seen>>,
) -> HttpResponse {
    let path = req.path().to_owned();
    {
        let mut seen = seen.lock().unwrap();
        seen.requests += 1;
        let ua = req.headers().get("user-agent").map(|v| v.to_str().unwrap_or("").to_owned()).unwrap_or_default();
        seen.user_agents.insert(ua);
    }
    if path == "/Archives/edgar/daily-index/2020/QTR1/form.20200318.idx" {
        return HttpResponse::Ok().body(index.get_ref().clone());
    }
    if let Some(name) = path.strip_prefix("/Archives/edgar/daily-index/") {
        let day = name.rsplit_once("form.").and_then(|(_, d)| d.strip_suffix(".idx"));
        let format = time::macros::format_description!("[year][month][day]");
        let day = day.and_then(|d| Date::parse(d, &format).ok()).expect("a daily index path");
        if upstream.broken_index == Some(day) {
            return HttpResponse::InternalServerError().finish();
        }
        let weekday = !matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday);
        if upstream.weekday_indexes && weekday && !upstream.holidays.contains(&day) {
            return HttpResponse::Ok().body(trimmed_index(0).0);
        }
        return HttpResponse::NotFound().finish();
    }
    let Some(file) = path.strip_prefix("/Archives/edgar/data/") else { return HttpResponse::NotFound().finish() };
    let n: usize = file.bytes().map(usize::from).sum();
    if upstream.missing.lock().unwrap().iter().any(|accession| file.contains(accession.as_str())) {
        return HttpResponse::NotFound().finish();
    }
    if upstream.malformed.iter().any(|accession| file.contains(accession.as_str())) {
        return HttpResponse::Ok().body("<ownershipDocument><documentType>4");
    }
    let docs = documents();
    HttpResponse::Ok().body(docs[n % docs.len()].clone())
}

fn count_filings(conn: &mut DbConnection) -> i64 {
    use diesel::prelude::*;
    insider_bulk_core::db::schema::filings::table.count().get_result(conn).unwrap()
}

/// A local EDGAR serving `index` for 2020-03-18 and documents for its
/// filings, broken as `upstream` says; its port, a handle to stop it and
/// what it saw.
fn start_edgar(
    index: String,
    upstream: web::Data<Upstream>,
) -> (u16, actix_web::dev::ServerHandle, web::Data<Mutex<Seen>>) {
    let seen = web::Data::new(Mutex::new(Seen::default()));
    let (index, server_seen) = (web::Data::new(index), seen.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(index.clone())
            .app_data(upstream.clone())
            .app_data(server_seen.clone())
            .default_service(web::to(serve))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);
    (port, handle, seen)
}

fn sqlite_path(db: &TestDatabase) -> String {
    match &db.url {
        insider_bulk_core::db::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        other => panic!("{other}"),
    }
}

/// Runs `insider-bulk-ingest edgar ARGS…` against the local EDGAR on
/// `port`, into `db`.
async fn ingest(db: &TestDatabase, port: u16, args: &[&str]) -> std::process::Output {
    let url = sqlite_path(db);
    let base = format!("http://127.0.0.1:{port}/");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .arg("edgar")
            .args(&args)
            .args(["--base-url", &base, "--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

async fn run_edgar(db: &TestDatabase, port: u16, from: &str, to: &str) -> std::process::Output {
    ingest(db, port, &["--from", from, "--to", to]).await
}

fn text(output: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[actix_web::test]
async fn edgar_days_are_downloaded_loaded_and_recorded() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let gone: BTreeSet<String> = accessions.iter().take(2).cloned().collect();
    let missing = gone.len();
    let upstream = web::Data::new(Upstream { missing: Mutex::new(gone), ..Upstream::default() });
    let (port, handle, seen) = start_edgar(index, upstream.clone());
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2020-03-18", "2020-03-19").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "some downloads failed, so exit 1:\n{stdout}\n{stderr}");
    // The plan comes before any filing is fetched: days, filings, time.
    let n = accessions.len();
    assert!(stdout.contains("plan: 2020-03-18 to 2020-03-19, 2 days: reading 2 daily indexes takes about"), "{stdout}");
    let found =
        format!("plan: {n} ownership filings; days with an index 1, without one 1 (weekdays 1, weekend days 0)");
    assert!(stdout.contains(&found), "{stdout}");
    assert!(stdout.contains(&format!("plan: fetching them takes {n} requests, about")), "{stdout}");
    let day_line =
        format!("2020-03-18: found {n}, loaded {}, unchanged 0, failed 0, not downloaded {missing}", n - missing);
    let day_line = stdout.lines().find(|l| l.starts_with(&day_line)).unwrap_or_else(|| panic!("{stdout}"));
    assert!(day_line.contains("not ingested until a run fetches them"), "{day_line}");
    assert!(day_line.contains(&format!("[{n}/{n} requests, about")), "off a terminal, a line per day: {day_line}");

    let mut conn = db.connect();
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days.len(), 1, "2020-03-19 has no index, nor has a later day yet, so it waits: {stdout}");
    let first = &days[0];
    assert_eq!(first.day, date!(2020 - 03 - 18));
    assert_eq!(first.filings_found as usize, n, "de-duplicated by accession");
    assert_eq!((first.failed, first.failed_downloads as usize), (0, missing), "{stderr}");
    assert_eq!(first.loaded as usize, n - missing);
    assert_eq!(count_filings(&mut conn) as usize, n - missing);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), None, "a day short of filings is not ingested");
    assert!(stdout.contains("2020-03-19: no index yet"), "{stdout}");
    assert!(stdout.contains("ingested through: nothing yet"), "{stdout}");
    assert_eq!(edgar_days::failure_count(&mut conn).unwrap() as usize, missing);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.user_agents, BTreeSet::from(["insider-bulk tests test@example.com".to_owned()]));
    }

    // EDGAR serves them again: re-running the day fetches them, loads
    // nothing else anew, and the day now counts. (This fake serves bare
    // documents, stored as edgar_document, so the day's other filings are
    // fetched again too: only a submission's text is complete.)
    upstream.missing.lock().unwrap().clear();
    let again = run_edgar(&db, port, "2020-03-18", "2020-03-18").await;
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("loaded {missing}, unchanged {}", n - missing)), "{stdout}");
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(
        (days[0].loaded as usize, days[0].unchanged as usize, days[0].failed_downloads),
        (missing, n - missing, 0)
    );
    assert_eq!(count_filings(&mut conn) as usize, n);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 18)));
    assert_eq!(edgar_days::failure_count(&mut conn).unwrap(), 0, "the fetched filings' failures are forgotten");
    handle.stop(true).await;
}

/// A malformed filing is reported and the rest of the day still loads; the
/// exit code (3) tells a scheduler that running the day again cannot help,
/// and the filing does not hold the mark.
#[actix_web::test]
async fn a_malformed_filing_is_exit_three_and_the_rest_still_loads() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let broken: BTreeSet<String> = accessions.iter().take(1).cloned().collect();
    let upstream = Upstream { malformed: broken.clone(), ..Upstream::default() };
    let (port, handle, _seen) = start_edgar(index, web::Data::new(upstream));
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2020-03-18", "2020-03-18").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "only malformed filings failed, so exit 3:\n{stderr}");
    let broken = broken.first().unwrap();
    assert!(stderr.contains(broken.as_str()), "the malformed filing is named: {stderr}");

    let mut conn = db.connect();
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days.len(), 1, "the day is recorded");
    assert_eq!((days[0].failed, days[0].failed_downloads), (1, 0));
    assert_eq!(count_filings(&mut conn) as usize, accessions.len() - 1);
    assert_eq!(edgar_days::failure_count(&mut conn).unwrap(), 1);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 18)));
    handle.stop(true).await;
}

/// When a whole day's downloads fail, EDGAR has stopped serving filings:
/// the crawl stops there instead of spending every later day's retries.
#[actix_web::test]
async fn a_day_whose_every_download_fails_stops_the_crawl() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let upstream = Upstream { missing: Mutex::new(accessions.clone()), weekday_indexes: true, ..Upstream::default() };
    let (port, handle, _seen) = start_edgar(index, web::Data::new(upstream));
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2020-03-18", "2020-03-20").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let n = accessions.len();
    assert!(
        stderr.contains(&format!("all {n} downloads of 2020-03-18 failed, the last: not found (HTTP 404)")),
        "{stderr}"
    );
    let mut conn = db.connect();
    let days: Vec<Date> = edgar_days::list_days(&mut conn).unwrap().into_iter().map(|d| d.day).collect();
    assert_eq!(days, [date!(2020 - 03 - 18)], "the days after it are not tried: {stdout}");
    handle.stop(true).await;
}

/// An index EDGAR will not serve stops the first pass there: the days
/// before it are loaded, none after it is tried, and the run exits 1.
#[actix_web::test]
async fn an_index_that_cannot_be_read_stops_the_crawl_there() {
    let broken = date!(2020 - 03 - 20);
    let upstream = Upstream { weekday_indexes: true, broken_index: Some(broken), ..Upstream::default() };
    let (port, handle, seen) = start_edgar(trimmed_index(OWNERSHIP_LINES).0, web::Data::new(upstream));
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2020-03-18", "2020-03-31").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("plan: reading indexes stopped after 2020-03-19"), "{stdout}");
    assert!(stderr.contains("did not serve the index of 2020-03-20"), "{stderr}");
    assert!(stderr.contains("HTTP 500"), "the cause is named: {stderr}");
    let mut conn = db.connect();
    let days: Vec<Date> = edgar_days::list_days(&mut conn).unwrap().into_iter().map(|d| d.day).collect();
    assert_eq!(days, [date!(2020 - 03 - 18), date!(2020 - 03 - 19)], "{stdout}");
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 19)));
    let requests = seen.lock().unwrap().requests;
    assert!(requests < OWNERSHIP_LINES + 5 + 14, "no day after the stop is fetched: {requests} requests");
    handle.stop(true).await;
}

/// A host that accepts connections and closes them unanswered: the crawl
/// stops after the first day's attempts, naming the cause, and records nothing.
#[actix_web::test]
async fn an_unreachable_host_fails_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2024-07-01", "2024-07-31").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains(&format!("EDGAR at http://127.0.0.1:{port}/ cannot be reached")), "{stderr}");
    assert!(stderr.contains("form.20240701.idx: no answer in 5 attempts"), "{stderr}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 5, "one day's attempts, not 31 days'");
    assert!(edgar_days::list_days(&mut db.connect()).unwrap().is_empty());
}

/// A server with no index for any day of the range is not EDGAR (or is
/// refusing us): an error, not a quiet success, and nothing recorded, not
/// even the weekends.
#[actix_web::test]
async fn a_host_without_any_index_is_an_error() {
    let (port, handle, seen) = start_edgar(trimmed_index(0).0, web::Data::new(Upstream::default()));
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2024-07-01", "2024-07-31").await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("served no daily index for any weekday from 2024-07-01 to 2024-07-31"), "{stderr}");
    assert!(edgar_days::list_days(&mut db.connect()).unwrap().is_empty());
    assert_eq!(seen.lock().unwrap().requests, 31, "one request per day");

    // With a day EDGAR served before, and still serves, a range without
    // an index is a run of holidays: the weekend is recorded, the weekdays wait.
    let mut conn = db.connect();
    let known = edgar_days::EdgarDay {
        filings_found: 5,
        loaded: 5,
        ..edgar_days::EdgarDay::without_index(date!(2020 - 03 - 18), insider_bulk_core::db::now_utc())
    };
    edgar_days::record_day(&mut conn, &known).unwrap();
    let holidays = run_edgar(&db, port, "2024-07-04", "2024-07-07").await;
    let (stdout, stderr) = text(&holidays);
    assert_eq!(holidays.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("2024-07-04: no index yet"), "{stdout}");
    assert_eq!(edgar_days::list_days(&mut conn).unwrap().len(), 3, "the known day and the weekend");
    handle.stop(true).await;
}

/// Bad input is refused with a clear error (exit 2) before any request.
#[actix_web::test]
async fn bad_ranges_and_settings_are_refused() {
    let db = TestDatabase::sqlite();
    let cases: [(&[&str], &str); 5] = [
        (&["--from", "2024-07-31", "--to", "2024-07-01"], "--to 2024-07-01 is before --from 2024-07-31"),
        (&["--from", "2002-12-30", "--to", "2003-01-02"], "--from 2002-12-30 is before 2003-01-01"),
        (&["--from", "2024-07-01", "--to", "2999-01-01"], "--to 2999-01-01 is after today"),
        (&["--from", "2024-07-01", "--to", "2024-07-31", "--max-rps", "11"], "11 is not in 1..=10"),
        (&["--from", "2024-07-01", "--to", "2024-07-31", "--concurrency", "0"], "0 is not in 1..=64"),
    ];
    for (args, message) in cases {
        let output = ingest(&db, 9, args).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}:\n{stdout}\n{stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stdout.contains("plan:"), "{args:?}: {stdout}");
    }
    let help = ingest(&db, 9, &["--help"]).await;
    let (stdout, _) = text(&help);
    for code in ["Exit codes:", "  1  retrying may help", "  2  the command could not run", "  3  only malformed"] {
        assert!(stdout.contains(code), "--help documents the exit codes: {stdout}");
    }
}

fn catch_up_command(db: &TestDatabase, port: u16) -> impl Fn() -> std::process::Output + Clone + Send + 'static {
    let url = sqlite_path(db);
    move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(["edgar", "--catch-up", "--base-url", &format!("http://127.0.0.1:{port}/")])
            .args(["--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    }
}

/// `--catch-up`, what the daily CronJob runs: every day after
/// `ingested_through` up to the previous business day. Weekends and a
/// weekday holiday (confirmed by the later indexes) are recorded without
/// an index, so the mark reaches that day; a day loaded after the gap is
/// not fetched again.
#[actix_web::test]
async fn catch_up_loads_every_day_after_ingested_through() {
    use insider_bulk_ingest::commands::edgar::previous_business_day;

    let target = previous_business_day(time::OffsetDateTime::now_utc().date());
    let start = target - time::Duration::days(9);
    let holiday =
        (1..).map(|n| start + time::Duration::days(n)).find(|d| d.weekday().number_from_monday() <= 5).unwrap();
    let loaded_later = previous_business_day(target);
    assert!(start < holiday && holiday < loaded_later && loaded_later < target);
    let upstream = Upstream { weekday_indexes: true, holidays: BTreeSet::from([holiday]), ..Upstream::default() };
    let (port, handle, seen) = start_edgar(trimmed_index(OWNERSHIP_LINES).0, web::Data::new(upstream));
    let db = TestDatabase::sqlite();
    let mut conn = db.connect();
    let now = insider_bulk_core::db::now_utc();
    edgar_days::record_day(&mut conn, &edgar_days::EdgarDay::without_index(start, now)).unwrap();
    let later =
        edgar_days::EdgarDay { filings_found: 5, loaded: 5, ..edgar_days::EdgarDay::without_index(loaded_later, now) };
    edgar_days::record_day(&mut conn, &later).unwrap();

    let catch_up = catch_up_command(&db, port);
    let first = actix_web::rt::task::spawn_blocking(catch_up.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&first.stderr));
    assert!(!stdout.contains("reach"), "the gap is within reach: {stdout}");
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days.len(), 10, "{stdout}");
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(target), "{stdout}");
    assert!(stdout.contains(&format!("{holiday}: holiday")), "{stdout}");
    assert_eq!(days.iter().find(|d| d.day == loaded_later), Some(&later), "not loaded again");
    assert_eq!(seen.lock().unwrap().requests, 8, "one index request per day after the mark, but the one loaded");

    let again = actix_web::rt::task::spawn_blocking(catch_up).await.unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to catch up"));
    assert_eq!(seen.lock().unwrap().requests, 8, "nothing fetched when there is nothing new");
    handle.stop(true).await;
}

/// A gap older than `--catch-up`'s reach is named, with the command that
/// closes it; the run still loads what it reaches.
#[actix_web::test]
async fn catch_up_states_its_reach() {
    use insider_bulk_ingest::commands::edgar::{previous_business_day, CATCH_UP_DAYS};

    let target = previous_business_day(time::OffsetDateTime::now_utc().date());
    let through = target - time::Duration::days(CATCH_UP_DAYS + 20);
    let upstream = Upstream { weekday_indexes: true, ..Upstream::default() };
    let (port, handle, seen) = start_edgar(trimmed_index(0).0, web::Data::new(upstream));
    let db = TestDatabase::sqlite();
    let mut conn = db.connect();
    let now = insider_bulk_core::db::now_utc();
    edgar_days::record_day(&mut conn, &edgar_days::EdgarDay::without_index(through, now)).unwrap();

    let catch_up = catch_up_command(&db, port);
    let output = actix_web::rt::task::spawn_blocking(catch_up.clone()).await.unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let from = target - time::Duration::days(CATCH_UP_DAYS - 1);
    let gap = (through.next_day().unwrap(), from.previous_day().unwrap());
    assert!(stdout.contains(&format!("beyond --catch-up's {CATCH_UP_DAYS}-day reach")), "{stdout}");
    assert!(stdout.contains(&format!("  insider-bulk-ingest edgar --from {} --to {}\n", gap.0, gap.1)), "{stdout}");
    assert!(stdout.contains(&format!("catch-up: this run loads {from} to {target}")), "{stdout}");
    assert_eq!(seen.lock().unwrap().requests, CATCH_UP_DAYS as usize);
    assert_eq!(edgar_days::list_days(&mut conn).unwrap().len(), 1 + CATCH_UP_DAYS as usize);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(through), "the gap holds the mark");

    // The next run still names the gap, and has nothing new to fetch.
    let again = actix_web::rt::task::spawn_blocking(catch_up).await.unwrap();
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("--from {} --to {}", gap.0, gap.1)), "{stdout}");
    assert!(stdout.contains("nothing to catch up within reach"), "{stdout}");
    assert_eq!(seen.lock().unwrap().requests, CATCH_UP_DAYS as usize);
    handle.stop(true).await;
}

/// The crawl SIGKILLed at random while it fetches, stores and records its
/// days, each time into a new database: after the kill the mark agrees with
/// the recorded days and never passes a day whose filings are not all
/// stored, and one more run finishes the range from there.
#[actix_web::test]
async fn a_crawl_killed_at_random_never_marks_a_day_it_did_not_store() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let upstream = web::Data::new(Upstream { weekday_indexes: true, ..Upstream::default() });
    let (port, handle, _) = start_edgar(index, upstream);
    let base = format!("http://127.0.0.1:{port}/");
    let (from, to) = ("2020-03-16", "2020-03-20");
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("kill delays seeded with {seed}");
    let mut rng = seed | 1;
    for n in 0..4 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Five indexes and the documents at 10 requests/s: about 3 s a run,
        // the day of filings stored and recorded near its end.
        let delay = std::time::Duration::from_millis(1_500 + rng % 2_000);
        let db = TestDatabase::sqlite();
        let mut child = Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(["edgar", "--from", from, "--to", to, "--base-url", &base])
            .args(["--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", sqlite_path(&db))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        actix_web::rt::time::sleep(delay).await;
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(status.code().is_none_or(|c| c == 0), "run {n} failed on its own: {status}");
        let mut conn = db.connect();
        let days = edgar_days::list_days(&mut conn).unwrap();
        let through = edgar_days::ingested_through(&mut conn).unwrap();
        let complete = days.iter().filter(|d| d.is_complete()).map(|d| d.day);
        assert_eq!(through, edgar_days::unbroken_through(complete), "run {n}: the mark agrees with the days");
        let filings = count_filings(&mut conn) as usize;
        println!(
            "run {n}: SIGKILL after {delay:?} ({status}): {} days, through {through:?}, {filings} filings",
            days.len()
        );
        if days.iter().any(|d| d.day == date!(2020 - 03 - 18) && d.is_complete()) {
            assert_eq!(filings, accessions.len(), "run {n}: 2020-03-18 is recorded but its filings are not all stored");
        }
        let output = run_edgar(&db, port, from, to).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "run {n}, again:\n{stdout}\n{stderr}");
        assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 20)), "{stdout}");
        assert_eq!(count_filings(&mut conn) as usize, accessions.len());
    }
    handle.stop(true).await;
}
