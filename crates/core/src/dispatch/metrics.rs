//! The dispatcher's Prometheus metrics, registered in its host's registry.
//! The outbox metrics keep the names they had when only gateways hosted
//! the relay, which operators' alerts and dashboards name.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use crate::domain::{FormType, RecoveryReason};

pub struct DispatchMetrics {
    pub outbox_published: IntCounter,
    pub outbox_publish_failures: IntCounter,
    pub outbox_backlog: IntGauge,
    pub outbox_oldest_age_seconds: IntGauge,
    pub relay_latency: Histogram,
    pub queue_depth: IntGauge,
    pub dead_letter_depth: IntGauge,
    pub live_packers: IntGauge,
    pub oldest_open_job_age_seconds: IntGauge,
    pub jobs_recovered: IntCounterVec,
    pub nightly_last_run: IntGauge,
    pub ingested_through: IntGauge,
    pub closed_month_changes: IntGaugeVec,
}

impl DispatchMetrics {
    /// Registers every metric in `registry`, each known label set at 0 so
    /// that rates, dashboards and alerts see a series before the first event.
    pub fn register(registry: &Registry) -> Self {
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
        let relay_latency = Histogram::with_opts(
            HistogramOpts::new(
                "insider_bulk_gateway_outbox_delay_seconds",
                "Time from a job's commit to the broker's confirm of its message",
            )
            .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0]),
        )
        .expect("valid metric");
        register(Box::new(relay_latency.clone()));
        let jobs_recovered = IntCounterVec::new(
            Opts::new(
                "insider_bulk_jobs_recovered_total",
                "Open jobs queued again by this process's sweeper or a generate call, by why they were stuck",
            ),
            &["reason"],
        )
        .expect("valid metric");
        register(Box::new(jobs_recovered.clone()));
        let closed_month_changes = IntGaugeVec::new(
            Opts::new(
                "insider_bulk_closed_month_changes",
                "Changes to filings of months whose last day had passed (corrections, data-set rows replaced by \
                 their EDGAR documents), summed over the months, by form type",
            ),
            &["form_type"],
        )
        .expect("valid metric");
        register(Box::new(closed_month_changes.clone()));
        for reason in RecoveryReason::ALL {
            jobs_recovered.with_label_values(&[reason.as_str()]);
        }
        for form in FormType::ALL {
            closed_month_changes.with_label_values(&[&form.to_string()]);
        }
        DispatchMetrics {
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
            relay_latency,
            queue_depth: gauge("insider_bulk_queue_depth", "Job messages waiting in the queue"),
            dead_letter_depth: gauge("insider_bulk_queue_dead_letter_depth", "Messages in the dead-letter queue"),
            live_packers: gauge("insider_bulk_queue_consumers", "Packers consuming the job queue"),
            oldest_open_job_age_seconds: gauge(
                "insider_bulk_oldest_open_job_age_seconds",
                "Age of the oldest job still open (queued or running)",
            ),
            jobs_recovered,
            nightly_last_run: gauge(
                "insider_bulk_nightly_last_run_timestamp_seconds",
                "Unix time at which the nightly run last completed (0: never)",
            ),
            ingested_through: gauge(
                "insider_bulk_ingested_through_timestamp_seconds",
                "Unix time at the end of the last EDGAR day of the unbroken run ingested (0: none yet)",
            ),
            closed_month_changes,
        }
    }
}
