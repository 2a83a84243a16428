//! The insider-bulk gateway: the public HTTP API. Requests pass the guard
//! (authentication, rate limits), thin routes call the service layer, and
//! paid generate calls commit charge, job and outbox message together; the
//! dispatcher it hosts (`insider_bulk_core::dispatch`) then hands the
//! message to the queue.

pub mod admin;
pub mod auth;
pub mod config;
mod docs_page;
pub mod error;
mod front;
mod guard;
mod http_io;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod server;
pub mod service;
pub mod state;
