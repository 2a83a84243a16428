use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// Declares a closed set of lowercase names with `as_str`, `Display`,
/// `FromStr` and serde, so that the database, the API and the logs spell
/// them one way.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel::AsExpression, diesel::FromSqlRow)]
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every name, in declaration order: the one list the
            /// migrations' CHECK constraints are tested against.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(InvalidValue::new($kind, s, concat!("expected one of:", $(" ", $text),+))),
                }
            }
        }
    };
}

pub(super) use named_enum;

named_enum!(
    /// Where a generation job is in its life.
    JobState, "job state", {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
    }
);

named_enum!(
    /// Why a job exists.
    JobReason, "job reason", {
        OnDemand => "on_demand",
        Nightly => "nightly",
        Warm => "warm",
    }
);

named_enum!(
    /// Whether a month's file can be downloaded now.
    BundleStatus, "bundle status", {
        Available => "available",
        Pending => "pending",
    }
);

named_enum!(
    /// Which store tier holds a month's file.
    StorageTier, "storage tier", {
        Hot => "hot",
        Cold => "cold",
    }
);

named_enum!(
    /// Why the sweeper put an open job back into the queue. `lease_expired`:
    /// a packer held it under a lease that ran out (killed, cut off from the
    /// database, or hung). `message_lost`: queued and published, but no
    /// packer received it (the queue was purged or deleted, a node lost).
    /// `process_restart`: the one-process service started again, and its
    /// in-process queue had died with the previous run.
    RecoveryReason, "recovery reason", {
        LeaseExpired => "lease_expired",
        MessageLost => "message_lost",
        ProcessRestart => "process_restart",
    }
);

named_enum!(
    /// Where a stored filing was read from. `edgar_submission`: a full
    /// submission (`.txt`, `.nc`) whose SEC header gives the filing date and
    /// acceptance time; `edgar_document`: a bare ownership XML, which has
    /// neither; `sec_dataset`: a row of SEC's quarterly Insider Transactions
    /// Data Sets (rounded to two decimals, no acceptance time);
    /// `synthetic`: made up by `synth`, for samples and benchmarks.
    FilingSource, "filing source", {
        EdgarSubmission => "edgar_submission",
        EdgarDocument => "edgar_document",
        SecDataset => "sec_dataset",
        Synthetic => "synthetic",
    }
);

impl FilingSource {
    pub const ALL: [FilingSource; 4] =
        [FilingSource::EdgarSubmission, FilingSource::EdgarDocument, FilingSource::SecDataset, FilingSource::Synthetic];
}

impl RecoveryReason {
    pub const ALL: [RecoveryReason; 3] =
        [RecoveryReason::LeaseExpired, RecoveryReason::MessageLost, RecoveryReason::ProcessRestart];
}

impl JobState {
    /// Queued and running jobs are open: a new request for the month joins them.
    pub fn is_open(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for state in [JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed] {
            assert_eq!(state.as_str().parse::<JobState>().unwrap(), state);
        }
        assert_eq!("on_demand".parse::<JobReason>().unwrap(), JobReason::OnDemand);
        let err = "done".parse::<JobState>().unwrap_err();
        assert!(err.to_string().contains("queued"), "{err}");
        assert_eq!(serde_json::to_string(&StorageTier::Cold).unwrap(), "\"cold\"");
    }
}
