//! Shared core of insider-bulk: the domain types, the normalized filing,
//! configuration, and the database (schema, migrations, shared queries).

pub mod bundle_store;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod domain;
pub mod filing;
pub mod job_message;
pub mod logging;
pub mod proto;
pub mod queue;
pub mod record;
pub mod sec_format;
