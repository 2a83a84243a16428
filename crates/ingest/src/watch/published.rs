//! How fresh index.json is: each filing the watcher stored is timed from
//! its acceptance by EDGAR to the end of the first successful pack of its
//! month that started after it was stored, which is when index.json shows
//! the month's new sha256 (give or take `INDEX_CACHE_MILLIS`). Kept in
//! memory: a restart loses the filings in flight, not their filings.

use std::collections::BTreeMap;

use insider_bulk_core::db::{watch, Database, DbError};
use insider_bulk_core::domain::{FormType, JobState, Month};
use time::PrimitiveDateTime;

use super::metrics::WatchMetrics;

/// Filings waiting for their month's bundle, at most: beyond it (packers
/// down for long) the oldest are dropped unmeasured.
const TRACKED: usize = 10_000;

/// (acceptance time, stored at) of filings not yet in a bundle, by month.
#[derive(Default)]
pub struct Published {
    waiting: BTreeMap<(FormType, Month), Vec<(PrimitiveDateTime, PrimitiveDateTime)>>,
    count: usize,
}

impl Published {
    pub fn stored(
        &mut self,
        form: FormType,
        month: Month,
        accepted_at: PrimitiveDateTime,
        stored_at: PrimitiveDateTime,
    ) {
        if self.count >= TRACKED {
            return;
        }
        self.waiting.entry((form, month)).or_default().push((accepted_at, stored_at));
        self.count += 1;
    }

    /// Observes the filings whose month has been packed since they were stored.
    pub async fn check(&mut self, db: &Database, metrics: &WatchMetrics) -> Result<(), DbError> {
        let months: Vec<(FormType, Month)> = self.waiting.keys().copied().collect();
        for (form, month) in months {
            let Some(job) = db.run(move |conn| watch::latest_job(conn, form, month)).await? else { continue };
            let (Some(started), Some(finished)) = (job.started_at, job.finished_at) else { continue };
            if job.state != JobState::Succeeded {
                continue;
            }
            let filings = self.waiting.get_mut(&(form, month)).expect("a key just listed");
            filings.retain(|(accepted, stored)| {
                let packed = *stored <= started;
                if packed {
                    metrics.acceptance_to_index.observe((finished - *accepted).as_seconds_f64().max(0.0));
                }
                !packed
            });
            if filings.is_empty() {
                self.waiting.remove(&(form, month));
            }
        }
        self.count = self.waiting.values().map(Vec::len).sum();
        Ok(())
    }
}
