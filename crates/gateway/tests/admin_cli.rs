//! `insider-bulk-gateway admin`, run as an operator would, on its own database.

use std::process::Command;

use insider_bulk_testing::TestDatabase;

fn admin(db: &TestDatabase, args: &[&str]) -> (bool, String) {
    let url = match &db.url {
        insider_bulk_core::db::DatabaseUrl::Postgres(url) => url.clone(),
        insider_bulk_core::db::DatabaseUrl::Sqlite(path) => path.display().to_string(),
    };
    let output = Command::new(env!("CARGO_BIN_EXE_insider-bulk-gateway"))
        .arg("admin")
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn accounts_keys_top_ups_and_the_ledger() {
    let db = TestDatabase::sqlite();
    let (ok, out) = admin(&db, &["create-account", "--name", "acme", "--tier", "pro", "--tokens", "100"]);
    assert!(ok, "{out}");
    let account = out.split_whitespace().nth(1).unwrap().to_owned();
    let first_key = out.lines().find_map(|l| l.strip_prefix("api key (shown once): ")).unwrap().to_owned();
    assert!(first_key.starts_with("ibk_"));

    let (ok, out) = admin(&db, &["issue-key", "--account", &account, "--label", "ci"]);
    assert!(ok, "{out}");
    let key_id = out.split_whitespace().nth(1).unwrap().to_owned();
    let (_, keys) = admin(&db, &["keys", "--account", &account]);
    assert_eq!(keys.lines().count(), 2, "{keys}");
    assert!(!keys.contains(first_key.rsplit('_').next().unwrap()), "secrets are never shown again");

    let (ok, out) = admin(&db, &["revoke-key", &key_id]);
    assert!(ok, "{out}");
    let (ok, _) = admin(&db, &["revoke-key", &key_id]);
    assert!(!ok, "revoking twice is an error");

    let (ok, out) = admin(&db, &["top-up", "--account", &account, "--tokens", "50", "--note", "invoice-1"]);
    assert!(ok && out.contains("balance 150"), "{out}");
    let (ok, out) = admin(&db, &["top-up", "--account", &account, "--tokens", "-5"]);
    assert!(!ok, "{out}");
    let (ok, out) = admin(&db, &["top-up", "--account", "no-such-account", "--tokens", "5"]);
    assert!(!ok && out.contains("no account"), "{out}");

    let (ok, ledger) = admin(&db, &["ledger", "--account", &account]);
    assert!(ok && ledger.contains("invoice-1") && ledger.contains("sum 150, balance 150 (balanced)"), "{ledger}");
    let (_, accounts) = admin(&db, &["accounts"]);
    assert!(accounts.contains(&account) && accounts.contains("pro"), "{accounts}");
}
