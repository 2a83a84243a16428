//! Downloads: validators, digests, byte ranges, and paths that try to
//! leave the store.

mod common;

use base64::Engine;
use common::{error_of, TestGateway};
use insider_bulk_core::bundle_store::{jsonl_object_key, object_key};
use insider_bulk_core::db::bundles::{self, BundleRow};
use insider_bulk_core::db::now_utc;
use insider_bulk_core::domain::Tier;
use insider_bulk_core::domain::{BundleStatus, FormType, JobId, Month, StorageTier};
use insider_bulk_gateway::service::signed_url::SignedObject;
use insider_bulk_testing::{eventually_ok, Backend};
use sha2::{Digest, Sha256};

/// The index row of a month whose tar.gz is `content` under `key` and
/// whose `.jsonl.gz` is `jsonl` under `jsonl_key`.
fn bundle_row(
    month: Month,
    (key, content): (String, &[u8]),
    (jsonl_key, jsonl): (String, &[u8]),
    storage: StorageTier,
) -> (BundleRow, String) {
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
        filing_count: 3,
        row_count: 17,
        source_fingerprint: "f".repeat(64),
        last_job_id: None,
        synthetic: false,
        jsonl_object_key: jsonl_key,
        jsonl_sha256: hex::encode(Sha256::digest(jsonl)),
        jsonl_size_bytes: jsonl.len() as i64,
    };
    (row, sha)
}

/// Stores the month's two files in the local store and indexes them;
/// returns the `.jsonl.gz`'s sha256.
async fn publish(gw: &TestGateway, month: Month, tar: &[u8], jsonl: &[u8], storage: StorageTier) -> String {
    let put = |content: &[u8], key: String| {
        let path = gw.store_dir.path().join("bundles").join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        key
    };
    let sha = |content: &[u8]| hex::encode(Sha256::digest(content));
    let tar_key = put(tar, object_key(storage, FormType::Form4, month, &sha(tar), uuid::Uuid::new_v4()));
    let jsonl_key = put(jsonl, jsonl_object_key(storage, FormType::Form4, month, &sha(jsonl), uuid::Uuid::new_v4()));
    let (row, _) = bundle_row(month, (tar_key, tar), (jsonl_key, jsonl), storage);
    gw.db.run(move |c| bundles::upsert(c, &row)).await.unwrap();
    sha(jsonl)
}

fn download_path(month: Month, extension: &str) -> String {
    format!("/api/insiders/bulk/form-4/{}/form-4-{month}.{extension}", month.year())
}

/// The download call's answer and the tokens it took.
async fn call(gw: &TestGateway, path: &str, key: &str) -> (serde_json::Value, i64) {
    let response = gw.http.get(gw.url(path, key)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let tokens = response.headers()["x-tokens-charged"].to_str().unwrap().parse().unwrap();
    (response.json().await.unwrap(), tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_downloads_through_its_signed_url_with_etag_digest_and_ranges() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    let jsonl: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let sha = publish(&gw, month, b"tar bytes", &jsonl, StorageTier::Hot).await;

    let (answer, tokens) = call(&gw, &download_path(month, "jsonl.gz"), &key).await;
    assert_eq!(tokens, 25);
    assert_eq!(gw.balance(&account).await, 75);
    let fields: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["download_url", "expires_at", "filename", "row_count", "sha256", "size_bytes"]);
    assert_eq!(answer["filename"], format!("form-4-{month}.jsonl.gz").as_str());
    assert_eq!((answer["row_count"].as_i64(), answer["size_bytes"].as_i64()), (Some(3), Some(100_000)));
    assert_eq!(answer["sha256"], sha.as_str());
    let url = answer["download_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/files/hot/form-4/", gw.base)) && !url.contains("api_Token"), "{url}");

    // No key: the signature is the authorization.
    let full = gw.http.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    let digest = base64::engine::general_purpose::STANDARD.encode(hex::decode(&sha).unwrap());
    assert_eq!(full.headers()["repr-digest"], format!("sha-256=:{digest}:").as_str());
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert!(full.headers()["content-disposition"].to_str().unwrap().contains(&format!("form-4-{month}.jsonl.gz")));
    assert_eq!(full.bytes().await.unwrap().as_ref(), jsonl.as_slice());
    let part = gw.http.get(&url).header("Range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &jsonl[1000..2000]);
    let stale = gw.http.get(&url).header("Range", "bytes=0-9").header("If-Range", "\"other\"").send().await.unwrap();
    assert_eq!(stale.status(), 200, "If-Range with another validator sends the whole file");
    let (status, _) = error_of(gw.http.get(&url).header("Range", "bytes=100000-").send().await.unwrap()).await;
    assert_eq!(status, 416);
    assert_eq!(gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap().status(), 304);

    // A repeat call while the URL is valid: the same URL, free.
    let (again, tokens) = call(&gw, &download_path(month, "jsonl.gz"), &key).await;
    assert_eq!((again["download_url"].as_str(), tokens), (Some(url.as_str()), 0));
    assert_eq!(gw.balance(&account).await, 75);
    // The month's other file is another file: charged, and its own bytes.
    let (tar, tokens) = call(&gw, &download_path(month, "tar.gz"), &key).await;
    assert_eq!(
        (tar["filename"].as_str(), tar["row_count"].as_i64(), tokens),
        (Some(format!("form-4-{month}.tar.gz").as_str()), Some(17), 25)
    );
    let bytes = gw.http.get(tar["download_url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), b"tar bytes");
    assert_eq!(gw.balance(&account).await, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_url_serves_only_its_object_until_it_expires() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    publish(&gw, month, b"tar", b"jsonl", StorageTier::Hot).await;
    let (answer, _) = call(&gw, &download_path(month, "jsonl.gz"), &key).await;
    let url = answer["download_url"].as_str().unwrap().to_owned();
    let signature = url.rsplit_once("signature=").unwrap().1.to_owned();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let forged = [
        format!("{}{flipped}{}", &url[..url.len() - signature.len()], &signature[1..]),
        url.replace(".jsonl.gz?", ".tar.gz?"),
        url.replace("expires=", "expires=9"),
        url.replace("sha256=", "sha256=0"),
        url.split("&signature=").next().unwrap().to_owned(),
    ];
    for forged in forged {
        let response = gw.http.get(&forged).send().await.unwrap();
        assert!(matches!(response.status().as_u16(), 400 | 403), "{forged}: {}", response.status());
    }
    // The gateway's own signature over a time already past.
    let object = answer["download_url"].as_str().unwrap().split("/files/").nth(1).unwrap().split('?').next().unwrap();
    let expired = SignedObject {
        object_key: object.to_owned(),
        sha256: answer["sha256"].as_str().unwrap().to_owned(),
        expires: time::OffsetDateTime::now_utc().unix_timestamp() - 1,
    };
    let (status, error) =
        error_of(gw.http.get(gw.state.url_signer.url(&gw.base, &expired)).send().await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("forbidden")));
    assert!(error["message"].as_str().unwrap().contains("expired"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_the_index_does_not_list_is_404_and_free() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let now = Month::current();
    for path in [
        format!("/api/insiders/bulk/form-4/{}/form-4-{}-13.jsonl.gz", now.year(), now.year()),
        format!("/api/insiders/bulk/form-4/{}/form-5-{now}.jsonl.gz", now.year()),
        format!("/api/insiders/bulk/form-4/{}/form-4-{now}.json", now.year()),
        format!("/api/insiders/bulk/form-4/{}/{:02}.tar.gz", now.year(), now.month()),
        "/api/insiders/bulk/form-4/2002/form-4-2002-12.jsonl.gz".to_owned(),
        format!("/api/insiders/bulk/form-4/{0}/form-4-{0}-01.jsonl.gz", now.year() + 1),
    ] {
        let (status, error) = error_of(gw.http.get(gw.url(&path, &key)).send().await.unwrap()).await;
        assert_eq!((status, error["code"].as_str()), (404, Some("not_found")), "{path}: {error}");
    }
    let (status, error) = error_of(
        gw.http.get(gw.url("/api/insiders/bulk/form-6/2024/form-6-2024-01.jsonl.gz", &key)).send().await.unwrap(),
    )
    .await;
    assert_eq!((status, error["param"].as_str()), (400, Some("form_type")));
    assert_eq!(gw.balance(&account).await, 100, "nothing was charged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_month_is_queued_on_first_download_and_answers_202_past_the_wait() {
    let gw = TestGateway::builder(Backend::Sqlite)
        .config(|c| c.download_wait = std::time::Duration::from_millis(600))
        .start()
        .await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    let response = gw.http.get(gw.url(&download_path(month, "jsonl.gz"), &key)).send().await.unwrap();
    assert_eq!(response.status(), 202, "no packer runs here, so the build outlasts the wait");
    assert_eq!(response.headers()["retry-after"], "5");
    assert_eq!(response.headers()["x-tokens-charged"], "0");
    let pending: serde_json::Value = response.json().await.unwrap();
    assert_eq!(pending["filename"], format!("form-4-{month}.jsonl.gz").as_str());
    let job_id: JobId = pending["job_id"].as_str().unwrap().parse().unwrap();
    let job = gw.db.run(move |c| insider_bulk_core::db::jobs::get(c, &job_id)).await.unwrap().unwrap();
    assert_eq!((job.form_type, job.period_month, job.reason.as_str()), (FormType::Form4, month, "warm"));
    assert!(job.account_id.is_none(), "a system job: the download pays, not the build");
    // The relay published it: the month will be built without anyone calling generate.
    let relayed = || async {
        let backlog = gw.db.run(insider_bulk_core::db::outbox::backlog).await.unwrap();
        backlog.0 == 0
    };
    insider_bulk_testing::eventually(std::time::Duration::from_secs(20), "the job's message relayed", relayed).await;
    // A second call joins the same job.
    let again: serde_json::Value =
        gw.http.get(gw.url(&download_path(month, "jsonl.gz"), &key)).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["job_id"], pending["job_id"]);
    assert_eq!(gw.balance(&account).await, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_store_answers_with_its_presigned_url_valid_24_hours() {
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
    let (tar, jsonl) = (b"tar on S3".to_vec(), b"jsonl on S3".to_vec());
    let mut keys = Vec::new();
    for (content, jsonl_file) in [(&tar, false), (&jsonl, true)] {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), content).unwrap();
        let sha = hex::encode(Sha256::digest(content));
        let key = if jsonl_file {
            jsonl_object_key(StorageTier::Hot, FormType::Form4, month, &sha, uuid::Uuid::new_v4())
        } else {
            object_key(StorageTier::Hot, FormType::Form4, month, &sha, uuid::Uuid::new_v4())
        };
        store.put_file(&key, file.path()).await.unwrap();
        keys.push(key);
    }
    let gw = TestGateway::builder(Backend::Sqlite).store(store, tempfile::tempdir().unwrap()).start().await;
    let (row, _) = bundle_row(month, (keys[0].clone(), &tar), (keys[1].clone(), &jsonl), StorageTier::Hot);
    gw.db.run(move |c| bundles::upsert(c, &row)).await.unwrap();
    let (_, api_key) = gw.account(Tier::Pro, 100).await;
    let (answer, _) = call(&gw, &download_path(month, "jsonl.gz"), &api_key).await;
    let url = answer["download_url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=86400") || url.contains("X-Amz-Expires=86399"), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), jsonl.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_lists_files_newest_first_charges_and_answers_a_free_304() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (account, key) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    let sha = publish(&gw, month, b"bundle bytes", b"jsonl bytes", StorageTier::Hot).await;
    let cold = month.previous().unwrap();
    publish(&gw, cold, b"cold bytes", b"cold jsonl", StorageTier::Cold).await;
    let url = gw.url("/api/insiders/bulk/form-4/index.json", &key);
    let response = gw.http.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["x-tokens-charged"], "25");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(text.starts_with(r#"{"form_type":"4","files":["#), "the live shape first: {}", &text[..60]);
    assert_eq!(gw.balance(&account).await, 75);
    let files = index["files"].as_array().unwrap();
    assert_eq!(files.len(), Month::current().coverage_through().count(), "every month of coverage");
    let now = Month::current();
    assert_eq!(
        (files[0]["year"].as_i64(), files[0]["month"].as_i64()),
        (Some(now.year() as i64), Some(now.month() as i64))
    );
    let last = files.last().unwrap();
    assert_eq!(
        (last["year"].as_i64(), last["month"].as_i64(), last["status"].as_str()),
        (Some(2003), Some(1), Some("pending"))
    );
    assert!(last["row_count"].is_null() && last["sha256"].is_null() && last["bundle"].is_null());
    let entry = files.iter().find(|e| e["filename"] == format!("form-4-{month}.jsonl.gz").as_str()).unwrap();
    assert_eq!(entry["status"], "available");
    assert_eq!(
        (entry["sha256"].as_str(), entry["size_bytes"].as_i64(), entry["row_count"].as_i64()),
        (Some(sha.as_str()), Some(11), Some(3))
    );
    assert_eq!(entry["bundle"]["filename"], format!("form-4-{month}.tar.gz").as_str());
    assert_eq!(entry["bundle"]["size_bytes"], 12);
    assert!(entry["url"].as_str().unwrap().ends_with(&download_path(month, "jsonl.gz")));
    let cold_entry = files.iter().find(|e| e["filename"] == format!("form-4-{cold}.jsonl.gz").as_str()).unwrap();
    assert_eq!((cold_entry["status"].as_str(), cold_entry["storage"].as_str()), (Some("pending"), Some("cold")));
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
    assert_eq!(gw.balance(&account).await, 50);
    let not_modified = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(
        (not_modified.status().as_u16(), not_modified.headers()["x-tokens-charged"].to_str().unwrap()),
        (304, "0")
    );
    assert_eq!(gw.balance(&account).await, 50, "a 304 is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_never_leave_the_store() {
    let gw = TestGateway::start(Backend::Sqlite).await;
    let (_, key) = gw.account(Tier::Pro, 1000).await;
    let secret = b"SECRET-OUTSIDE-THE-STORE";
    std::fs::write(gw.store_dir.path().join("secret.tar.gz"), secret).unwrap();
    std::fs::write(gw.store_dir.path().join("bundles").join("secret.tar.gz"), secret).unwrap();
    let month = Month::current().previous().unwrap();
    publish(&gw, month, b"real bundle", b"real lines", StorageTier::Hot).await;
    let attempts = [
        "/api/insiders/bulk/form-4/2025/..%2F..%2Fsecret.tar.gz",
        "/api/insiders/bulk/form-4/2025/%2e%2e%2fsecret.tar.gz",
        "/api/insiders/bulk/form-4/..%2F2025/form-4-2025-09.tar.gz",
        "/api/insiders/bulk/form-4/2025/..%5Csecret.tar.gz",
        "/api/insiders/bulk/form-4/%2e%2e/secret.tar.gz",
        "/api/insiders/bulk/form-4/2025/form-4-2025-09.tar.gz%2F..%2F..%2Fsecret.tar.gz",
        "/api/insiders/bulk/form-4/..%252F..%252Fsecret/form-4-2025-09.tar.gz",
        "/files/..%2Fsecret.tar.gz?sha256=0&expires=9999999999&signature=00",
        "/files/secret.tar.gz?sha256=0&expires=9999999999&signature=00",
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
    let (_, key) = gw.account(Tier::Pro, 100).await;
    let month = Month::current().previous().unwrap();
    publish(&gw, month, b"soon gone", b"soon gone too", StorageTier::Hot).await;
    let (answer, _) = call(&gw, &download_path(month, "jsonl.gz"), &key).await;
    // The store cannot be read: where a directory was, a file is.
    let hot = gw.store_dir.path().join("bundles/hot");
    std::fs::remove_dir_all(&hot).unwrap();
    std::fs::write(&hot, b"not a directory").unwrap();
    let response = gw.http.get(answer["download_url"].as_str().unwrap()).send().await.unwrap();
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
    let gw = TestGateway::builder(Backend::Sqlite)
        .config(|c| c.index_cache = std::time::Duration::from_millis(400))
        .start()
        .await;
    let (_, key) = gw.account(Tier::Pro, 100_000).await;
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
    let sha = publish(&gw, month, b"new bundle", b"new lines", StorageTier::Hot).await;
    // Polled as a client would (the loop is bounded; no time is asserted).
    let look = || async {
        let response = gw.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
        match response.status().as_u16() {
            200 => Ok(response),
            304 => Err("304".to_owned()),
            other => panic!("index.json answered {other}"),
        }
    };
    let what = "the index to show the new bundle once its cached copy is replaced";
    let changed = eventually_ok(std::time::Duration::from_secs(10), what, look, String::new).await;
    let new_etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let index: serde_json::Value = changed.json().await.unwrap();
    let entry = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["filename"] == format!("form-4-{month}.jsonl.gz").as_str())
        .unwrap()
        .clone();
    assert_eq!((entry["status"].as_str(), entry["sha256"].as_str()), (Some("available"), Some(sha.as_str())));
    let not_modified = gw.http.get(&url).header("If-None-Match", &new_etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
    // The copy was replaced before it expired, while it was polled.
    let metrics = gw.http.get(format!("{}/metrics", gw.base)).send().await.unwrap().text().await.unwrap();
    let background = metrics
        .lines()
        .find(|l| l.starts_with(r#"insider_bulk_gateway_index_rebuilds_total{how="background"}"#))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(background > Some(0), "a polled index is rebuilt in the background: {metrics}");
    // Each form type and each host has its own copy.
    let form3 = gw.http.get(gw.url("/api/insiders/bulk/form-3/index.json", &key)).send().await.unwrap();
    assert_eq!(form3.json::<serde_json::Value>().await.unwrap()["form_type"], "3");
    let other_host = gw.http.get(&url).header("Host", "example.test").send().await.unwrap();
    let other: serde_json::Value = other_host.json().await.unwrap();
    let url_of = |index: &serde_json::Value| {
        index["files"].as_array().unwrap().iter().find_map(|e| e["url"].as_str().map(str::to_owned)).unwrap()
    };
    assert!(url_of(&other).starts_with("http://example.test/"), "{}", url_of(&other));
}
