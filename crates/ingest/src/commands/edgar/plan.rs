//! The first pass of a crawl: every day's index, read before any filing is
//! fetched, so that the run can say what it will do and how long that
//! takes, and so that a wrong host fails on one day's retries.

use std::collections::{HashMap, VecDeque};

use time::Date;
use tokio::task::JoinHandle;

use super::is_weekend;
use super::progress::Progress;
use crate::edgar::{EdgarClient, EdgarError, FormIndex};

/// Index entries held between the two passes. Beyond this a day's index is
/// read again when its turn comes: one request more per day, against about
/// 1 GB for the 5 M entries of a full crawl.
const HELD_ENTRIES: usize = 200_000;

pub(super) enum DayPlan {
    /// Recorded, complete, before this catch-up run; whether it had an index.
    AlreadyLoaded {
        had_index: bool,
    },
    NoIndex,
    /// `index` is `None` when it was let go to bound memory.
    Index {
        filings: usize,
        index: Option<FormIndex>,
    },
}

pub(super) struct Plan {
    pub days: Vec<(Date, DayPlan)>,
    /// Why planning stopped early, at the day whose index could not be read.
    pub stopped: Option<CrawlStop>,
}

/// Why a crawl stopped before the end of its range. Each is worth retrying
/// later (exit code 1): a wrong host and a network down look the same.
#[derive(Debug, thiserror::Error)]
pub enum CrawlStop {
    #[error("EDGAR at {base} cannot be reached: {source}; check --base-url and the network (nothing was recorded from {day} on)")]
    Unreachable { base: String, day: Date, source: EdgarError },
    #[error("EDGAR at {base} did not serve the index of {day}: {source} (nothing was recorded from {day} on)")]
    IndexFailed { base: String, day: Date, source: EdgarError },
    #[error(
        "EDGAR at {base} served no daily index for any weekday from {from} to {to}{}: a wrong --base-url, \
         or SEC refusing this User-Agent or address (it answers 403, which reads as no index); nothing was recorded",
        known.map_or(String::new(), |d| format!(", nor for {d}, which it served before"))
    )]
    NoIndex { base: String, from: Date, to: Date, known: Option<Date> },
    #[error("all {count} downloads of {day} failed, the last: {last}; EDGAR stopped serving filings")]
    DownloadsFailed { day: Date, count: usize, last: String },
}

impl CrawlStop {
    pub fn index(base: &str, day: Date, source: EdgarError) -> Self {
        let base = base.to_owned();
        match source {
            EdgarError::Unreachable { .. } => CrawlStop::Unreachable { base, day, source },
            _ => CrawlStop::IndexFailed { base, day, source },
        }
    }
}

impl Plan {
    pub fn filings(&self) -> usize {
        self.days.iter().map(|(_, p)| if let DayPlan::Index { filings, .. } = p { *filings } else { 0 }).sum()
    }

    /// Requests the second pass makes: each filing, and each index let go.
    pub fn requests_ahead(&self) -> usize {
        let rereads = self.days.iter().filter(|(_, p)| matches!(p, DayPlan::Index { index: None, .. })).count();
        self.filings() + rereads
    }

    pub fn days_with_index(&self) -> usize {
        self.days.iter().filter(|(_, p)| matches!(p, DayPlan::Index { .. })).count()
    }

    pub fn without_index(&self, weekend: bool) -> usize {
        self.days.iter().filter(|(d, p)| matches!(p, DayPlan::NoIndex) && is_weekend(*d) == weekend).count()
    }

    pub fn already_loaded(&self) -> usize {
        self.days.iter().filter(|(_, p)| matches!(p, DayPlan::AlreadyLoaded { .. })).count()
    }

    /// Weekdays were asked for and not one had an index: what a wrong host
    /// looks like (and a run of holidays, which the caller tells apart).
    pub fn no_index_anywhere(&self) -> bool {
        self.stopped.is_none()
            && self.without_index(false) > 0
            && !self
                .days
                .iter()
                .any(|(_, p)| matches!(p, DayPlan::Index { .. } | DayPlan::AlreadyLoaded { had_index: true }))
    }
}

type Reading = JoinHandle<Result<Option<FormIndex>, EdgarError>>;

/// Reads the index of every day in `days` not in `already` (day → had an
/// index), `concurrency` at a time once the first has been answered: a
/// host that cannot answer one costs one day's retries, not a window's.
pub(super) async fn read_indexes(
    client: &EdgarClient,
    days: Vec<Date>,
    already: &HashMap<Date, bool>,
    concurrency: usize,
    progress: &Progress,
) -> Plan {
    let base = client.base_url().to_string();
    let mut plan = Plan { days: Vec::with_capacity(days.len()), stopped: None };
    let mut queue: VecDeque<(Date, Option<Reading>)> = VecDeque::new();
    let (mut in_flight, mut window, mut held) = (0, 1, 0);
    // A long range says how its first pass goes, a month at a time.
    let last = days.last().copied();
    let long = days.first().zip(last).is_some_and(|(first, last)| (last - *first).whole_days() > 31);
    let mut days = days.into_iter();
    loop {
        while in_flight < window {
            let Some(day) = days.next() else { break };
            let reading = (!already.contains_key(&day)).then(|| {
                let client = client.clone();
                tokio::spawn(async move { client.daily_form_index(day).await })
            });
            in_flight += usize::from(reading.is_some());
            queue.push_back((day, reading));
        }
        let Some((day, reading)) = queue.pop_front() else { break };
        let Some(reading) = reading else {
            plan.days.push((day, DayPlan::AlreadyLoaded { had_index: already[&day] }));
            continue;
        };
        in_flight -= 1;
        let read = reading.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        progress.bar().inc(1);
        let day_plan = match read {
            Ok(None) => DayPlan::NoIndex,
            Ok(Some(index)) => {
                let filings = index.entries.len();
                let keep = held + filings <= HELD_ENTRIES;
                held += if keep { filings } else { 0 };
                DayPlan::Index { filings, index: keep.then_some(index) }
            }
            Err(e) => {
                for (_, reading) in queue.drain(..) {
                    reading.inspect(JoinHandle::abort);
                }
                plan.stopped = Some(CrawlStop::index(&base, day, e));
                break;
            }
        };
        window = concurrency;
        plan.days.push((day, day_plan));
        let month_end = day.next_day().is_none_or(|next| next.month() != day.month());
        if long && month_end && Some(day) != last {
            progress.line(format!("indexes read through {day}: {} ownership filings", plan.filings()));
        }
    }
    plan
}
