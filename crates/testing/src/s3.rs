//! A real S3-protocol server for tests (s3s-fs over a temporary directory,
//! installed by scripts/services.sh): no mock stands in for S3.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const KEY: &str = "insider-bulk-test";
pub const SECRET: &str = "insider-bulk-test-secret";

pub struct S3Server {
    child: Child,
    pub endpoint: String,
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

/// An s3s-fs server on a free loopback port with an empty `bucket`.
pub fn start_server(bucket: &str) -> S3Server {
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
