//! The overlapped pack (reading, formatting and compressing on their own
//! threads) gives the bytes of the serial one, on SQLite and the real
//! PostgreSQL, run after run; and what it gives is a plain tar.gz.

mod common;

use std::process::Command;

use common::fill;
use insider_bulk_core::db::DbConnection;
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_packer::bundle::{self, sec_tables::TABLES, BuiltBundle};
use insider_bulk_testing::{month, Backend, TestDatabase};

/// The tar.gz and the `.jsonl.gz`, and what was built.
type Packed = ((Vec<u8>, Vec<u8>), BuiltBundle);

fn pack(conn: &mut DbConnection, form: FormType, m: Month, threads: usize) -> Packed {
    bundle::build_with(conn, None, form, m, (Vec::new(), Vec::new()), &mut |_, _| {}, threads).unwrap()
}

/// Read from two connections, alternate pages each (one snapshot on PostgreSQL).
fn pack_on_two(conn: &mut DbConnection, second: &mut DbConnection, form: FormType, m: Month, threads: usize) -> Packed {
    bundle::build_with(conn, Some(second), form, m, (Vec::new(), Vec::new()), &mut |_, _| {}, threads).unwrap()
}

/// The sha256 of the bundle of 300 synthetic Form 4 filings (seed 7) for
/// 2025-09, and of its `.jsonl.gz`. They move only with a change of the
/// files' format, which bumps `bundle::FORMAT_VERSION` and says why beside
/// it.
const PINNED_SHA256: &str = "3d586075822272cb9bedc019e364f3ac8160dfdb97440c2f400a680e957ef2cc";
const PINNED_JSONL_SHA256: &str = "a5934a16099c9242862ded300c5bb15f8711546e69e4e85927123975008920e2";

#[test]
fn a_fixed_month_has_a_pinned_sha256() {
    let test_db = TestDatabase::sqlite();
    let mut conn = test_db.connect();
    let (form, m) = (FormType::Form4, month("2025-09"));
    fill(&mut conn, form, m, 300, 7);
    let (_, built) = pack(&mut conn, form, m, 0);
    assert_eq!(bundle::FORMAT_VERSION, 6, "a new format version moves the pinned sha256 below, with it");
    assert_eq!(built.sha256, PINNED_SHA256);
    assert_eq!(built.jsonl.sha256, PINNED_JSONL_SHA256);
}

/// Serial, with 1 and 3 compressing threads and with one and two reading
/// connections, twice each: one sha256.
fn same_bytes_however_many_threads(backend: Backend) -> String {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let mut second = test_db.connect();
    let (form, m) = (FormType::Form4, month("2025-10"));
    // Enough for the JSON lines to span several pieces.
    fill(&mut conn, form, m, 1500, 5);
    let (serial, built) = pack(&mut conn, form, m, 0);
    let lines = built.jsonl.content_size;
    assert!(lines > 2 * (1 << 20), "the JSON lines span several pieces ({lines} bytes)");
    for threads in [1, 3, 1, 3] {
        let (bytes, again) = pack(&mut conn, form, m, threads);
        assert!(bytes == serial, "{threads} threads: the serial pack's bytes");
        assert_eq!(again, built);
        let (bytes, again) = pack_on_two(&mut conn, &mut second, form, m, threads);
        assert!(bytes == serial, "{threads} threads, two connections: the serial pack's bytes");
        assert_eq!(again, built);
    }
    let (tar, jsonl) = &serial;
    assert_eq!(built.sha256, bundle::archive::sha256_hex(tar));
    assert_eq!(built.jsonl.sha256, bundle::archive::sha256_hex(jsonl));
    assert_plain_tar_gz(tar);
    assert_plain_gzip(jsonl, "form-4-2025-10.jsonl.gz");
    built.sha256
}

#[test]
fn overlapped_and_serial_packs_agree_on_both_backends() {
    let on_sqlite = same_bytes_however_many_threads(Backend::Sqlite);
    let on_postgres = same_bytes_however_many_threads(Backend::Postgres);
    assert_eq!(on_sqlite, on_postgres);
}

/// One gzip member (the decoder read it all, CRC and length checked),
/// accepted by `gzip -t`; the path of a copy in a directory kept while
/// the returned guard lives.
fn assert_plain_gzip(bytes: &[u8], name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let mut decoder = flate2::read::GzDecoder::new(bytes);
    std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
    assert!(decoder.into_inner().is_empty(), "one gzip member, nothing after it");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let gzip = Command::new("gzip").arg("-t").arg(&file).status().expect("run gzip");
    assert!(gzip.success(), "gzip -t {name}");
    (dir, file)
}

/// A plain gzip file that `tar -tz` lists in the archive's order.
fn assert_plain_tar_gz(bytes: &[u8]) {
    let (_dir, file) = assert_plain_gzip(bytes, "bundle.tar.gz");
    let tar = Command::new("tar").arg("-tzf").arg(&file).output().expect("run tar");
    assert!(tar.status.success(), "tar -tzf");
    let listed: Vec<String> = String::from_utf8(tar.stdout).unwrap().lines().map(str::to_owned).collect();
    let mut expected: Vec<String> = TABLES.iter().map(|t| t.file.to_owned()).collect();
    expected.extend(["README.txt", "metadata.json"].map(String::from));
    expected.sort();
    expected.push("manifest.json".into());
    assert_eq!(listed, expected);
}
