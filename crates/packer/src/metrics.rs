//! The packer's Prometheus metrics, registered once per process.

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    /// True while the worker is consuming: what `/readyz` reports.
    pub ready: std::sync::atomic::AtomicBool,
    jobs: IntCounterVec,
    duration: Histogram,
    pub rows_packed: IntCounter,
    pub bytes_packed: IntCounter,
    pub cache_hits: IntCounter,
    pub hydrations: IntCounter,
    pub moved_to_cold: IntCounter,
    in_flight: IntGauge,
    pub queue_reconnects: IntCounter,
    pub dead_lettered: IntCounter,
}

/// Decrements the in-flight gauge when the job ends, however it ends.
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry.register(Box::new(c.clone())).expect("unique metric");
            c
        };
        let jobs =
            IntCounterVec::new(Opts::new("insider_bulk_packer_jobs_total", "Jobs finished, by outcome"), &["outcome"])
                .expect("valid metric");
        registry.register(Box::new(jobs.clone())).expect("unique metric");
        // Every outcome exported from the start, at 0, so rates and alerts see a series.
        for outcome in ["succeeded", "failed", "retried", "undecodable", "lease_lost", "duplicate"] {
            jobs.with_label_values(&[outcome]);
        }
        // Buckets from a small month on SQLite to a large one on a busy store.
        let buckets = vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
        let duration = Histogram::with_opts(
            HistogramOpts::new("insider_bulk_packer_job_duration_seconds", "Time from claim to finish")
                .buckets(buckets),
        )
        .expect("valid metric");
        registry.register(Box::new(duration.clone())).expect("unique metric");
        let in_flight = IntGauge::new("insider_bulk_packer_jobs_in_flight", "Jobs being worked on").expect("valid");
        registry.register(Box::new(in_flight.clone())).expect("unique metric");
        Metrics {
            jobs,
            duration,
            rows_packed: counter("insider_bulk_packer_rows_packed_total", "Rows written into bundles"),
            bytes_packed: counter(
                "insider_bulk_packer_bytes_packed_total",
                "Compressed bytes written, tar.gz and .jsonl.gz",
            ),
            cache_hits: counter("insider_bulk_packer_cache_hits_total", "Jobs whose month had not changed"),
            hydrations: counter("insider_bulk_packer_hydrations_total", "Bundles restored from the cold tier"),
            moved_to_cold: counter("insider_bulk_packer_moved_to_cold_total", "Bundles moved to the cold tier"),
            queue_reconnects: counter("insider_bulk_packer_queue_reconnects_total", "Broker reconnections"),
            dead_lettered: counter("insider_bulk_packer_dead_lettered_total", "Messages sent to the dead-letter queue"),
            in_flight,
            registry,
            ready: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    pub fn job_finished(&self, outcome: &str, took: Duration) {
        self.jobs.with_label_values(&[outcome]).inc();
        self.duration.observe(took.as_secs_f64());
    }

    pub fn render(&self) -> String {
        prometheus::TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
