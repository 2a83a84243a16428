//! Discovery and download of ownership filings from SEC EDGAR: the daily
//! form index tells which Forms 3/4/5 were filed on a day, the client fetches
//! them within SEC's fair-access rules (declared User-Agent, at most 10 requests
//! per second).

mod client;
mod form_index;
mod rate_limit;

pub use client::{
    EdgarClient, EdgarClientBuilder, EdgarError, FilingRef, DEFAULT_BASE_URL, DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BASE,
    MAX_REQUESTS_PER_SECOND,
};
pub use form_index::{
    daily_index_path, filing_archive_path, parse_form_index, FormIndex, IndexEntry, IndexFormatError,
};
pub use rate_limit::RateLimiter;
