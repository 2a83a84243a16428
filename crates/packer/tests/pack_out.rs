//! `insider-bulk-packer pack --out FILE`: the bundle appears at FILE, and
//! the month's `.jsonl.gz` beside it, only whole. A pack that fails leaves
//! both as they were and no partial file.

mod common;

use std::process::Command;

use common::fill;
use diesel::connection::SimpleConnection;
use insider_bulk_core::db::{DatabaseUrl, DbConnection};
use insider_bulk_core::domain::FormType;
use insider_bulk_testing::{month, TestDatabase};
use sha2::{Digest, Sha256};

fn pack(db: &TestDatabase, data_dir: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    let DatabaseUrl::Sqlite(path) = &db.url else { panic!("a SQLite test database") };
    Command::new(env!("CARGO_BIN_EXE_insider-bulk-packer"))
        .args(["pack", "--form", "4", "--month", "2025-09", "--out"])
        .arg(out)
        .env("DATABASE_URL", path)
        .env("INSIDER_BULK_DATA_DIR", data_dir)
        .output()
        .expect("run insider-bulk-packer pack")
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn the_bundle_appears_whole_or_not_at_all() {
    let db = TestDatabase::sqlite();
    let mut conn: DbConnection = db.connect();
    fill(&mut conn, FormType::Form4, month("2025-09"), 200, 3);
    let data = tempfile::tempdir().unwrap();
    let outdir = tempfile::tempdir().unwrap();
    let out = outdir.path().join("form-4-2025-09.tar.gz");

    let done = pack(&db, data.path(), &out);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let jsonl_out = outdir.path().join("form-4-2025-09.jsonl.gz");
    let jsonl = std::fs::read(&jsonl_out).unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    let printed: Vec<&str> = stdout.lines().take(2).map(|l| l.split_whitespace().next().unwrap()).collect();
    let shas = [hex::encode(Sha256::digest(&bytes)), hex::encode(Sha256::digest(&jsonl))];
    assert_eq!(printed, shas, "the files are those whose sha256 it printed");
    let both = ["form-4-2025-09.jsonl.gz", "form-4-2025-09.tar.gz"];
    assert_eq!(entries(outdir.path()), both, "nothing beside the two files");

    // A table the pack reads is gone: the pack fails part way, after the
    // bundle's first entries are written.
    conn.batch_execute("DROP TABLE owner_signatures").unwrap();
    let failed = pack(&db, data.path(), &out);
    assert!(!failed.status.success(), "a pack that cannot read its rows fails");
    assert_eq!(std::fs::read(&out).unwrap(), bytes, "the earlier bundle at --out is left as it was");
    assert_eq!(std::fs::read(&jsonl_out).unwrap(), jsonl, "and the earlier .jsonl.gz");
    assert_eq!(entries(outdir.path()), both, "no partial file is left");
}
