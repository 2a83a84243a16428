//! The overlapped pack (reading, formatting and compressing on their own
//! threads) gives the bytes of the serial one, on SQLite and the real
//! PostgreSQL, run after run; and what it gives is a plain tar.gz.

mod common;

use std::io::Read;
use std::process::Command;

use common::{fill, month};
use insider_bulk_core::db::DbConnection;
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_packer::bundle::{self, sec_tables::TABLES, BuiltBundle};
use insider_bulk_testing::{Backend, TestDatabase};

fn pack(conn: &mut DbConnection, form: FormType, m: Month, threads: usize) -> (Vec<u8>, BuiltBundle) {
    bundle::build_with(conn, None, form, m, Vec::new(), &mut |_, _| {}, threads).unwrap()
}

/// Read from two connections, alternate pages each (one snapshot on PostgreSQL).
fn pack_on_two(
    conn: &mut DbConnection,
    second: &mut DbConnection,
    form: FormType,
    m: Month,
    threads: usize,
) -> (Vec<u8>, BuiltBundle) {
    bundle::build_with(conn, Some(second), form, m, Vec::new(), &mut |_, _| {}, threads).unwrap()
}

/// The sha256 of the bundle of 300 synthetic Form 4 filings (seed 7) for
/// 2025-09. It moves only with a change of the bundle's format, which bumps
/// `bundle::FORMAT_VERSION` and says why beside it.
const PINNED_SHA256: &str = "218f280eaa5b506ef35f48c2fb30e1fb3f6ae2c099215c0922937056ecbf665e";

#[test]
fn a_fixed_month_has_a_pinned_sha256() {
    let test_db = TestDatabase::sqlite();
    let mut conn = test_db.connect();
    let (form, m) = (FormType::Form4, month("2025-09"));
    fill(&mut conn, form, m, 300, 7);
    let (_, built) = pack(&mut conn, form, m, 0);
    assert_eq!(bundle::FORMAT_VERSION, 5, "a new format version moves the pinned sha256 below, with it");
    assert_eq!(built.sha256, PINNED_SHA256);
}

/// Serial, with 1 and 3 compressing threads and with one and two reading
/// connections, twice each: one sha256.
fn same_bytes_however_many_threads(backend: Backend) -> String {
    let test_db = TestDatabase::new(backend);
    let mut conn = test_db.connect();
    let mut second = test_db.connect();
    let (form, m) = (FormType::Form4, month("2025-10"));
    // Enough for filings.jsonl and the larger tables to span several pieces.
    fill(&mut conn, form, m, 1500, 5);
    let (serial, built) = pack(&mut conn, form, m, 0);
    let jsonl = unpack(&serial).into_iter().find(|(name, _)| name == "filings.jsonl").unwrap().1;
    assert!(jsonl.len() > 2 * (1 << 20), "filings.jsonl spans several pieces ({} bytes)", jsonl.len());
    for threads in [1, 3, 1, 3] {
        let (bytes, again) = pack(&mut conn, form, m, threads);
        assert!(bytes == serial, "{threads} threads: the serial pack's bytes");
        assert_eq!(again, built);
        let (bytes, again) = pack_on_two(&mut conn, &mut second, form, m, threads);
        assert!(bytes == serial, "{threads} threads, two connections: the serial pack's bytes");
        assert_eq!(again, built);
    }
    assert_eq!(built.sha256, bundle::archive::sha256_hex(&serial));
    assert_plain_tar_gz(&serial);
    built.sha256
}

#[test]
fn overlapped_and_serial_packs_agree_on_both_backends() {
    let on_sqlite = same_bytes_however_many_threads(Backend::Sqlite);
    let on_postgres = same_bytes_however_many_threads(Backend::Postgres);
    assert_eq!(on_sqlite, on_postgres);
}

/// Entry name → bytes, read with flate2's single-member gzip decoder.
fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut gz = flate2::read::GzDecoder::new(bytes);
    let mut tar = Vec::new();
    gz.read_to_end(&mut tar).unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

/// One gzip member (the decoder read it all, CRC and length checked),
/// accepted by `gzip -t`, and listed by `tar -tz` in the archive's order.
fn assert_plain_tar_gz(bytes: &[u8]) {
    let mut decoder = flate2::read::GzDecoder::new(bytes);
    std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
    assert!(decoder.into_inner().is_empty(), "one gzip member, nothing after it");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.tar.gz");
    std::fs::write(&file, bytes).unwrap();
    let gzip = Command::new("gzip").arg("-t").arg(&file).status().expect("run gzip");
    assert!(gzip.success(), "gzip -t");
    let tar = Command::new("tar").arg("-tzf").arg(&file).output().expect("run tar");
    assert!(tar.status.success(), "tar -tzf");
    let listed: Vec<String> = String::from_utf8(tar.stdout).unwrap().lines().map(str::to_owned).collect();
    let mut expected: Vec<String> = TABLES.iter().map(|t| t.file.to_owned()).collect();
    expected.extend(["README.txt", "filings.jsonl", "metadata.json"].map(String::from));
    expected.sort();
    expected.push("manifest.json".into());
    assert_eq!(listed, expected);
}
