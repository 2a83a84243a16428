//! No job is lost: the real binaries killed, stopped, or robbed of their
//! queue messages at the worst moments, on PostgreSQL and RabbitMQ (split
//! mode) and on the one-process service's embedded default (SQLite and the
//! in-process queue). Every test ends by reading the database rows and the
//! HTTP answers: each job succeeds, is charged once, and runs once.
//!
//! Short timings throughout: a 5 s lease (renewed every 2.5 s; shorter
//! ones were lost under the load of parallel tests on 2 cores) and a
//! message counts as lost after 6 s. A "big" month (6,000 synthetic
//! filings) takes several seconds to pack, so a job is visibly `running`
//! before it can finish; every wait is "eventually, within a generous
//! deadline", never a timed assertion.

#[path = "../common/mod.rs"]
mod common;
mod one_process;
mod split_service;
mod support;
