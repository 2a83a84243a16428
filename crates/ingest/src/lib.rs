//! EDGAR ingest: turns ownership documents into normalized filings
//! (`parse`), stores them (`load`), discovers and downloads them from EDGAR
//! (`edgar`) and makes realistic synthetic months (`synth`).

pub mod parse;
pub mod synth;
