//! Job and account ids as types of their own, so that a function taking
//! both cannot be called with them swapped. Both keep the text the columns
//! and the wire have always held.
//!
//! New ids are UUIDs, but reading accepts any non-empty text: an account
//! id may be a JWT's `sub`, and rows written by hand or by older code need
//! not hold a UUID. Where a UUID is the contract (the job path, the job
//! message), [`JobId::parse_uuid`] checks it.
//!
//! `jobs::follow` takes the job, then the account; swapped, the call does
//! not compile:
//!
//! ```no_run
//! # use insider_bulk_core::db::{jobs, DbConnection};
//! # use insider_bulk_core::domain::{AccountId, JobId};
//! # fn join(conn: &mut DbConnection, job: &JobId, account: &AccountId) {
//! jobs::follow(conn, job, account).unwrap();
//! # }
//! ```
//!
//! ```compile_fail
//! # use insider_bulk_core::db::{jobs, DbConnection};
//! # use insider_bulk_core::domain::{AccountId, JobId};
//! # fn join(conn: &mut DbConnection, job: &JobId, account: &AccountId) {
//! jobs::follow(conn, account, job).unwrap();
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            /// A new id, a random UUID as text.
            pub fn random() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.is_empty() {
                    return Err(InvalidValue::new($kind, s, "must not be empty"));
                }
                Ok($name(s.to_owned()))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

text_id!(
    /// A generation job's id.
    JobId,
    "job id"
);

text_id!(
    /// An account's id: the owner of keys, ledger entries and jobs.
    AccountId,
    "account id"
);

impl JobId {
    /// A job id where the contract is a UUID, in its one spelling (lower
    /// case, hyphenated), however the caller wrote it.
    pub fn parse_uuid(raw: &str) -> Result<Self, InvalidValue> {
        let id = uuid::Uuid::try_parse(raw).map_err(|e| InvalidValue::new("job id", raw, e.to_string()))?;
        Ok(JobId(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_text_it_was_given() {
        assert_eq!("newest".parse::<JobId>().unwrap().as_str(), "newest");
        assert_eq!("acct-1".parse::<AccountId>().unwrap().to_string(), "acct-1");
        assert!("".parse::<AccountId>().unwrap_err().to_string().contains("account id"));
    }

    #[test]
    fn a_uuid_job_id_has_one_spelling() {
        let upper = JobId::parse_uuid("8F1A2B30-C4D5-46E7-9F01-23456789ABCD").unwrap();
        assert_eq!(upper.as_str(), "8f1a2b30-c4d5-46e7-9f01-23456789abcd");
        assert!(JobId::parse_uuid("not-a-uuid").is_err());
        assert!(JobId::random().as_str().parse::<uuid::Uuid>().is_ok());
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let id: JobId = "8f1a2b30-c4d5-46e7-9f01-23456789abcd".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"8f1a2b30-c4d5-46e7-9f01-23456789abcd\"");
        assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<AccountId>("\"\"").is_err());
    }
}
