//! The watcher's Prometheus metrics. Every outcome that ends in a log line
//! also counts here, so that an alert can say what the log says.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Why a document fetch is retried (the `reason` label).
pub const RETRY_REASONS: [&str; 6] = ["not_found", "truncated", "html", "throttled", "http", "accession_mismatch"];
/// Why a feed poll failed.
pub const FEED_ERRORS: [&str; 4] = ["not_xml", "not_atom", "throttled", "http"];

pub struct WatchMetrics {
    pub registry: Registry,
    pub polls: IntCounterVec,
    pub feed_errors: IntCounterVec,
    pub last_success: IntGauge,
    pub entries_unreadable: IntCounter,
    pub seen: IntCounter,
    pub stored: IntCounter,
    pub already_stored: IntCounter,
    pub retries: IntCounterVec,
    pub left: IntCounter,
    pub malformed: IntCounter,
    pub pending: IntGauge,
    pub throttled: IntCounter,
    pub page_limit: IntCounter,
    pub regenerations: IntCounterVec,
    pub leader: IntGauge,
    pub missed: IntCounter,
    pub acceptance_to_store: Histogram,
    pub acceptance_to_index: Histogram,
}

impl WatchMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let register = |c: Box<dyn prometheus::core::Collector>| registry.register(c).expect("unique metric");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            register(Box::new(c.clone()));
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            register(Box::new(g.clone()));
            g
        };
        let labelled = |name: &str, help: &str, label: &str, values: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("valid metric");
            register(Box::new(c.clone()));
            for v in values {
                c.with_label_values(&[v]);
            }
            c
        };
        let acceptance_to_store = Histogram::with_opts(
            HistogramOpts::new(
                "insider_bulk_watch_acceptance_to_store_seconds",
                "Time from EDGAR's acceptance of a filing (its SEC header) to the watcher storing it",
            )
            .buckets(vec![15.0, 30.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1800.0, 3600.0]),
        )
        .expect("valid metric");
        register(Box::new(acceptance_to_store.clone()));
        let acceptance_to_index = Histogram::with_opts(
            HistogramOpts::new(
                "insider_bulk_watch_acceptance_to_index_seconds",
                "Time from EDGAR's acceptance of a filing the watcher stored to the end of the first pack of its month that holds it (index.json shows the new sha256)",
            )
            .buckets(vec![30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 240.0, 300.0, 600.0, 1800.0, 3600.0]),
        )
        .expect("valid metric");
        register(Box::new(acceptance_to_index.clone()));
        WatchMetrics {
            polls: labelled("insider_bulk_watch_polls_total", "Feed polls, by outcome", "outcome", &["ok", "error"]),
            feed_errors: labelled(
                "insider_bulk_watch_feed_errors_total",
                "Feed pages that could not be read, by why",
                "reason",
                &FEED_ERRORS,
            ),
            last_success: gauge(
                "insider_bulk_watch_last_success_timestamp_seconds",
                "When the last poll read every form's feed (Unix time)",
            ),
            entries_unreadable: counter(
                "insider_bulk_watch_entries_unreadable_total",
                "Ownership entries of the feed without an accession number or a CIK folder",
            ),
            seen: counter("insider_bulk_watch_seen_total", "Ownership filings first seen in the feed"),
            stored: counter("insider_bulk_watch_filings_stored_total", "Filings the watcher fetched and stored"),
            already_stored: counter(
                "insider_bulk_watch_already_stored_total",
                "Filings seen in the feed that were already in the store",
            ),
            retries: labelled(
                "insider_bulk_watch_document_retries_total",
                "Document fetches to be tried again, by why",
                "reason",
                &RETRY_REASONS,
            ),
            left: counter(
                "insider_bulk_watch_documents_left_total",
                "Filings whose document retries were used up, left to the nightly reconciliation",
            ),
            malformed: counter(
                "insider_bulk_watch_documents_malformed_total",
                "Whole documents that do not parse (recorded in ingest_failures)",
            ),
            pending: gauge("insider_bulk_watch_pending", "Seen filings waiting for their document"),
            throttled: counter(
                "insider_bulk_watch_throttled_total",
                "EDGAR answers of 429 or 403 to the watcher, each followed by a back-off",
            ),
            page_limit: counter(
                "insider_bulk_watch_page_limit_total",
                "Polls that stopped paging at EDGAR_WATCH_MAX_PAGES with news still on the last page",
            ),
            regenerations: labelled(
                "insider_bulk_watch_regenerations_total",
                "Owed month regenerations settled, by how",
                "outcome",
                &["queued", "covered"],
            ),
            leader: gauge("insider_bulk_watch_leader", "1 while this replica holds the watcher lock and polls"),
            missed: counter(
                "insider_bulk_watch_missed_total",
                "Filings the nightly reconciliation loaded that the feed had not brought (all days, from edgar_days)",
            ),
            acceptance_to_store,
            acceptance_to_index,
            registry,
        }
    }

    pub fn render(&self) -> String {
        prometheus::TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}

impl Default for WatchMetrics {
    fn default() -> Self {
        Self::new()
    }
}
