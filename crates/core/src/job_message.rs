//! The job message as both sides of the contract see it: the gateway and
//! the nightly run encode it, the packer decodes and validates it. The wire
//! format is `proto/insider_bulk/jobs/v1/jobs.proto`.

use prost::Message;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::domain::{AccountId, FormType, JobId, JobReason, Month};
use crate::proto::jobs::v1 as proto;

/// A message that can never be processed (bad bytes or out-of-range fields).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable job message: {0}")]
pub struct InvalidJobMessage(pub String);

/// A decoded, validated job message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateJob {
    pub id: JobId,
    pub form: FormType,
    pub month: Month,
    pub reason: JobReason,
    pub requested_at: PrimitiveDateTime,
    pub account_id: Option<AccountId>,
    pub trace_id: Option<String>,
}

impl GenerateJob {
    /// A job no account asked for (nightly run, first-start sample), with a new id.
    pub fn system(form: FormType, month: Month, reason: JobReason) -> Self {
        GenerateJob {
            id: JobId::random(),
            form,
            month,
            reason,
            requested_at: crate::db::now_utc(),
            account_id: None,
            trace_id: None,
        }
    }

    /// The message for a job as its row stands: what the relay publishes.
    pub fn from_row(row: &crate::db::jobs::JobRow) -> Self {
        GenerateJob {
            id: row.id.clone(),
            form: row.form_type,
            month: row.period_month,
            reason: row.reason,
            requested_at: row.queued_at,
            account_id: row.account_id.clone(),
            trace_id: row.trace_id.clone(),
        }
    }

    /// The row a new job of this message starts as (queued, nothing charged).
    pub fn queued_row(&self) -> crate::db::jobs::JobRow {
        crate::db::jobs::JobRow {
            account_id: self.account_id.clone(),
            trace_id: self.trace_id.clone(),
            ..crate::db::jobs::JobRow::queued(self.id.clone(), self.form, self.month, self.reason, self.requested_at)
        }
    }

    pub fn decode(payload: &[u8]) -> Result<Self, InvalidJobMessage> {
        let bad = InvalidJobMessage;
        let msg = proto::GenerateBundle::decode(payload).map_err(|e| bad(e.to_string()))?;
        let id = JobId::parse_uuid(&msg.job_id).map_err(|e| bad(format!("job_id {:?}: {}", msg.job_id, e.rule)))?;
        let form = match proto::FormType::try_from(msg.form_type) {
            Ok(proto::FormType::FormType3) => FormType::Form3,
            Ok(proto::FormType::FormType4) => FormType::Form4,
            Ok(proto::FormType::FormType5) => FormType::Form5,
            _ => return Err(bad(format!("form_type {}", msg.form_type))),
        };
        let month = Month::new(msg.year as i32, msg.month).map_err(|e| bad(e.to_string()))?;
        let reason = match proto::Reason::try_from(msg.reason) {
            Ok(proto::Reason::OnDemand) => JobReason::OnDemand,
            Ok(proto::Reason::Nightly) => JobReason::Nightly,
            Ok(proto::Reason::Warm) => JobReason::Warm,
            _ => return Err(bad(format!("reason {}", msg.reason))),
        };
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(msg.requested_at_unix_ms) * 1_000_000)
            .map_err(|e| bad(format!("requested_at: {e}")))?;
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        // proto3 spells "no account" as the empty string, which no account id is.
        let account_id = msg.account_id.parse::<AccountId>().ok();
        Ok(GenerateJob {
            id,
            form,
            month,
            reason,
            requested_at: PrimitiveDateTime::new(at.date(), at.time()),
            account_id,
            trace_id: non_empty(msg.trace_id),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let at = self.requested_at.assume_utc();
        proto::GenerateBundle {
            contract_version: proto::CONTRACT_VERSION,
            job_id: self.id.to_string(),
            form_type: match self.form {
                FormType::Form3 => proto::FormType::FormType3,
                FormType::Form4 => proto::FormType::FormType4,
                FormType::Form5 => proto::FormType::FormType5,
            }
            .into(),
            year: self.month.year() as u32,
            month: self.month.month(),
            reason: match self.reason {
                JobReason::OnDemand => proto::Reason::OnDemand,
                JobReason::Nightly => proto::Reason::Nightly,
                JobReason::Warm => proto::Reason::Warm,
            }
            .into(),
            requested_at_unix_ms: (at.unix_timestamp_nanos() / 1_000_000) as i64,
            account_id: self.account_id.clone().map(String::from).unwrap_or_default(),
            trace_id: self.trace_id.clone().unwrap_or_default(),
        }
        .encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_text_on_the_wire() {
        let month = Month::new(2025, 9).unwrap();
        let job = GenerateJob {
            account_id: Some("acct_1".parse().unwrap()),
            ..GenerateJob::system(FormType::Form4, month, JobReason::OnDemand)
        };
        let wire = proto::GenerateBundle::decode(job.encode().as_slice()).unwrap();
        assert_eq!((wire.job_id.as_str(), wire.account_id.as_str()), (job.id.as_str(), "acct_1"));
        assert_eq!(GenerateJob::decode(&job.encode()).unwrap(), job);

        let upper = proto::GenerateBundle {
            job_id: "8F1A2B30-C4D5-46E7-9F01-23456789ABCD".into(),
            account_id: String::new(),
            ..wire
        };
        let decoded = GenerateJob::decode(&upper.encode_to_vec()).unwrap();
        assert_eq!((decoded.id.as_str(), decoded.account_id), ("8f1a2b30-c4d5-46e7-9f01-23456789abcd", None));
        let bad = proto::GenerateBundle { job_id: "not-a-uuid".into(), ..upper };
        assert!(GenerateJob::decode(&bad.encode_to_vec()).unwrap_err().0.starts_with("job_id \"not-a-uuid\": "));
    }
}
