//! Domain types that reject invalid values at the edge: once a value of one
//! of these types exists, it is valid, so nothing downstream re-checks it.

/// Serializes a type as its `Display` text and deserializes it through its
/// `FromStr`, so JSON carries the same validated spelling as everything else.
macro_rules! serde_as_string {
    ($($t:ty),+) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

mod accession;
mod account;
mod cik;
mod flag;
mod form_type;
mod ids;
mod job;
mod month;
mod sql;

pub use accession::AccessionNumber;
pub use account::{LedgerKind, Tier};
pub use cik::Cik;
pub use flag::Flag;
pub use form_type::{DocumentType, FormType};
pub use ids::{AccountId, JobId};
pub use job::{BundleStatus, FilingSource, JobReason, JobState, RecoveryReason, StorageTier};
pub use month::Month;

serde_as_string!(AccessionNumber, AccountId, Cik, DocumentType, FormType, JobId, Month);

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
