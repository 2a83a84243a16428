//! A real gateway on a loopback port for each test: its own database, a
//! bundle directory, the in-process queue, and an HTTP client.

#![allow(dead_code)]

use std::net::TcpListener;

use insider_bulk_core::bundle_store::{BundleStore, StoreUrl};
use insider_bulk_core::db::Database;
use insider_bulk_core::domain::{AccountId, Tier};
use insider_bulk_core::queue::{AnyQueue, MemoryQueue};
use insider_bulk_gateway::admin;
use insider_bulk_gateway::config::GatewayConfig;
use insider_bulk_gateway::server;
use insider_bulk_gateway::state::AppState;
use insider_bulk_testing::{Backend, TestDatabase};
use tokio::sync::watch;

pub struct TestGateway {
    pub base: String,
    pub db: Database,
    pub state: AppState,
    pub queue: MemoryQueue,
    pub store_dir: tempfile::TempDir,
    pub http: reqwest::Client,
    server: actix_web::dev::ServerHandle,
    stop: watch::Sender<bool>,
    pub test_db: TestDatabase,
}

type ConfigTweak = Box<dyn FnOnce(&mut GatewayConfig)>;

/// How a test gateway is put together: by default SQLite or PostgreSQL as
/// asked, a local store in a temporary directory, the in-process queue,
/// and the default configuration with the index cache off.
pub struct Builder {
    backend: Backend,
    store: Option<(BundleStore, tempfile::TempDir)>,
    relay_queue: Option<AnyQueue>,
    tweaks: Vec<ConfigTweak>,
}

impl Builder {
    /// Changes the configuration (several calls apply in order).
    pub fn config(mut self, tweak: impl FnOnce(&mut GatewayConfig) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// A given bundle store (an S3 one, say) and the directory for the rest.
    pub fn store(mut self, store: BundleStore, dir: tempfile::TempDir) -> Self {
        self.store = Some((store, dir));
        self
    }

    /// The queue the relay publishes to (RabbitMQ, say).
    pub fn relay_queue(mut self, queue: AnyQueue) -> Self {
        self.relay_queue = Some(queue);
        self
    }

    pub async fn start(self) -> TestGateway {
        let (store, store_dir) = self.store.unwrap_or_else(|| {
            let dir = tempfile::tempdir().unwrap();
            (BundleStore::open(&StoreUrl::Local(dir.path().join("bundles"))).unwrap(), dir)
        });
        let test_db = TestDatabase::new(self.backend);
        let db = Database::open(&test_db.url, 8).await.expect("open the test database");
        let mut config = GatewayConfig::from_lookup(|_| None).unwrap();
        config.workers = 2;
        config.index_cache = std::time::Duration::ZERO;
        for tweak in self.tweaks {
            tweak(&mut config);
        }
        // The data directory (the download URL key) is the test's own.
        let data_dir = store_dir.path().to_string_lossy().into_owned();
        let shared = insider_bulk_core::config::Config::from_lookup(|name| {
            (name == "INSIDER_BULK_DATA_DIR").then(|| data_dir.clone())
        })
        .unwrap();
        let state = server::state(config, db.clone(), store, &shared, Vec::new()).await.expect("gateway state");
        let queue = MemoryQueue::new();
        let (stop, shutdown) = watch::channel(false);
        server::spawn_background(&state, self.relay_queue.unwrap_or(AnyQueue::Memory(queue.clone())), shutdown);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let running = server::http(state.clone(), listener).expect("start the HTTP server");
        let server = running.handle();
        tokio::spawn(running);
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestGateway { base, db, state, queue, store_dir, http, server, stop, test_db }
    }
}

impl TestGateway {
    pub fn builder(backend: Backend) -> Builder {
        Builder { backend, store: None, relay_queue: None, tweaks: Vec::new() }
    }

    /// The default gateway on `backend`.
    pub async fn start(backend: Backend) -> Self {
        Self::builder(backend).start().await
    }

    /// A new account with `tokens` and its API key.
    pub async fn account(&self, tier: Tier, tokens: i64) -> (AccountId, String) {
        let (account, key) = admin::create_account(&self.db, "test", tier, tokens).await.unwrap();
        (account.id, key.plaintext)
    }

    pub fn url(&self, path: &str, key: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api_Token={key}", self.base)
    }

    /// The account's balance with every metered call settled.
    pub async fn balance(&self, account: &AccountId) -> i64 {
        self.state.meter.settle(&self.db, None).await.expect("settle the metered calls");
        let id = account.clone();
        self.db.run(move |c| insider_bulk_core::db::accounts::get(c, &id)).await.unwrap().unwrap().balance
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let server = self.server.clone();
        tokio::spawn(async move { server.stop(false).await });
    }
}

/// The error body's fields, asserting the one shape.
pub async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    let error = body.get("error").unwrap_or_else(|| panic!("no `error` in {body}")).clone();
    assert!(error["code"].is_string() && error["message"].is_string(), "{body}");
    assert!(error["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
    (status, error)
}
