//! EDGAR ingest: turns ownership documents into normalized filings
//! (`parse`), stores them in batches (`batch`, `pipeline`), discovers and
//! downloads them from EDGAR (`edgar`), follows EDGAR's current-filings
//! feed (`watch`) and makes realistic synthetic months (`synth`).
//! `commands` holds one module per CLI subcommand.

pub mod batch;
pub mod commands;
pub mod edgar;
pub mod files;
pub mod parse;
pub mod pipeline;
pub mod sample;
pub mod sec_dataset;
pub mod synth;
pub mod watch;
