//! Real processes for the end-to-end tests: the built binaries, started
//! with their configuration in the environment, killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Loads `count` synthetic filings of `form` for `month`.
pub async fn fill(
    db: &insider_bulk_core::db::Database,
    form: insider_bulk_core::domain::FormType,
    month: insider_bulk_core::domain::Month,
    count: usize,
    seed: u64,
) {
    db.run(move |c| insider_bulk_ingest::synth::store_synthetic(c, form, month, count, seed, "synth"))
        .await
        .expect("store the synthetic filings");
}

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
        if self.exited_within(Duration::from_secs(20)).is_none() {
            let _ = self.child.kill();
        }
    }

    /// The exit status, once the process exits within `timeout`. A process
    /// is waited for by the test's own thread: call it from a blocking task
    /// in an async test that serves the process meanwhile.
    pub fn exited_within(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for a child process") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The exit status; fails the test with the log when the process is
    /// still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        self.exited_within(timeout)
            .unwrap_or_else(|| panic!("{} did not exit within {timeout:?}; log: {}", self.name, self.log_text()))
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

/// Waits until `url` answers 200; a process that never gets there fails
/// the test with its log.
pub async fn wait_ready(http: &reqwest::Client, url: &str, process: &Process) {
    let look = || async {
        match http.get(url).send().await {
            Ok(response) if response.status() == 200 => Ok(()),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(e) => Err(e.to_string()),
        }
    };
    let log = || format!("log of {}: {}", process.name, process.log_text());
    insider_bulk_testing::eventually_ok(Duration::from_secs(60), &format!("{url} to be ready"), look, log).await
}

/// POST generate, poll the index until the month's `generated_at` moves,
/// download both files through their signed URLs, check their sha256 and
/// size, count the JSON lines and open the tar. Returns the manifest.
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
        index["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["year"] == year && e["month"] == month)
            .cloned()
            .expect("the month is in the index")
    };
    let before: serde_json::Value = http.get(&index_url).send().await.unwrap().json().await.unwrap();
    let old_generated = entry(&before)["generated_at"].clone();
    let url = format!("{base}/api/insiders/bulk/form-{form}/generate/{year}/{month}?api_Token={key}");
    let response = http.post(&url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let job: serde_json::Value = response.json().await.unwrap();
    assert_eq!(job["status"], "queued");
    // Polled as the docs advise, with the last ETag: a 304 is free.
    let etag = std::cell::RefCell::new(String::new());
    let regenerated = || async {
        let last_etag = etag.borrow().clone();
        let answer = http.get(&index_url).header("If-None-Match", last_etag).send().await.unwrap();
        if answer.status() == 304 {
            return Err("304".to_owned());
        }
        assert_eq!(answer.status(), 200);
        *etag.borrow_mut() = answer.headers()["etag"].to_str().unwrap().to_owned();
        let index: serde_json::Value = answer.json().await.unwrap();
        let e = entry(&index);
        if e["status"] == "available" && e["generated_at"] != old_generated && e["job"]["id"] == job["job_id"] {
            Ok(e)
        } else {
            Err(e.to_string())
        }
    };
    let what = format!("the month to be regenerated by {job}");
    let fresh = insider_bulk_testing::eventually_ok(Duration::from_secs(120), &what, regenerated, String::new).await;
    let fetch = |filename: String| async move {
        let call = format!("{base}/api/insiders/bulk/form-{form}/{year}/{filename}");
        let answer = http.get(&call).header("X-API-Key", key).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{call}");
        let answer: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(answer["filename"], filename.as_str());
        // The signed URL needs no key.
        let download = http.get(answer["download_url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(download.status(), 200);
        let bytes = download.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), answer["sha256"].as_str().unwrap());
        assert_eq!(bytes.len() as i64, answer["size_bytes"].as_i64().unwrap());
        (bytes, answer)
    };
    let (lines, answer) = fetch(fresh["filename"].as_str().unwrap().to_owned()).await;
    assert_eq!(answer["sha256"], fresh["sha256"], "the index and the download agree");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(lines.as_ref()), &mut text).unwrap();
    assert_eq!(text.lines().count() as i64, fresh["row_count"].as_i64().unwrap(), "row_count counts the lines");
    let (bytes, _) = fetch(fresh["bundle"]["filename"].as_str().unwrap().to_owned()).await;
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

/// The one-process service on a fresh directory: its sample months and the
/// demo account's key, read from what it prints.
pub async fn one_process_service() -> (Process, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = vec![
        ("INSIDER_BULK_DATA_DIR", dir.path().join("data").display().to_string()),
        ("GATEWAY_ADDR", format!("127.0.0.1:{port}")),
    ];
    let mut service = Process::start("insider-bulk", binary("insider-bulk"), &[], &env, dir.path());
    let mut banner = Vec::new();
    let key = service.read_until(Duration::from_secs(120), |line| {
        banner.push(line.to_owned());
        let line = line.trim();
        line.starts_with("ibk_").then(|| line.to_owned())
    });
    std::fs::write(dir.path().join("banner.txt"), banner.join("\n")).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&reqwest::Client::new(), &format!("{base}/readyz"), &service).await;
    (service, base, key, dir)
}

/// The split service for one test: a gateway and `packers` packer processes
/// on the test's PostgreSQL database, RabbitMQ under a queue name of its
/// own and a bundle directory of its own (`extra` adds to or overrides
/// their environment).
pub struct SplitService {
    pub base: String,
    pub gateway: Process,
    pub packers: Vec<Process>,
    pub queue: String,
    pub dir: tempfile::TempDir,
}

impl SplitService {
    pub async fn start(
        db: &insider_bulk_testing::TestDatabase,
        packers: usize,
        extra: &[(&'static str, String)],
    ) -> Self {
        let insider_bulk_core::db::DatabaseUrl::Postgres(url) = &db.url else {
            panic!("split mode runs on PostgreSQL, not {}", db.url)
        };
        let dir = tempfile::tempdir().unwrap();
        let queue = insider_bulk_testing::unique_queue_name();
        let mut env = vec![
            ("DATABASE_URL", url.clone()),
            ("QUEUE_URL", insider_bulk_testing::amqp_url()),
            ("QUEUE_NAME", queue.clone()),
            ("BUNDLE_STORE_URL", dir.path().join("bundles").display().to_string()),
            ("INSIDER_BULK_DATA_DIR", dir.path().join("data").display().to_string()),
        ];
        env.extend(extra.iter().cloned());
        let port = free_port();
        let mut gateway_env = env.clone();
        gateway_env.push(("GATEWAY_ADDR", format!("127.0.0.1:{port}")));
        let gateway = Process::start("gateway", binary("insider-bulk-gateway"), &["serve"], &gateway_env, dir.path());
        let packers = (0..packers)
            .map(|n| {
                let mut packer_env = env.clone();
                packer_env.push(("PACKER_METRICS_ADDR", format!("127.0.0.1:{}", free_port())));
                Process::start(&format!("packer-{n}"), binary("insider-bulk-packer"), &["run"], &packer_env, dir.path())
            })
            .collect();
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&reqwest::Client::new(), &format!("{base}/readyz"), &gateway).await;
        SplitService { base, gateway, packers, queue, dir }
    }

    /// Stops the processes and deletes the queues.
    pub async fn stop(self) {
        let SplitService { gateway, packers, queue, .. } = self;
        drop(packers);
        drop(gateway);
        insider_bulk_testing::delete_queues(&queue).await;
    }
}
