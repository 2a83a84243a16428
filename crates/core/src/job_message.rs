//! The job message as both sides of the contract see it: the gateway and
//! the nightly run encode it, the packer decodes and validates it. The wire
//! format is `proto/insider_bulk/jobs/v1/jobs.proto`.

use prost::Message;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::domain::{FormType, JobReason, Month};
use crate::proto::jobs::v1 as proto;

/// A message that can never be processed (bad bytes or out-of-range fields).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable job message: {0}")]
pub struct InvalidJobMessage(pub String);

/// A decoded, validated job message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateJob {
    pub id: String,
    pub form: FormType,
    pub month: Month,
    pub reason: JobReason,
    pub requested_at: PrimitiveDateTime,
    pub account_id: Option<String>,
    pub trace_id: Option<String>,
}

impl GenerateJob {
    /// A job no account asked for (nightly run, first-start sample), with a new id.
    pub fn system(form: FormType, month: Month, reason: JobReason) -> Self {
        GenerateJob {
            id: uuid::Uuid::new_v4().to_string(),
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
        let id = uuid::Uuid::parse_str(&msg.job_id).map_err(|e| bad(format!("job_id {:?}: {e}", msg.job_id)))?;
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
        Ok(GenerateJob {
            id: id.to_string(),
            form,
            month,
            reason,
            requested_at: PrimitiveDateTime::new(at.date(), at.time()),
            account_id: non_empty(msg.account_id),
            trace_id: non_empty(msg.trace_id),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let at = self.requested_at.assume_utc();
        proto::GenerateBundle {
            contract_version: proto::CONTRACT_VERSION,
            job_id: self.id.clone(),
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
            account_id: self.account_id.clone().unwrap_or_default(),
            trace_id: self.trace_id.clone().unwrap_or_default(),
        }
        .encode_to_vec()
    }
}
