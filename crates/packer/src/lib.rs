//! The packer: takes generation jobs from a queue, builds a month's bundle
//! (`bundle`), stores it, and writes the index row the gateway serves.

pub mod bundle;
pub mod http;
pub mod job;
pub mod metrics;
pub mod nightly;
pub mod worker;
