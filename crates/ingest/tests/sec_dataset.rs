//! `insider-bulk-ingest sec-dataset` as a user runs it: SEC's real 2024 Q3
//! tables imported in place, a zip in SEC's layout with all eight tables
//! and broken rows, downloads from a real local HTTP server, precedence
//! of EDGAR documents, and the exit codes; on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use insider_bulk_core::db::filings::load_filings;
use insider_bulk_core::db::{DatabaseUrl, DbConnection};
use insider_bulk_core::domain::{FilingSource, Flag};
use insider_bulk_testing::{fixtures_dir, month_fingerprints, Backend, TestDatabase};

const UA: &str = "insider-bulk tests test@example.com";

fn database_url(db: &TestDatabase) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        other => other.to_string(),
    }
}

fn ingest(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
        .args(args)
        .env("DATABASE_URL", database_url(db))
        .env_remove("EDGAR_USER_AGENT")
        .env_remove("EDGAR_BASE_URL")
        .output()
        .expect("run insider-bulk-ingest")
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn count_filings(conn: &mut DbConnection) -> i64 {
    use diesel::prelude::*;
    insider_bulk_core::db::schema::filings::table.count().get_result(conn).unwrap()
}

fn fixture_table(table: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(format!("dataset_2024q3_{table}.tsv"))).unwrap()
}

#[test]
fn the_fixture_tables_import_in_place_and_a_second_import_changes_nothing() {
    let db = TestDatabase::sqlite();
    let out = ingest(&db, &["sec-dataset", fixtures_dir().to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let tables = "tables read: SUBMISSION 36075, NONDERIV_HOLDING 17897, DERIV_TRANS 19003, DERIV_HOLDING 8136, \
                  OWNER_SIGNATURE 39236; absent (read as empty): REPORTINGOWNER, NONDERIV_TRANS, FOOTNOTES";
    assert!(stdout.contains(tables), "{stdout}");
    assert!(stdout.contains("filings loaded 36075 (new 36075, changed 0), unchanged 0"), "{stdout}");
    let mut conn = db.connect();
    assert_eq!(count_filings(&mut conn), 36_075);
    let before = month_fingerprints(&mut conn);

    // The same tables named one by one are the same data set.
    let files: Vec<String> = ["SUBMISSION", "NONDERIV_HOLDING", "DERIV_TRANS", "DERIV_HOLDING", "OWNER_SIGNATURE"]
        .iter()
        .map(|t| fixtures_dir().join(format!("dataset_2024q3_{t}.tsv")).display().to_string())
        .collect();
    let mut args = vec!["sec-dataset"];
    args.extend(files.iter().map(String::as_str));
    let again = ingest(&db, &args);
    let (stdout, stderr) = text(&again);
    assert_eq!(again.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("filings loaded 0 (new 0, changed 0), unchanged 36075"), "{stdout}");
    assert_eq!(month_fingerprints(&mut conn), before, "month fingerprints, counts and rows are unchanged");
}

/// A small data set in SEC's layout: the fixtures' first `n` submissions
/// with their rows, and the three tables the fixtures lack written as SEC
/// writes them, for the first two filings.
fn small_data_set(n: usize) -> (BTreeMap<&'static str, String>, Vec<String>) {
    let submission = fixture_table("SUBMISSION");
    let mut lines = submission.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.take(n).collect();
    let accessions: Vec<String> = rows.iter().map(|l| l.split('\t').next().unwrap().to_owned()).collect();
    // SEC's newer sets add the 10b5-1 box; read it when present.
    let mut sub = format!("{header}\tAFF10B5ONE\n");
    for (i, row) in rows.iter().enumerate() {
        sub.push_str(&format!("{row}\t{}\n", if i == 0 { "true" } else { "" }));
    }
    let mut tables = BTreeMap::from([("SUBMISSION", sub)]);
    for table in ["NONDERIV_HOLDING", "DERIV_TRANS", "DERIV_HOLDING", "OWNER_SIGNATURE"] {
        let full = fixture_table(table);
        let mut lines = full.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines.filter(|l| accessions.iter().any(|a| l.starts_with(a.as_str()))) {
            out.push_str(line);
            out.push('\n');
        }
        tables.insert(table, out);
    }
    let (a, b) = (&accessions[0], &accessions[1]);
    tables.insert(
        "REPORTINGOWNER",
        format!(
            "ACCESSION_NUMBER\tRPTOWNERCIK\tRPTOWNERNAME\tRPTOWNER_RELATIONSHIP\tRPTOWNER_TITLE\tRPTOWNER_TXT\t\
             RPTOWNER_STREET1\tRPTOWNER_STREET2\tRPTOWNER_CITY\tRPTOWNER_STATE\tRPTOWNER_ZIPCODE\t\
             RPTOWNER_STATE_DESC\tFILE_NUMBER\n\
             {a}\t1234567\t\"Doe John \"\"JD\"\"\"\tDirector,Officer\tCEO\t\t1 Main St\t\tAustin\tTX\t78701\t\t001-12345\n\
             {b}\t0000007654\tRoe Jane\tTenPercentOwner\t\t\t2 Side St\tSuite 5\tBoston\tMA\t02110\t\t\n"
        ),
    );
    // NONDERIV_TRANS rows in reverse document order: the key orders them.
    let nt_header = "ACCESSION_NUMBER\tNONDERIV_TRANS_SK\tSECURITY_TITLE\tSECURITY_TITLE_FN\tTRANS_DATE\tTRANS_DATE_FN\t\
                     DEEMED_EXECUTION_DATE\tDEEMED_EXECUTION_DATE_FN\tTRANS_FORM_TYPE\tTRANS_CODE\tEQUITY_SWAP_INVOLVED\t\
                     EQUITY_SWAP_TRANS_CD_FN\tTRANS_TIMELINESS\tTRANS_TIMELINESS_FN\tTRANS_SHARES\tTRANS_SHARES_FN\t\
                     TRANS_PRICEPERSHARE\tTRANS_PRICEPERSHARE_FN\tTRANS_ACQUIRED_DISP_CD\tTRANS_ACQUIRED_DISP_CD_FN\t\
                     SHRS_OWND_FOLWNG_TRANS\tSHRS_OWND_FOLWNG_TRANS_FN\tVALU_OWND_FOLWNG_TRANS\t\
                     VALU_OWND_FOLWNG_TRANS_FN\tDIRECT_INDIRECT_OWNERSHIP\tDIRECT_INDIRECT_OWNERSHIP_FN\t\
                     NATURE_OF_OWNERSHIP\tNATURE_OF_OWNERSHIP_FN";
    tables.insert(
        "NONDERIV_TRANS",
        format!(
            "{nt_header}\n\
             {a}\t902\tCommon Stock\t\t28-SEP-2024\t\t\t\t4\tS\tfalse\t\t\t\t50.0\t\t12.5\tF3\tD\t\t950.0\t\t\t\tD\t\t\t\n\
             {a}\t901\tCommon Stock\t\t27-SEP-2024\t\t\t\t4\tM\t0\tF1, F2\t\t\t100.0\tF2\t10.25\t\t\
             A\t\t1000.0\t\t\t\tI\t\t\"By \"\"Trust\"\"\"\tF4\n"
        ),
    );
    tables.insert(
        "FOOTNOTES",
        format!(
            "ACCESSION_NUMBER\tFOOTNOTE_ID\tFOOTNOTE_TXT\n{a}\tF1\tExercise of options.\n\
             {a}\tF2\t\"Held by the \"\"Trust\"\".\"\n"
        ),
    );
    (tables, accessions)
}

fn write_zip(path: &Path, tables: &BTreeMap<&str, String>) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (table, text) in tables {
        zip.start_file(format!("{table}.tsv"), options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    for (name, body) in [("FORM_345_metadata.json", "{}"), ("FORM_345_readme.htm", "<html></html>")] {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn eight_tables_from_a_zip_with_broken_rows(backend: Backend) {
    let (mut tables, accessions) = small_data_set(60);
    let (a, b, c, d) = (&accessions[0], &accessions[1], &accessions[2], &accessions[3]);
    // Broken on purpose: a SUBMISSION row without a period, a child row of
    // no filing, a bad number in a filing's row, a row cut short.
    let sub = tables.get_mut("SUBMISSION").unwrap();
    *sub = sub
        .lines()
        .map(|l| {
            if l.starts_with(c.as_str()) {
                let mut f: Vec<&str> = l.split('\t').collect();
                f[2] = "";
                f.join("\t")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    tables.get_mut("OWNER_SIGNATURE").unwrap().push_str("0009999999-24-000001\tNobody\t30-SEP-2024\n");
    tables.get_mut("FOOTNOTES").unwrap().push_str(&format!("{d}\tF1\n"));
    let dt = tables.get_mut("DERIV_TRANS").unwrap();
    let victim = dt.lines().nth(1).map(|l| l.split('\t').next().unwrap().to_owned());
    if let Some(victim) = &victim {
        let mut lines: Vec<String> = dt.lines().map(str::to_owned).collect();
        let mut f: Vec<String> = lines[1].split('\t').map(str::to_owned).collect();
        f[16] = "12,5".into(); // TRANS_SHARES
        lines[1] = f.join("\t");
        *dt = lines.join("\n") + "\n";
        assert!(victim != a && victim != b, "the test's own filings stay whole");
    }
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("2024q3_form345.zip");
    write_zip(&zip_path, &tables);

    let db = TestDatabase::new(backend);
    let out = ingest(&db, &["sec-dataset", zip_path.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "only malformed rows failed:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("absent"), "all eight tables are there: {stdout}");
    let zip_name = zip_path.display().to_string();
    let period = format!("{zip_name}:SUBMISSION.tsv line 4: {c}: PERIOD_OF_REPORT: missing; the filing is skipped");
    assert!(stderr.contains(&period), "{stderr}");
    assert!(
        stderr.contains("OWNER_SIGNATURE.tsv line ")
            && stderr.contains("0009999999-24-000001: the accession is not in SUBMISSION"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("FOOTNOTES.tsv line 4: {d}: 2 fields, the header has 3; the filing is not loaded")),
        "{stderr}"
    );
    let victim = victim.unwrap();
    assert!(
        stderr.contains(&format!(
            "DERIV_TRANS.tsv line 2: {victim}: TRANS_SHARES: \"12,5\" is not a number; the filing is not loaded"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 4, "one line per bad row: {stderr}");
    let loaded = 60 - 3; // c, d and the victim
    assert!(stdout.contains(&format!("filings loaded {loaded} (new {loaded}")), "{stdout}");
    assert!(stdout.contains("bad rows 4"), "{stdout}");

    let mut conn = db.connect();
    assert_eq!(count_filings(&mut conn), loaded as i64);
    let filings = load_filings(&mut conn, &[a.clone(), b.clone()]).unwrap();
    let first = filings.iter().find(|f| f.submission.accession_number.as_str() == a).unwrap();
    let s = &first.submission;
    assert_eq!((s.source, s.accepted_at, s.schema_version.as_deref()), (FilingSource::SecDataset, None, None));
    assert_eq!(s.aff10b5_one, Some(Flag::word(true)));
    let owner = &first.reporting_owners[0];
    assert_eq!((owner.cik.as_str(), owner.name.as_deref()), ("0001234567", Some("Doe John \"JD\"")));
    let on = Some(Flag::digit(true));
    assert_eq!((owner.is_director, owner.is_officer, owner.is_ten_percent_owner, owner.is_other), (on, on, None, None));
    assert_eq!((owner.officer_title.as_deref(), owner.file_number.as_deref()), (Some("CEO"), Some("001-12345")));
    let t = &first.non_derivative_transactions;
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].transaction_code.as_deref(), Some("M"), "NONDERIV_TRANS_SK 901 comes first");
    assert_eq!(t[0].equity_swap_involved, Some(Flag::digit(false)));
    assert_eq!(t[1].equity_swap_involved, Some(Flag::word(false)));
    assert_eq!(t[0].footnote_ids["transaction_code"], ["F1", "F2"], "EQUITY_SWAP_TRANS_CD_FN");
    assert_eq!(t[0].footnote_ids["shares"], ["F2"]);
    assert_eq!(t[0].footnote_ids["nature_of_ownership"], ["F4"]);
    assert_eq!(t[0].nature_of_ownership.as_deref(), Some("By \"Trust\""));
    assert_eq!((t[0].shares, t[0].price_per_share), (Some(100.0), Some(10.25)));
    assert_eq!(t[0].transaction_date, Some(time::macros::date!(2024 - 09 - 27)));
    assert_eq!(first.footnotes[1].text, "Held by the \"Trust\".");
    let second = filings.iter().find(|f| f.submission.accession_number.as_str() == b).unwrap();
    assert_eq!(second.reporting_owners[0].street2.as_deref(), Some("Suite 5"));
    assert_eq!(second.reporting_owners[0].is_ten_percent_owner, on);
    assert_eq!(second.submission.aff10b5_one, None);

    // Fixing nothing and running again: the good filings are unchanged.
    let before = month_fingerprints(&mut conn);
    let again = ingest(&db, &["sec-dataset", zip_path.to_str().unwrap()]);
    let (stdout, _) = text(&again);
    assert_eq!(again.status.code(), Some(3));
    assert!(stdout.contains(&format!("unchanged {loaded}")), "{stdout}");
    assert_eq!(month_fingerprints(&mut conn), before);
}

#[test]
fn eight_tables_from_a_zip_with_broken_rows_on_sqlite() {
    eight_tables_from_a_zip_with_broken_rows(Backend::Sqlite);
}

#[test]
fn eight_tables_from_a_zip_with_broken_rows_on_postgres() {
    eight_tables_from_a_zip_with_broken_rows(Backend::Postgres);
}

#[test]
fn an_edgar_document_is_kept_over_the_data_set() {
    let db = TestDatabase::sqlite();
    // A bare XML document carries no filing date: the command line gives it.
    let document = fixtures_dir().join("form4_0000950170-24-012830.xml");
    let out = ingest(&db, &["load", "--filing-date", "2024-02-01", document.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(!text(&out).0.contains("undated"), "{:?}", text(&out));
    // A date that contradicts a full submission's own header is refused.
    let submission = fixtures_dir().join("form4_0000842517-24-000086.txt");
    let out = ingest(&db, &["load", "--filing-date", "2024-02-01", submission.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
    assert!(text(&out).1.contains("--filing-date says 2024-02-01"), "{:?}", text(&out));
    // A data set naming the same accession, with different content.
    let (mut tables, _) = small_data_set(3);
    let sub = tables.get_mut("SUBMISSION").unwrap();
    let header_len = sub.find('\n').unwrap() + 1;
    let row = "0000950170-24-012830\t01-FEB-2024\t30-JAN-2024\t\t\t0\t\t\t4\t0001045810\tNVIDIA CORP\tNVDA\t\t\n";
    sub.insert_str(header_len, row);
    let dir = tempfile::tempdir().unwrap();
    for (table, text) in &tables {
        std::fs::write(dir.path().join(format!("{table}.tsv")), text).unwrap();
    }
    let out = ingest(&db, &["sec-dataset", dir.path().to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("filings loaded 3 (new 3, changed 0), unchanged 0, kept from EDGAR documents 1"),
        "{stdout}"
    );
    let mut conn = db.connect();
    let kept = load_filings(&mut conn, &["0000950170-24-012830".to_owned()]).unwrap();
    assert_ne!(kept[0].submission.source, FilingSource::SecDataset, "the document stays");
}

#[test]
fn what_is_not_a_data_set_exits_2_before_anything_is_stored() {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let not_tsv = dir.path().join("notes.txt");
    std::fs::write(&not_tsv, "hello").unwrap();
    let no_submission = dir.path().join("only");
    std::fs::create_dir(&no_submission).unwrap();
    std::fs::write(no_submission.join("DERIV_TRANS.tsv"), fixture_table("DERIV_TRANS")).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let header_only = fixture_table("SUBMISSION").lines().next().unwrap().to_owned() + "\n";
    std::fs::write(empty.join("SUBMISSION.tsv"), header_only).unwrap();
    let bad_zip = dir.path().join("2024q3_form345.zip");
    std::fs::write(&bad_zip, "not a zip").unwrap();
    let fixture_tables = fixtures_dir().display().to_string();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![not_tsv.display().to_string()], "not a data set"),
        (vec![fixture_tables.clone(), no_submission.display().to_string()], "SUBMISSION.tsv is missing"),
        (vec![empty.display().to_string()], "has no rows: nothing to import"),
        (vec![bad_zip.display().to_string()], "not a zip SEC could have made"),
        (vec![dir.path().join("absent").display().to_string()], "No such file"),
        (vec!["--from".into(), "2006q5".into(), "--to".into(), "2007q1".into()], "a year has quarters 1 to 4"),
        (vec!["--from".into(), "2005q4".into(), "--to".into(), "2006q1".into()], "start with 2006q1"),
        (vec!["--from".into(), "2024q3".into(), "--to".into(), "2024q2".into()], "is before --from"),
        (vec!["--from".into(), "2024q3".into(), "--to".into(), "2024q3".into()], "User-Agent is required"),
        (vec![], "Usage"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["sec-dataset".to_owned()];
        all.extend(args.iter().cloned());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = ingest(&db, &all);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}:\n{stdout}\n{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert_eq!(count_filings(&mut db.connect()), 0, "nothing was stored");
}

#[test]
fn help_names_the_exit_codes() {
    let db = TestDatabase::sqlite();
    let out = ingest(&db, &["sec-dataset", "--help"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for code in ["0  every filing", "1  retrying may help", "2  the command could not run", "3  only malformed rows"] {
        assert!(stdout.contains(code), "{stdout}");
    }
}

#[derive(Default)]
struct Seen {
    paths: Vec<String>,
    user_agents: Vec<String>,
}

async fn serve(req: HttpRequest, zip: web::Data<Vec<u8>>, seen: web::Data<Mutex<Seen>>) -> HttpResponse {
    {
        let mut seen = seen.lock().unwrap();
        seen.paths.push(req.path().to_owned());
        let ua = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        seen.user_agents.push(ua);
    }
    match req.path() {
        "/files/structureddata/data/insider-transactions-data-sets/2024q3_form345.zip" => {
            HttpResponse::Ok().content_type("application/zip").body(zip.get_ref().clone())
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

async fn run_async(db: &TestDatabase, args: Vec<String>) -> Output {
    let url = database_url(db);
    actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"))
            .args(&args)
            .env("DATABASE_URL", url)
            .env("EDGAR_USER_AGENT", UA)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn quarters_are_downloaded_from_sec_and_an_unpublished_one_exits_1() {
    let (tables, _) = small_data_set(25);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("built.zip");
    write_zip(&zip_path, &tables);
    let zip = web::Data::new(std::fs::read(&zip_path).unwrap());
    let seen = web::Data::new(Mutex::new(Seen::default()));
    let server_seen = seen.clone();
    let server = HttpServer::new(move || {
        App::new().app_data(zip.clone()).app_data(server_seen.clone()).default_service(web::to(serve))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);
    let base = format!("http://127.0.0.1:{port}");

    let db = TestDatabase::sqlite();
    let args = |from: &str, to: &str| -> Vec<String> {
        ["sec-dataset", "--from", from, "--to", to, "--base-url", &base].iter().map(|s| s.to_string()).collect()
    };
    let out = run_async(&db, args("2024q3", "2024q4")).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "2024q4 is not published, a later run may find it:\n{stdout}\n{stderr}");
    assert!(stdout.contains("2024q3: downloaded 2024q3_form345.zip"), "{stdout}");
    assert!(stdout.contains("2024q3_form345.zip: filings loaded 25 (new 25"), "{stdout}");
    assert!(
        stderr.contains("2024q4: SEC has not published this quarter's data set (yet): HTTP 404 from http://127.0.0.1:")
            && stderr.contains("/files/structureddata/data/insider-transactions-data-sets/2024q4_form345.zip"),
        "{stderr}"
    );
    assert_eq!(count_filings(&mut db.connect()), 25);

    let out = run_async(&db, args("2024q3", "2024q3")).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("unchanged 25"), "{stdout}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.paths.len(), 3, "one request a quarter: {:?}", seen.paths);
        assert!(seen.user_agents.iter().all(|ua| ua == UA), "{:?}", seen.user_agents);
    }
    handle.stop(true).await;
}
