//! Real processes for the end-to-end tests: the built binaries, started
//! with their configuration in the environment, killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary of the workspace, next to this crate's own.
pub fn binary(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_insider-bulk")).parent().unwrap().to_path_buf();
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built: run `cargo build --workspace` (scripts/test does) first", path.display());
    path
}

pub struct Process {
    pub child: Child,
    pub name: String,
    pub log: PathBuf,
}

impl Process {
    pub fn start(name: &str, binary: PathBuf, args: &[&str], env: &[(&str, String)], dir: &std::path::Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(binary);
        command.args(args).current_dir(dir).stdout(Stdio::piped()).stderr(stderr).env("RUST_LOG", "info");
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
        Process { child, name: name.to_owned(), log }
    }

    /// Reads stdout lines until `want` returns a value (or the process ends).
    pub fn read_until<T>(&mut self, timeout: Duration, mut want: impl FnMut(&str) -> Option<T>) -> T {
        let stdout = self.child.stdout.take().expect("stdout is piped once");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining after the caller has what it wanted: a closed
            // pipe would make the process's next println! panic.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if let Some(found) = want(&line) {
                return found;
            }
            seen.push(line);
        }
        panic!("{} did not print what was expected; stdout: {seen:#?}; log: {}", self.name, self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn terminate(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until `url` answers 200.
pub async fn wait_ready(http: &reqwest::Client, url: &str, process: &Process) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(url).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never became ready; log of {}: {}", process.name, process.log_text());
}

/// POST generate, poll the index until the month's `generated_at` moves,
/// download, check the sha256 and open the tar. Returns the manifest.
pub async fn generate_and_download(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    form: u8,
    year: i32,
    month: u32,
) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let index_url = format!("{base}/api/insiders/bulk/form-{form}/index.json?api_Token={key}");
    let entry = |index: &serde_json::Value| {
        index["months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["year"] == year && e["month"] == month)
            .cloned()
            .expect("the month is in the index")
    };
    let before: serde_json::Value = http.get(&index_url).send().await.unwrap().json().await.unwrap();
    let old_generated = entry(&before)["generated_at"].clone();
    let started = Instant::now();
    let url = format!("{base}/api/insiders/bulk/form-{form}/generate/{year}/{month}?api_Token={key}");
    let response = http.post(&url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let job: serde_json::Value = response.json().await.unwrap();
    assert_eq!(job["status"], "queued");
    let fresh = loop {
        assert!(started.elapsed() < Duration::from_secs(120), "the month was not regenerated in 120 s: {job}");
        let index: serde_json::Value = http.get(&index_url).send().await.unwrap().json().await.unwrap();
        let e = entry(&index);
        if e["status"] == "available" && e["generated_at"] != old_generated && e["job"]["id"] == job["job_id"] {
            break e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let download = http.get(format!("{}?api_Token={key}", fresh["url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), fresh["sha256"].as_str().unwrap());
    assert_eq!(bytes.len() as i64, fresh["size"].as_i64().unwrap());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    let mut manifest = None;
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name == "manifest.json" {
            manifest = Some(serde_json::from_reader(&mut entry).unwrap());
        }
        names.push(name);
    }
    assert!(names.iter().any(|n| n == "SUBMISSION.tsv"), "{names:?}");
    manifest.expect("manifest.json in the bundle")
}
