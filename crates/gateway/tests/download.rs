//! Downloads: validators, digests, byte ranges, and paths that try to
//! leave the store.

mod common;

use base64::Engine;
use common::{error_of, TestGateway};
use insider_bulk_core::bundle_store::object_key;
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::now_utc;
use insider_bulk_core::domain::Tier;
use insider_bulk_core::domain::{BundleStatus, FormType, Month, StorageTier};
use insider_bulk_testing::Backend;
use sha2::{Digest, Sha256};

/// The index row of a month's bundle stored under `key`.
fn bundle_row(month: Month, key: String, content: &[u8], storage: StorageTier) -> (BundleRow, String) {
    let sha = hex::encode(Sha256::digest(content));
    let row = BundleRow {
        form_type: FormType::Form4,
        period_month: month,
        status: if storage == StorageTier::Hot { BundleStatus::Available } else { BundleStatus::Pending },
        storage,
        file_name: format!("form-4-{month}.tar.gz"),
        object_key: key,
        generated_at: now_utc(),
        sha256: sha.clone(),
        size_bytes: content.len() as i64,
        filing_count: 1,
        row_count: 1,
        source_fingerprint: "f".repeat(64),
        last_job_id: None,
        synthetic: false,
        jsonl_object_key: String::new(),
        jsonl_sha256: String::new(),
        jsonl_size_bytes: 0,
    };
    (row, sha)
}

/// Stores `content` as the month's bundle in the local store and indexes it.
async fn publish(gw: &TestGateway, month: Month, content: &[u8], storage: StorageTier) -> String {
    let key = object_key(storage, FormType::Form4, month, &hex::encode(Sha256::digest(content)), uuid::Uuid::new_v4());
    let path = gw.store_dir.path().join("bundles").join(&key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    let (row, sha) = bundle_row(month, key, content, storage);
    gw.db.run(move |c| bundles::upsert(c, &row)).await.unwrap();
    sha
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_with_etag_digest_and_ranges() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 0).await;
    let month = Month::current().previous().unwrap();
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let sha = publish(&gw, month, &content, StorageTier::Hot).await;
    let url = gw.url(&format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", month.year(), month.month()), &key);

    let full = gw.http.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    let digest = base64::engine::general_purpose::STANDARD.encode(hex::decode(&sha).unwrap());
    assert_eq!(full.headers()["repr-digest"], format!("sha-256=:{digest}:").as_str());
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.bytes().await.unwrap().as_ref(), content.as_slice());

    let part = gw.http.get(&url).header("Range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &content[1000..2000]);
    let tail = gw.http.get(&url).header("Range", "bytes=99000-").send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &content[99000..]);
    let stale = gw.http.get(&url).header("Range", "bytes=0-9").header("If-Range", "\"other\"").send().await.unwrap();
    assert_eq!(stale.status(), 200, "If-Range with another validator sends the whole file");
    let (status, _) = error_of(gw.http.get(&url).header("Range", "bytes=100000-").send().await.unwrap()).await;
    assert_eq!(status, 416);
    let unchanged = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(unchanged.status(), 304);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_store_answers_with_a_signed_url_valid_24_hours() {
    use insider_bulk_core::bundle_store::BundleStore;
    use insider_bulk_testing::s3::{start_server, KEY, SECRET};
    let server = start_server("bulk");
    let builder = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&server.endpoint)
        .with_allow_http(true)
        .with_access_key_id(KEY)
        .with_secret_access_key(SECRET)
        .with_region("us-east-1")
        .with_virtual_hosted_style_request(false);
    let store = BundleStore::open_s3(builder, "bulk", "prod").unwrap();
    let month = Month::current().previous().unwrap();
    let content = b"bundle bytes on S3".to_vec();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &content).unwrap();
    let key = object_key(
        StorageTier::Hot,
        FormType::Form4,
        month,
        &hex::encode(Sha256::digest(&content)),
        uuid::Uuid::new_v4(),
    );
    store.put_file(&key, file.path()).await.unwrap();
    let gw = TestGateway::start_on(Backend::Sqlite, store, tempfile::tempdir().unwrap(), |_| {}).await;
    let (row, sha) = bundle_row(month, key, &content, StorageTier::Hot);
    gw.db.run(move |c| bundles::upsert(c, &row)).await.unwrap();
    let (_, api_key) = gw.account(Tier::Pro, 0).await;
    let url = gw.url(&format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", month.year(), month.month()), &api_key);
    let response = gw.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["etag"], format!("\"{sha}\"").as_str());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("X-Amz-Expires=86400"), "{location}");
    let fetched = reqwest::get(&location).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), content.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_lists_every_month_and_answers_304() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 0).await;
    let month = Month::current().previous().unwrap();
    let sha = publish(&gw, month, b"bundle bytes", StorageTier::Hot).await;
    let cold = month.previous().unwrap();
    publish(&gw, cold, b"cold bytes", StorageTier::Cold).await;
    let url = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    let response = gw.http.get(&url).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let index: serde_json::Value = response.json().await.unwrap();
    assert_eq!(index["form_type"], "4");
    let months = index["months"].as_array().unwrap();
    assert_eq!(months.len(), Month::current().coverage_through().count(), "every month of coverage");
    assert_eq!((months[0]["year"].as_i64(), months[0]["month"].as_i64()), (Some(2003), Some(1)));
    assert_eq!(months[0]["status"], "pending");
    assert_eq!(months[0]["filing_count"], 0);
    let entry = months.iter().find(|e| e["filename"] == format!("form-4-{month}.tar.gz").as_str()).unwrap();
    assert_eq!(entry["status"], "available");
    assert_eq!(entry["sha256"], sha.as_str());
    assert_eq!(entry["storage"], "hot");
    assert!(entry["url"].as_str().unwrap().ends_with(&format!(
        "/api/insiders/bulk/form-4/{}/{:02}.tar.gz",
        month.year(),
        month.month()
    )));
    let cold_entry = months.iter().find(|e| e["filename"] == format!("form-4-{cold}.tar.gz").as_str()).unwrap();
    assert_eq!((cold_entry["status"].as_str(), cold_entry["storage"].as_str()), (Some("pending"), Some("cold")));
    assert!(cold_entry["url"].is_null());
    // This client leaves the encoding alone (the shared one decodes gzip itself).
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let gzipped = raw.get(&url).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(gzipped.bytes().await.unwrap().as_ref()),
        &mut plain,
    )
    .unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&plain).unwrap(), index);
    let not_modified = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
    // A cold month is not downloadable until warmed.
    let cold_url = gw.url(&format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", cold.year(), cold.month()), &key);
    assert_eq!(error_of(gw.http.get(&cold_url).send().await.unwrap()).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_never_leave_the_store() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 0).await;
    let secret = b"SECRET-OUTSIDE-THE-STORE";
    std::fs::write(gw.store_dir.path().join("secret.tar.gz"), secret).unwrap();
    std::fs::write(gw.store_dir.path().join("bundles").join("secret.tar.gz"), secret).unwrap();
    let month = Month::current().previous().unwrap();
    publish(&gw, month, b"real bundle", StorageTier::Hot).await;
    let attempts = [
        "/api/insiders/bulk/form-4/2025/..%2F..%2Fsecret.tar.gz",
        "/api/insiders/bulk/form-4/2025/%2e%2e%2fsecret.tar.gz",
        "/api/insiders/bulk/form-4/..%2F2025/09.tar.gz",
        "/api/insiders/bulk/form-4/2025/..%5Csecret.tar.gz",
        "/api/insiders/bulk/form-4/%2e%2e/secret.tar.gz",
        "/api/insiders/bulk/form-4/2025/09%2F..%2F..%2Fsecret.tar.gz",
        "/api/insiders/bulk/form-4/..%252F..%252Fsecret/09.tar.gz",
    ];
    for path in attempts {
        let response = gw.http.get(gw.url(path, &key)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        assert!((400..500).contains(&status), "{path}: {status}");
        assert!(!body.windows(secret.len()).any(|w| w == secret), "{path} leaked a file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_failure_is_500_with_a_request_id_and_no_detail() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 0).await;
    let month = Month::current().previous().unwrap();
    publish(&gw, month, b"soon gone", StorageTier::Hot).await;
    // The index row now points at an object that is not there.
    std::fs::remove_dir_all(gw.store_dir.path().join("bundles/hot")).unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", month.year(), month.month()), &key);
    let response = gw.http.get(&url).send().await.unwrap();
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (status, error) = error_of(response).await;
    assert_eq!(
        (status, error["code"].as_str(), error["message"].as_str()),
        (500, Some("internal_error"), Some("internal error"))
    );
    assert_eq!(error["request_id"], request_id.as_str(), "the body and the header carry the same id");
    assert!(!error.to_string().contains("hot/form-4"), "no internal detail in the body: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_index_answers_304_and_changes_with_the_data() {
    // A cache as in production (not the tests' zero): answers come from the
    // cached copy, refreshed in the background while it is polled.
    let gw = TestGateway::start_with(Backend::Sqlite, |c| c.index_cache = std::time::Duration::from_millis(400)).await;
    let (_, key) = gw.account(Tier::Pro, 0).await;
    let url = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    let first = gw.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let index: serde_json::Value = first.json().await.unwrap();
    let again = gw.http.get(&url).send().await.unwrap();
    assert_eq!(again.headers()["etag"], etag.as_str(), "nothing changed");
    assert_eq!(again.json::<serde_json::Value>().await.unwrap(), index);
    let not_modified = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
    assert_eq!(not_modified.headers()["etag"], etag.as_str());
    let request_id = not_modified.headers()["x-request-id"].to_str().unwrap();
    assert!(request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit()), "{request_id}");

    let month = Month::current().previous().unwrap();
    let sha = publish(&gw, month, b"new bundle", StorageTier::Hot).await;
    // Polled as a client would (the loop is bounded; no time is asserted).
    let mut changed = None;
    for _ in 0..200 {
        let response = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
        if response.status() == 200 {
            changed = Some(response);
            break;
        }
        assert_eq!(response.status(), 304);
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let changed = changed.expect("the index shows the new bundle once its cached copy is replaced");
    let new_etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let index: serde_json::Value = changed.json().await.unwrap();
    let entry = index["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["filename"] == format!("form-4-{month}.tar.gz").as_str())
        .unwrap()
        .clone();
    assert_eq!((entry["status"].as_str(), entry["sha256"].as_str()), (Some("available"), Some(sha.as_str())));
    let not_modified = gw.http.get(&url).header("If-None-Match", &new_etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
    // Each form type and each host has its own copy.
    let form3 = gw.http.get(gw.url("/api/insiders/bulk/form-3/index.json", &key)).send().await.unwrap();
    assert_eq!(form3.json::<serde_json::Value>().await.unwrap()["form_type"], "3");
    let other_host = gw.http.get(&url).header("Host", "example.test").send().await.unwrap();
    let other: serde_json::Value = other_host.json().await.unwrap();
    let url_of = |index: &serde_json::Value| {
        index["months"].as_array().unwrap().iter().find_map(|e| e["url"].as_str().map(str::to_owned)).unwrap()
    };
    assert!(url_of(&other).starts_with("http://example.test/"), "{}", url_of(&other));
}
