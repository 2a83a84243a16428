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
    /// Answered with a 404: a re-run may find them (exit code 1).
    missing: BTreeSet<String>,
    /// Answered with a cut-off document: a re-run cannot help (exit code 3).
    malformed: BTreeSet<String>,
    /// Whether every other weekday has an index (with no ownership filings
    /// in it) unless it is one of `holidays`; otherwise only 2020-03-18 has.
    weekday_indexes: bool,
    holidays: BTreeSet<Date>,
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
        let weekday = !matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday);
        if upstream.weekday_indexes && weekday && !upstream.holidays.contains(&day) {
            return HttpResponse::Ok().body(trimmed_index(0).0);
        }
        return HttpResponse::NotFound().finish();
    }
    let Some(file) = path.strip_prefix("/Archives/edgar/data/") else { return HttpResponse::NotFound().finish() };
    let n: usize = file.bytes().map(usize::from).sum();
    if upstream.missing.iter().any(|accession| file.contains(accession.as_str())) {
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
fn start_edgar(index: String, upstream: Upstream) -> (u16, actix_web::dev::ServerHandle, web::Data<Mutex<Seen>>) {
    let seen = web::Data::new(Mutex::new(Seen::default()));
    let (index, upstream, server_seen) = (web::Data::new(index), web::Data::new(upstream), seen.clone());
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

/// Runs `insider-bulk-ingest edgar --from FROM --to TO` against the local
/// EDGAR on `port`, into `db`.
async fn run_edgar(db: &TestDatabase, port: u16, from: &'static str, to: &'static str) -> std::process::Output {
    let url = sqlite_path(db);
    let base = format!("http://127.0.0.1:{port}/");
    actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(["edgar", "--from", from, "--to", to, "--base-url", &base])
            .args(["--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn edgar_days_are_downloaded_loaded_and_recorded() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let gone: BTreeSet<String> = accessions.iter().take(2).cloned().collect();
    let missing = gone.len();
    let (port, handle, seen) = start_edgar(index, Upstream { missing: gone, ..Upstream::default() });
    let db = TestDatabase::sqlite();
    let run = |from, to| run_edgar(&db, port, from, to);
    let output = run("2020-03-18", "2020-03-19").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "some filings failed, so exit 1:\n{stdout}\n{stderr}");

    let mut conn = db.connect();
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days.len(), 1, "2020-03-19 has no index, nor has a later day yet, so it waits: {stdout}");
    let first = &days[0];
    assert_eq!(first.day, date!(2020 - 03 - 18));
    assert_eq!(first.filings_found as usize, accessions.len(), "de-duplicated by accession");
    assert_eq!(first.failed as usize, missing, "{stderr}");
    assert_eq!(first.loaded as usize, accessions.len() - missing);
    assert_eq!(count_filings(&mut conn) as usize, accessions.len() - missing);
    assert_eq!(edgar_days::ingested_through(&mut conn).unwrap(), Some(date!(2020 - 03 - 18)));
    assert!(stdout.contains("2020-03-19: no index yet"), "{stdout}");
    assert_eq!(edgar_days::failure_count(&mut conn).unwrap() as usize, missing);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.user_agents, BTreeSet::from(["insider-bulk tests test@example.com".to_owned()]));
    }

    // Re-running a day is safe: nothing new is loaded, the record is replaced.
    let again = run("2020-03-18", "2020-03-18").await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("loaded 0"), "{}", String::from_utf8_lossy(&again.stdout));
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days[0].unchanged as usize, accessions.len() - missing);
    assert_eq!(count_filings(&mut conn) as usize, accessions.len() - missing);
    handle.stop(true).await;
}

/// A malformed filing is reported and the rest of the day still loads; the
/// exit code (3) tells a scheduler that running the day again cannot help.
#[actix_web::test]
async fn a_malformed_filing_is_exit_three_and_the_rest_still_loads() {
    let (index, accessions) = trimmed_index(OWNERSHIP_LINES);
    let broken: BTreeSet<String> = accessions.iter().take(1).cloned().collect();
    let (port, handle, _seen) = start_edgar(index, Upstream { malformed: broken.clone(), ..Upstream::default() });
    let db = TestDatabase::sqlite();
    let output = run_edgar(&db, port, "2020-03-18", "2020-03-18").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "only malformed filings failed, so exit 3:\n{stderr}");
    let broken = broken.first().unwrap();
    assert!(stderr.contains(broken.as_str()), "the malformed filing is named: {stderr}");

    let mut conn = db.connect();
    let days = edgar_days::list_days(&mut conn).unwrap();
    assert_eq!(days.len(), 1, "the day is recorded");
    assert_eq!(days[0].failed, 1);
    assert_eq!(count_filings(&mut conn) as usize, accessions.len() - 1);
    assert_eq!(edgar_days::failure_count(&mut conn).unwrap(), 1);
    handle.stop(true).await;
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
    let (port, handle, seen) = start_edgar(trimmed_index(OWNERSHIP_LINES).0, upstream);
    let db = TestDatabase::sqlite();
    let mut conn = db.connect();
    let now = insider_bulk_core::db::now_utc();
    edgar_days::record_day(&mut conn, &edgar_days::EdgarDay::without_index(start, now)).unwrap();
    let later =
        edgar_days::EdgarDay { filings_found: 5, loaded: 5, ..edgar_days::EdgarDay::without_index(loaded_later, now) };
    edgar_days::record_day(&mut conn, &later).unwrap();

    let url = sqlite_path(&db);
    let catch_up = move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(["edgar", "--catch-up", "--base-url", &format!("http://127.0.0.1:{port}/")])
            .args(["--user-agent", "insider-bulk tests test@example.com"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let first = actix_web::rt::task::spawn_blocking(catch_up.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&first.stderr));
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
