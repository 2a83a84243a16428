//! The gateway's Prometheus metrics, registered once per process.

use std::sync::Arc;

use insider_bulk_core::dispatch::DispatchMetrics;
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub tokens_charged: IntCounter,
    /// Metered tokens the ledger could not charge (the balance ran out
    /// first, on another gateway).
    pub metered_shortfall: IntCounter,
    pub generate_outcomes: IntCounterVec,
    pub rate_limited: IntCounterVec,
    /// index.json rebuilds, `waiting` (a request waited for it) or
    /// `background` (started before the cached copy expired).
    pub index_rebuilds: IntCounterVec,
    /// The dispatcher's, in the same registry.
    pub dispatch: Arc<DispatchMetrics>,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let register = |c: Box<dyn prometheus::core::Collector>| registry.register(c).expect("unique metric");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            register(Box::new(c.clone()));
            c
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            register(Box::new(c.clone()));
            c
        };
        let latency = HistogramVec::new(
            HistogramOpts::new("insider_bulk_gateway_request_duration_seconds", "Time to answer, by route")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["route", "method"],
        )
        .expect("valid metric");
        register(Box::new(latency.clone()));
        Metrics {
            requests: counter_vec(
                "insider_bulk_gateway_requests_total",
                "Requests answered, by route, method and status",
                &["route", "method", "status"],
            ),
            latency,
            tokens_charged: counter(
                "insider_bulk_gateway_tokens_charged_total",
                "Tokens debited for index, download and generate calls",
            ),
            metered_shortfall: counter(
                "insider_bulk_gateway_metered_shortfall_tokens_total",
                "Metered index.json tokens the ledger could not charge (the balance ran out first)",
            ),
            generate_outcomes: counter_vec(
                "insider_bulk_gateway_generate_total",
                "Generate calls by outcome (queued, joined, replayed, insufficient_balance, ...)",
                &["outcome"],
            ),
            rate_limited: counter_vec(
                "insider_bulk_gateway_rate_limited_total",
                "Requests refused by a rate-limit policy",
                &["policy", "tier"],
            ),
            index_rebuilds: counter_vec(
                "insider_bulk_gateway_index_rebuilds_total",
                "index.json rebuilds: waiting (a request waited) or background (before the cached copy expired)",
                &["how"],
            ),
            dispatch: Arc::new(DispatchMetrics::register(&registry)),
            registry,
        }
        .with_known_labels()
    }

    /// Exports every known label set at 0 from the start, so that rates,
    /// dashboards and alerts see a series before the first event.
    fn with_known_labels(self) -> Self {
        for outcome in ["queued", "joined", "replayed", "idempotency_conflict", "insufficient_balance"] {
            self.generate_outcomes.with_label_values(&[outcome]);
        }
        for how in ["waiting", "background"] {
            self.index_rebuilds.with_label_values(&[how]);
        }
        for policy in ["requests", "generate"] {
            for tier in ["free", "pro", "enterprise"] {
                self.rate_limited.with_label_values(&[policy, tier]);
            }
        }
        self
    }

    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut out = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
