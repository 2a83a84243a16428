//! Storing and reading filings. A store is one transaction: the filings,
//! all their rows and their months' stats change together or not at all.

mod amendments;
mod read;
mod repartition;
mod sample;
mod write;

pub use read::{
    amended_filing, amendment_links, latest_accepted_at, load_filings, month_accessions, stored_from_edgar,
    undated_filings, Links,
};
pub use repartition::repartition;
pub use sample::{holds_real_filings, holds_sample, remove_sample, RemovedSample};
pub use write::{content_hashes, store_filings, store_hashed, FilingToStore, StoreStatus};

use sha2::{Digest, Sha256};

/// A filing's share of its month's fingerprint: its content and its two
/// links (what it amends, what superseded it by the end of its month), which
/// a bundle publishes.
pub(crate) fn fingerprint_part(content_sha256: &str, amends: Option<&str>, superseded_by: Option<&str>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(content_sha256.as_bytes());
    h.update(b"|");
    h.update(amends.unwrap_or("").as_bytes());
    h.update(b"|");
    h.update(superseded_by.unwrap_or("").as_bytes());
    h.finalize().into()
}
