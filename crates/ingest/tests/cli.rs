//! The `insider-bulk-ingest` binary as a user runs it: help on every
//! subcommand, `parse` output and exit codes, `load` summaries.

use std::process::{Command, Output};

use insider_bulk_testing::fixtures_dir;

fn ingest(args: &[&str], database: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_insider-bulk-ingest"));
    command.args(args);
    if let Some(db) = database {
        command.env("DATABASE_URL", db);
    }
    command.output().expect("run insider-bulk-ingest")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &["--help"][..],
        &["parse", "--help"],
        &["load", "--help"],
        &["edgar", "--help"],
        &["synth", "--help"],
        &["sec-dataset", "--help"],
    ] {
        let out = ingest(sub, None);
        assert!(out.status.success(), "{sub:?}");
        assert!(text(&out.stdout).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn every_fixture_parses_into_one_json_line() {
    let out = ingest(&["parse", fixtures_dir().to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 34);
    let mut without_accession = 0;
    for line in stdout.lines() {
        let json: serde_json::Value = serde_json::from_str(line).expect("one JSON filing per line");
        assert!(json["issuer"]["cik"].is_string() && json["periodOfReport"].is_string());
        assert!(
            json["nonDerivativeTable"]["transactions"].is_array() && json["derivativeTable"]["holdings"].is_array()
        );
        without_accession += usize::from(json["accessionNo"].is_null());
        assert_eq!(json["accessionNo"].is_null(), json["indexUrl"].is_null(), "no page without an accession");
    }
    assert_eq!(without_accession, 6, "bare XML under names without an accession number");
}

#[test]
fn parse_names_each_malformed_file_and_exits_three() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("form4_0000000000-00-000001.xml");
    std::fs::write(&bad, "<ownershipDocument><documentType>4").unwrap();
    let good = fixtures_dir().join("form4_0000899243-21-019441.xml");
    let out = ingest(&["parse", good.to_str().unwrap(), bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3), "malformed only: a re-run cannot help");
    assert_eq!(text(&out.stdout).lines().count(), 1, "the good file is still printed");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("{}: malformed XML", bad.display())), "{stderr}");
}

#[test]
fn a_file_that_cannot_be_read_is_exit_one_even_beside_a_malformed_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("form4_0000000000-00-000001.xml");
    std::fs::write(&bad, "<ownershipDocument><documentType>4").unwrap();
    let absent = dir.path().join("form4_0000000000-00-000002.xml");
    let out = ingest(&["parse", bad.to_str().unwrap(), absent.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "a re-run may find the absent file");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{}: no such file or directory", absent.display())), "{stderr}");
}

#[test]
fn parse_of_good_files_exits_zero() {
    let file = fixtures_dir().join("form4_0000899243-21-019441.xml");
    let out = ingest(&["parse", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn load_summarizes_and_reload_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ingest.sqlite3");
    let fixtures = fixtures_dir();
    let first = ingest(&["load", fixtures.to_str().unwrap()], Some(&db));
    assert_eq!(first.status.code(), Some(3), "the fixtures hold malformed files: {}", text(&first.stderr));
    assert!(text(&first.stdout).starts_with("loaded 28 (new 28, changed 0), unchanged 0"), "{}", text(&first.stdout));
    assert!(text(&first.stderr).contains("374WaterForm4.xml: no accession number"));
    let second = ingest(&["load", fixtures.to_str().unwrap()], Some(&db));
    assert!(text(&second.stdout).starts_with("loaded 0 (new 0, changed 0), unchanged 28"), "{}", text(&second.stdout));
}

#[test]
fn bad_configuration_is_exit_two_with_a_reason() {
    let out = ingest(&["load", "."], Some(std::path::Path::new("mysql://nope")));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DATABASE_URL") || text(&out.stderr).contains("database URL"));
}

#[test]
fn a_filing_date_outside_coverage_is_refused_before_anything_loads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    let file = fixtures_dir().join("form4_0000899243-21-019441.xml");
    for (date, reason) in [("2002-12-31", "2003-01"), ("2999-01-01", "future"), ("2021-13-01", "YYYY-MM-DD")] {
        let out = ingest(&["load", "--filing-date", date, file.to_str().unwrap()], Some(&db));
        assert_eq!(out.status.code(), Some(2), "{date}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(reason), "{date}: {}", text(&out.stderr));
    }
    assert!(!db.exists(), "nothing was opened, let alone loaded");
}
