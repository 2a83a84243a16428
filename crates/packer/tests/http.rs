//! The packer's operations port over real HTTP: metrics in Prometheus text
//! format, liveness, and readiness that follows the consumer.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;

use insider_bulk_packer::http;
use insider_bulk_testing::Backend;

fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_health_and_readiness() {
    let fx = common::packer(Backend::Sqlite).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = http::serve(listener, fx.packer.metrics.clone(), fx.packer.db.clone()).unwrap();
    let handle = server.handle();
    tokio::spawn(server);

    fx.packer.metrics.cache_hits.inc();
    let (status, body) = tokio::task::spawn_blocking(move || get(port, "/metrics")).await.unwrap();
    assert_eq!(status, 200);
    for name in [
        "insider_bulk_packer_cache_hits_total 1",
        "insider_bulk_packer_rows_packed_total",
        "insider_bulk_packer_bytes_packed_total",
        "insider_bulk_packer_hydrations_total",
        "insider_bulk_packer_jobs_in_flight",
        "insider_bulk_packer_queue_reconnects_total",
    ] {
        assert!(body.contains(name), "{name} missing from /metrics:\n{body}");
    }
    assert_eq!(tokio::task::spawn_blocking(move || get(port, "/healthz")).await.unwrap().0, 200);
    assert_eq!(tokio::task::spawn_blocking(move || get(port, "/readyz")).await.unwrap().0, 503);
    fx.packer.metrics.ready.store(true, Ordering::Relaxed);
    assert_eq!(tokio::task::spawn_blocking(move || get(port, "/readyz")).await.unwrap().0, 200);
    handle.stop(true).await;
}
