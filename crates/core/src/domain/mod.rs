//! Domain types that reject invalid values at the edge: once a value of one
//! of these types exists, it is valid, so nothing downstream re-checks it.

mod accession;
mod cik;
mod form_type;
mod job;
mod month;

pub use accession::AccessionNumber;
pub use cik::Cik;
pub use form_type::{DocumentType, FormType};
pub use job::{BundleStatus, JobReason, JobState, StorageTier};
pub use month::Month;

/// A value that failed validation, naming the value and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {rule}")]
pub struct InvalidValue {
    pub kind: &'static str,
    pub value: String,
    pub rule: String,
}

impl InvalidValue {
    pub(crate) fn new(kind: &'static str, value: &str, rule: impl Into<String>) -> Self {
        // Cap the echoed value so that a hostile 50 MB "value" does not end up in a log line.
        let value: String = value.chars().take(64).collect();
        Self { kind, value, rule: rule.into() }
    }
}
