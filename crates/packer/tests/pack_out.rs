//! `insider-bulk-packer pack --out FILE`: the bundle appears at FILE only
//! whole. A pack that fails leaves FILE as it was and no partial file.

mod common;

use std::process::Command;

use common::{fill, month};
use diesel::connection::SimpleConnection;
use insider_bulk_core::db::{DatabaseUrl, DbConnection};
use insider_bulk_core::domain::FormType;
use insider_bulk_testing::TestDatabase;
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
    let printed = String::from_utf8_lossy(&done.stdout).split_whitespace().next().unwrap().to_owned();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), printed, "the file is the bundle whose sha256 it printed");
    assert_eq!(entries(outdir.path()), ["form-4-2025-09.tar.gz"], "nothing beside the bundle");

    // A table the pack reads is gone: the pack fails part way, after the
    // bundle's first entries are written.
    conn.batch_execute("DROP TABLE owner_signatures").unwrap();
    let failed = pack(&db, data.path(), &out);
    assert!(!failed.status.success(), "a pack that cannot read its rows fails");
    assert_eq!(std::fs::read(&out).unwrap(), bytes, "the earlier bundle at --out is left as it was");
    assert_eq!(entries(outdir.path()), ["form-4-2025-09.tar.gz"], "no partial file is left");
}
