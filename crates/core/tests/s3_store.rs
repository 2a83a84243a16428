//! The S3 path of the bundle store against a real S3-protocol server
//! (s3s-fs, installed by scripts/services.sh), not a mock: multipart upload,
//! verified move between tiers, and a pre-signed URL fetched over HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_testing::s3::{start_server, KEY, SECRET};
use object_store::aws::AmazonS3Builder;
use sha2::{Digest, Sha256};

/// A plain HTTP GET, as a client's download script would do with the URL.
fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response[split + 4..].to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_move_and_signed_download() {
    let server = start_server("bulk");
    let builder = AmazonS3Builder::new()
        .with_endpoint(&server.endpoint)
        .with_allow_http(true)
        .with_access_key_id(KEY)
        .with_secret_access_key(SECRET)
        .with_region("us-east-1")
        .with_virtual_hosted_style_request(false);
    let store = BundleStore::open_s3(builder, "bulk", "prod").unwrap();

    // Larger than one multipart part, so the upload is multipart.
    let data: Vec<u8> = (0..12 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let sha = hex::encode(Sha256::digest(&data));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();

    let hot = "hot/form-4/2025/form-4-2025-09.tar.gz";
    let cold = "cold/form-4/2025/form-4-2025-09.tar.gz";
    store.put_file(hot, file.path()).await.unwrap();
    assert_eq!(store.size(hot).await.unwrap(), Some(data.len() as u64));
    assert_eq!(store.sha256(hot).await.unwrap(), sha);

    store.copy_verified(hot, cold, &sha).await.unwrap();
    assert_eq!(store.sha256(hot).await.unwrap(), sha, "the source stays until the index moves off it");
    assert_eq!(store.sha256(cold).await.unwrap(), sha);
    store.delete(hot).await.unwrap();
    assert_eq!(store.size(hot).await.unwrap(), None);
    assert!(store.copy_verified(cold, hot, "0000").await.is_err(), "a copy that does not verify is refused");
    assert_eq!(store.size(hot).await.unwrap(), None, "and is not left behind");
    assert_eq!(store.size(cold).await.unwrap(), Some(data.len() as u64), "and the source is kept");

    // The listing the orphan sweep reads names keys as the store does,
    // without the bucket prefix, and only those written before the cut-off.
    let later = time::OffsetDateTime::now_utc() + Duration::from_secs(60);
    assert_eq!(store.keys_written_before(later).await.unwrap(), vec![cold.to_owned()]);
    let earlier = time::OffsetDateTime::now_utc() - Duration::from_secs(3600);
    assert!(store.keys_written_before(earlier).await.unwrap().is_empty());

    let url = store.signed_url(cold, Duration::from_secs(24 * 3600)).await.unwrap().expect("S3 signs URLs");
    assert!(url.contains("X-Amz-Expires=86400"), "{url}");
    let (status, body) = http_get(&url);
    assert_eq!(status, 200);
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);
}
