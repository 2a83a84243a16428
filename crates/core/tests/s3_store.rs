//! The S3 path of the bundle store against a real S3-protocol server
//! (s3s-fs, installed by scripts/services.sh), not a mock: multipart upload,
//! verified move between tiers, and a pre-signed URL fetched over HTTP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use insider_bulk_core::store::BundleStore;
use object_store::aws::AmazonS3Builder;
use sha2::{Digest, Sha256};

const KEY: &str = "insider-bulk-test";
const SECRET: &str = "insider-bulk-test-secret";

struct S3Server {
    child: Child,
    endpoint: String,
    _root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3s_fs_binary() -> String {
    if let Ok(bin) = std::env::var("S3S_FS_BIN") {
        return bin;
    }
    let home = std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
    let installed = format!("{home}/bin/s3s-fs");
    assert!(
        std::path::Path::new(&installed).exists(),
        "s3s-fs (the S3-protocol server these tests run against) is not installed at {installed}: \
         run scripts/services.sh, which installs it"
    );
    installed
}

fn start_server(bucket: &str) -> S3Server {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(bucket)).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(s3s_fs_binary())
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--access-key", KEY, "--secret-key", SECRET])
        .arg(root.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s3s-fs");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "s3s-fs did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), _root: root }
}

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

    store.move_verified(hot, cold, &sha).await.unwrap();
    assert_eq!(store.size(hot).await.unwrap(), None);
    assert_eq!(store.sha256(cold).await.unwrap(), sha);
    assert!(store.move_verified(cold, hot, "0000").await.is_err(), "a copy that does not verify is refused");
    assert_eq!(store.size(cold).await.unwrap(), Some(data.len() as u64), "and the source is kept");

    let url = store.signed_url(cold, Duration::from_secs(24 * 3600)).await.unwrap().expect("S3 signs URLs");
    assert!(url.contains("X-Amz-Expires=86400"), "{url}");
    let (status, body) = http_get(&url);
    assert_eq!(status, 200);
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);
}
