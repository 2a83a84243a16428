//! The gateway's Prometheus metrics, registered once per process.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

pub struct Metrics {
    pub registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub tokens_charged: IntCounter,
    pub generate_outcomes: IntCounterVec,
    pub rate_limited: IntCounterVec,
    pub outbox_published: IntCounter,
    pub outbox_publish_failures: IntCounter,
    pub outbox_backlog: IntGauge,
    pub outbox_oldest_age_seconds: IntGauge,
    pub queue_depth: IntGauge,
    pub dead_letter_depth: IntGauge,
    pub live_packers: IntGauge,
    pub oldest_open_job_age_seconds: IntGauge,
    pub jobs_recovered: IntCounterVec,
    pub nightly_last_run: IntGauge,
    pub ingested_through: IntGauge,
    pub closed_month_changes: IntGaugeVec,
    pub relay_latency: Histogram,
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
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            register(Box::new(g.clone()));
            g
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
        let relay_latency = Histogram::with_opts(
            HistogramOpts::new(
                "insider_bulk_gateway_outbox_delay_seconds",
                "Time from a job's commit to the broker's confirm of its message",
            )
            .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0]),
        )
        .expect("valid metric");
        register(Box::new(relay_latency.clone()));
        Metrics {
            requests: counter_vec(
                "insider_bulk_gateway_requests_total",
                "Requests answered, by route, method and status",
                &["route", "method", "status"],
            ),
            latency,
            tokens_charged: counter("insider_bulk_gateway_tokens_charged_total", "Tokens debited for generate calls"),
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
            outbox_published: counter(
                "insider_bulk_gateway_outbox_published_total",
                "Job messages confirmed by the broker",
            ),
            outbox_publish_failures: counter(
                "insider_bulk_gateway_outbox_publish_failures_total",
                "Publish attempts the broker refused or could not take",
            ),
            outbox_backlog: gauge("insider_bulk_gateway_outbox_backlog", "Job messages waiting in the outbox"),
            outbox_oldest_age_seconds: gauge(
                "insider_bulk_gateway_outbox_oldest_age_seconds",
                "Age of the oldest message waiting in the outbox",
            ),
            queue_depth: gauge("insider_bulk_queue_depth", "Job messages waiting in the queue"),
            dead_letter_depth: gauge("insider_bulk_queue_dead_letter_depth", "Messages in the dead-letter queue"),
            live_packers: gauge("insider_bulk_queue_consumers", "Packers consuming the job queue"),
            oldest_open_job_age_seconds: gauge(
                "insider_bulk_oldest_open_job_age_seconds",
                "Age of the oldest job still open (queued or running)",
            ),
            jobs_recovered: counter_vec(
                "insider_bulk_jobs_recovered_total",
                "Open jobs queued again by this gateway's sweeper or a generate call, by why they were stuck",
                &["reason"],
            ),
            nightly_last_run: gauge(
                "insider_bulk_nightly_last_run_timestamp_seconds",
                "Unix time at which the nightly run last completed (0: never)",
            ),
            ingested_through: gauge(
                "insider_bulk_ingested_through_timestamp_seconds",
                "Unix time at the end of the last EDGAR day of the unbroken run ingested (0: none yet)",
            ),
            closed_month_changes: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "insider_bulk_closed_month_changes",
                        "Changes to filings of months whose last day had passed (corrections, data-set rows \
                         replaced by their EDGAR documents), summed over the months, by form type",
                    ),
                    &["form_type"],
                )
                .expect("valid metric");
                register(Box::new(g.clone()));
                g
            },
            relay_latency,
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
        for reason in insider_bulk_core::domain::RecoveryReason::ALL {
            self.jobs_recovered.with_label_values(&[reason.as_str()]);
        }
        for form in insider_bulk_core::domain::FormType::ALL {
            self.closed_month_changes.with_label_values(&[&form.to_string()]);
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
