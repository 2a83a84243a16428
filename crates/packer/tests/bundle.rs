//! Bundle contents and determinism, on SQLite and on the real PostgreSQL.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::fill;
use insider_bulk_core::db::filings::{amendment_links, load_filings, month_accessions};
use insider_bulk_core::db::DbConnection;
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_core::filing::Filing;
use insider_bulk_core::record::FilingRecord;
use insider_bulk_packer::bundle::{self, sec_tables::TABLES, BuiltBundle};
use insider_bulk_testing::{fixtures_dir, month, Backend, TestDatabase};

fn sha256_hex(data: &[u8]) -> String {
    bundle::archive::sha256_hex(data)
}

/// The tar.gz, the `.jsonl.gz` and what was built.
fn pack(conn: &mut DbConnection, form: FormType, month: Month) -> (Vec<u8>, Vec<u8>, BuiltBundle) {
    let ((tar, jsonl), built) = bundle::build(conn, form, month, Vec::new(), Vec::new(), &mut |_, _| {}).unwrap();
    (tar, jsonl, built)
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    text
}

/// Entry name → bytes, in archive order.
fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            assert_eq!(e.header().mode().unwrap(), 0o644);
            assert_eq!((e.header().uid().unwrap(), e.header().gid().unwrap()), (0, 0));
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

fn sec_header(table: &str) -> String {
    let tsv = fixtures_dir().join(format!("dataset_2024q3_{table}"));
    if tsv.exists() {
        return std::fs::read_to_string(tsv).unwrap().lines().next().unwrap().to_owned();
    }
    // Tables the fixture set lacks: the names from SEC's metadata file, with
    // the equity-swap footnote column named as SEC's TSVs name it.
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("dataset_2024q3_FORM_345_metadata.json")).unwrap(),
    )
    .unwrap();
    let table_meta = meta["tables"].as_array().unwrap().iter().find(|t| t["url"] == table).unwrap();
    let names: Vec<String> = table_meta["tableSchema"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().replace("EQUITY_SWAP_INVOLVED_FN", "EQUITY_SWAP_TRANS_CD_FN"))
        .collect();
    names.join("\t")
}

fn same_bytes_twice_and_complete_contents(backend: Backend) -> String {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let (form, m) = (FormType::Form4, month("2025-09"));
    fill(&mut conn, form, m, 400, 11);
    let (first, first_jsonl, built) = pack(&mut conn, form, m);
    let (second, second_jsonl, again) = pack(&mut conn, form, m);
    assert!(first == second && first_jsonl == second_jsonl, "same rows, same bytes");
    assert_eq!(built, again);
    let jsonl = first_jsonl;
    let entries = unpack(&first);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected: Vec<&str> = TABLES.iter().map(|t| t.file).collect();
    expected.extend(["README.txt", "metadata.json"]);
    expected.sort();
    expected.push("manifest.json");
    assert_eq!(names, expected, "sorted entries, the manifest last; the JSON lines are beside it");
    let files: BTreeMap<&str, &[u8]> = entries.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();

    // The .jsonl.gz: gzip with no name or time, one record per stored
    // filing, in accession order, each the filing's record with its links.
    assert_eq!((built.size as usize, built.jsonl.size as usize), (first.len(), jsonl.len()));
    assert_eq!((built.sha256.clone(), built.jsonl.sha256.clone()), (sha256_hex(&first), sha256_hex(&jsonl)));
    assert_eq!(&jsonl[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], "no name, no mtime");
    let accessions = month_accessions(&mut conn, form, m).unwrap();
    let stored = load_filings(&mut conn, &accessions).unwrap();
    let links = amendment_links(&mut conn, &accessions).unwrap();
    let text = gunzip(&jsonl);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), stored.len(), "one line per filing");
    let numbers: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["accessionNo"].to_string())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in accession order");
    for (line, filing) in lines.iter().zip(&stored) {
        let record = FilingRecord::new(filing, links.get(filing.submission.accession_number.as_str()));
        assert_eq!(*line, serde_json::to_string(&record).unwrap());
    }
    assert_eq!(built.jsonl.content_sha256, sha256_hex(text.as_bytes()));

    // TSV headers are SEC's; row counts are the database's.
    let manifest: serde_json::Value = serde_json::from_slice(files["manifest.json"]).unwrap();
    assert_eq!(manifest["format_version"], bundle::FORMAT_VERSION);
    let sibling = &manifest["sibling"];
    assert_eq!(sibling["name"], "form-4-2025-09.jsonl.gz");
    assert_eq!((&sibling["sha256"], &sibling["size"]), (&sha256_hex(&jsonl).into(), &jsonl.len().into()));
    assert_eq!(
        (&sibling["rows"], &sibling["content_sha256"]),
        (&stored.len().into(), &sha256_hex(text.as_bytes()).into())
    );
    let listed: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(listed, &expected[..expected.len() - 1], "every other file in the manifest");
    for (name, data) in &entries[..entries.len() - 1] {
        let entry = manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == name.as_str()).unwrap();
        assert_eq!(entry["sha256"], sha256_hex(data), "{name}");
        assert_eq!(entry["size"], data.len(), "{name}");
    }
    assert_eq!(files["metadata.json"], bundle::dictionary::metadata_json().as_slice());
    let readme = std::str::from_utf8(files["README.txt"]).unwrap();
    assert!(readme.contains("Form 4 filings for 2025-09") && readme.contains("YES: this bundle holds"), "{readme}");
    for name in TABLES.map(|t| t.file) {
        let text = std::str::from_utf8(files[name]).unwrap();
        assert_eq!(text.lines().next().unwrap(), sec_header(name), "{name} header");
        let columns = text.lines().next().unwrap().split('\t').count();
        assert!(text.lines().all(|l| l.split('\t').count() == columns), "{name}: every row has every column");
        let listed = manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap();
        assert_eq!(listed["rows"].as_u64().unwrap() as usize, text.lines().count() - 1, "{name} rows");
    }
    let count = |f: fn(&Filing) -> usize| stored.iter().map(f).sum::<usize>();
    let rows = |name: &str| std::str::from_utf8(files[name]).unwrap().lines().count() - 1;
    assert_eq!(rows("SUBMISSION.tsv"), stored.len());
    assert_eq!(rows("REPORTINGOWNER.tsv"), count(|f| f.reporting_owners.len()));
    assert_eq!(rows("NONDERIV_TRANS.tsv"), count(|f| f.non_derivative_transactions.len()));
    assert_eq!(rows("DERIV_TRANS.tsv"), count(|f| f.derivative_transactions.len()));
    assert_eq!(rows("FOOTNOTES.tsv"), count(|f| f.footnotes.len()));
    assert_eq!(manifest["filing_count"], stored.len());
    assert_eq!(manifest["synthetic"], true);
    assert_eq!(manifest["source_fingerprint"], built.source_fingerprint.as_str());
    built.sha256
}

#[test]
fn same_sha256_on_both_backends() {
    let on_sqlite = same_bytes_twice_and_complete_contents(Backend::Sqlite);
    let on_postgres = same_bytes_twice_and_complete_contents(Backend::Postgres);
    assert_eq!(on_sqlite, on_postgres, "the same rows give the same bundle on SQLite and PostgreSQL");
}

#[test]
fn empty_month_is_a_valid_bundle() {
    let test_db = TestDatabase::sqlite();
    let mut conn = test_db.connect();
    let (bytes, jsonl, built) = pack(&mut conn, FormType::Form5, month("2019-02"));
    assert_eq!((built.filing_count, built.row_count), (0, 0));
    let entries = unpack(&bytes);
    assert_eq!(entries.len(), 11);
    for (name, data) in &entries {
        if name.ends_with(".tsv") {
            assert_eq!(std::str::from_utf8(data).unwrap().lines().count(), 1, "{name}: header only");
        }
    }
    assert_eq!(gunzip(&jsonl), "", "an empty but valid gzip file");
}

#[test]
fn an_amendment_and_its_original_name_each_other() {
    let test_db = TestDatabase::sqlite();
    let mut conn = test_db.connect();
    let (form, m) = (FormType::Form4, month("2024-03"));
    fill(&mut conn, form, m, 50, 3);
    let (_, _, before) = pack(&mut conn, form, m);
    // A 4/A of the month's first filing, filed the same day: same issuer,
    // period and first owner, so it amends that filing.
    let accessions = month_accessions(&mut conn, form, m).unwrap();
    let original = load_filings(&mut conn, &accessions[..1]).unwrap().remove(0);
    let mut amendment = original.clone();
    amendment.submission.accession_number = "9999999999-24-000001".parse().unwrap();
    amendment.submission.document_type.is_amendment = true;
    let item = insider_bulk_core::db::filings::FilingToStore { filing: amendment, loaded_from: "t".into() };
    insider_bulk_core::db::filings::store_filings(&mut conn, &[item]).unwrap();
    let (_, jsonl, after) = pack(&mut conn, form, m);
    assert_ne!(before.sha256, after.sha256);
    assert_ne!(before.jsonl.sha256, after.jsonl.sha256);
    assert_ne!(before.source_fingerprint, after.source_fingerprint);
    assert_eq!(after.filing_count, before.filing_count + 1);

    let text = gunzip(&jsonl);
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let find = |accession: &str| records.iter().find(|r| r["accessionNo"] == accession).unwrap();
    let first = find(original.submission.accession_number.as_str());
    let amended = find("9999999999-24-000001");
    assert_eq!(
        (&first["isSuperseded"], &first["supersededByAccessionNo"]),
        (&true.into(), &"9999999999-24-000001".into())
    );
    assert_eq!(first["isAmendment"], false);
    assert_eq!((&amended["isAmendment"], &amended["documentType"]), (&true.into(), &"4/A".into()));
    assert_eq!(amended["originalAccessionNo"], original.submission.accession_number.as_str());
    assert_eq!(amended["isSuperseded"], false);
    assert_eq!(records.last().unwrap()["accessionNo"], "9999999999-24-000001", "in accession order");
}
