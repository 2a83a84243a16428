//! A client written only from the live service's public docs (the facts
//! gathered in shared/seed/SIBLINGS.md: the `files` index, the download
//! call answering a signed URL, the per-filing record of each line, the
//! `X-API-Key` header, the seed's generate), not from our OpenAPI, run
//! unchanged against the one-process service and the split service.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{one_process_service, SplitService};
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{FormType, Month, Tier};
use insider_bulk_gateway::admin;
use insider_bulk_testing::{eventually_ok, TestDatabase};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a script written from the docs does.
struct DocsClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl DocsClient {
    fn api(&self, path: &str) -> String {
        format!("{}/api/insiders/bulk{path}", self.base)
    }

    /// `GET /api/insiders/bulk/form-{form_type}/index.json`, with the last ETag.
    async fn index(&self, form: &str, etag: Option<&str>) -> Option<(Value, String)> {
        let mut request = self.http.get(self.api(&format!("/form-{form}/index.json"))).header("X-API-Key", &self.key);
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        let response = request.send().await.unwrap();
        if response.status() == 304 {
            return None;
        }
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("x-request-id"));
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        Some((response.json().await.unwrap(), etag))
    }

    /// `GET /api/insiders/bulk/form-{form_type}/{year}/{filename}`: the
    /// signed URL; a file generated on first download may take a while.
    async fn download(&self, form: &str, year: i64, filename: &str) -> Value {
        for _ in 0..30 {
            let response = self
                .http
                .get(self.api(&format!("/form-{form}/{year}/{filename}")))
                .header("X-API-Key", &self.key)
                .send()
                .await
                .unwrap();
            if response.status() == 202 {
                let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                tokio::time::sleep(Duration::from_secs(wait.min(5))).await;
                continue;
            }
            assert_eq!(response.status(), 200, "{filename}");
            return response.json().await.unwrap();
        }
        panic!("{filename} was never ready");
    }

    /// The seed's `POST /api/insiders/bulk/form-{form_type}/generate/{year}/{month}`.
    async fn generate(&self, form: &str, year: i64, month: i64) -> Value {
        let url = self.api(&format!("/form-{form}/generate/{year}/{month}"));
        let response = self.http.post(url).header("X-API-Key", &self.key).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Lists files, downloads the newest available one through its signed URL
/// and checks it as the docs describe it, then regenerates its month and
/// sees the index move.
async fn as_the_docs_say(client: &DocsClient) {
    let (index, _) = client.index("4", None).await.expect("a first index");
    assert_eq!(index["form_type"], "4");
    let files = index["files"].as_array().expect("files");
    let dates: Vec<(i64, i64)> =
        files.iter().map(|f| (f["year"].as_i64().unwrap(), f["month"].as_i64().unwrap())).collect();
    let mut newest_first = dates.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, newest_first, "sorted by (year, month), newest first");
    assert_eq!(dates.last(), Some(&(2003, 1)), "coverage from 2003");
    for file in files {
        let name = format!("form-4-{}-{:02}.jsonl.gz", file["year"], file["month"].as_i64().unwrap());
        assert_eq!(file["filename"], name.as_str());
        assert!(matches!(file["status"].as_str(), Some("available" | "pending")), "{file}");
    }
    // The newest file with filings, else last month's: a pending file is
    // generated on its first download.
    let last_month = Month::current().previous().unwrap();
    let wanted = files
        .iter()
        .find(|f| f["status"] == "available" && f["row_count"].as_i64() > Some(0))
        .or_else(|| files.iter().find(|f| f["filename"] == format!("form-4-{last_month}.jsonl.gz").as_str()))
        .expect("a file");
    let (year, filename) = (wanted["year"].as_i64().unwrap(), wanted["filename"].as_str().unwrap().to_owned());
    let filename = filename.as_str();

    let signed = client.download("4", year, filename).await;
    let (index, etag) = client.index("4", None).await.expect("the index");
    let file = index["files"].as_array().unwrap().iter().find(|f| f["filename"] == filename).unwrap().clone();
    assert_eq!(file["status"], "available");
    assert_eq!(signed["filename"], filename);
    assert!(signed["expires_at"].as_str().unwrap().ends_with('Z'));
    // The signed URL is the authorization: no key goes with it.
    let fetched = reqwest::get(signed["download_url"].as_str().unwrap()).await.unwrap();
    assert_eq!(fetched.status(), 200, "{signed}");
    let bytes = fetched.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), signed["sha256"].as_str().unwrap());
    assert_eq!(bytes.len() as i64, signed["size_bytes"].as_i64().unwrap());
    assert_eq!(
        (signed["sha256"].as_str(), signed["size_bytes"].as_i64()),
        (file["sha256"].as_str(), file["size_bytes"].as_i64())
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes.as_ref()).read_to_string(&mut text).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(lines.len() as i64, file["row_count"].as_i64().unwrap(), "row_count: JSONL lines (= filings)");
    for record in &lines {
        assert!(record["accessionNo"].is_string() && record["documentType"].is_string(), "{record}");
        assert!(record["issuer"]["cik"].is_string(), "{record}");
        for table in ["nonDerivativeTable", "derivativeTable"] {
            for list in ["transactions", "holdings"] {
                assert!(record[table][list].is_array(), "no null arrays: {table}.{list} in {record}");
            }
        }
    }

    let month = file["month"].as_i64().unwrap();
    let job = client.generate("4", year, month).await;
    assert_eq!(job["status"], "queued");
    let etag = std::cell::RefCell::new(etag);
    let regenerated = || async {
        let last_etag = etag.borrow().clone();
        let Some((index, new_etag)) = client.index("4", Some(&last_etag)).await else {
            return Err("304".to_owned());
        };
        *etag.borrow_mut() = new_etag;
        let now = index["files"].as_array().unwrap().iter().find(|f| f["filename"] == filename).unwrap().clone();
        if now["generated_at"] != file["generated_at"] && now["status"] == "available" {
            Ok(())
        } else {
            Err(now.to_string())
        }
    };
    eventually_ok(Duration::from_secs(120), &format!("the month to be regenerated by {job}"), regenerated, String::new)
        .await;
    let again = client.download("4", year, filename).await;
    let bytes = reqwest::get(again["download_url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), again["sha256"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_the_live_docs_works_against_the_one_process_service() {
    let (service, base, key, _dir) = one_process_service().await;
    as_the_docs_say(&DocsClient { http: reqwest::Client::new(), base, key }).await;
    drop(service);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_the_live_docs_works_against_the_split_service() {
    let test_db = TestDatabase::postgres();
    let db = Database::open(&test_db.url, 4).await.unwrap();
    let month = Month::current().previous().unwrap();
    common::fill(&db, FormType::Form4, month, 300, 11).await;
    let key = admin::create_account(&db, "docs", Tier::Pro, 100_000).await.unwrap().1.plaintext;
    let service = SplitService::start(&test_db, 1, &[]).await;
    // Every month is pending here: the first download builds it.
    let base = service.base.clone();
    as_the_docs_say(&DocsClient { http: reqwest::Client::new(), base, key }).await;
    service.stop().await;
}
