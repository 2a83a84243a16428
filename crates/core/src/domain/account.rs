use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::job::named_enum;
use super::InvalidValue;

named_enum!(
    /// An account's pricing tier: it picks the rate-limit policies.
    Tier, "tier", {
        Free => "free",
        Pro => "pro",
        Enterprise => "enterprise",
    }
);

named_enum!(
    /// What a ledger entry records.
    LedgerKind, "ledger entry kind", {
        Grant => "grant",
        Charge => "charge",
        Refund => "refund",
    }
);

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Free, Tier::Pro, Tier::Enterprise];
}
