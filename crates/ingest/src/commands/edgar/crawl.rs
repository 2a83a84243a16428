//! The second pass of a crawl: each planned day's filings downloaded,
//! parsed and stored, and the day recorded.

use std::process::ExitCode;
use std::sync::Arc;

use insider_bulk_core::db::edgar_days::{self, EdgarDay};
use insider_bulk_core::db::{filings, now_utc, watch, Database};
use time::Date;
use tokio::sync::Semaphore;

use super::plan::{CrawlStop, DayPlan, Plan};
use super::progress::Progress;
use super::{fetch_and_parse, is_weekend};
use crate::batch::{BatchWriter, Failure, FailureKind, Item};
use crate::edgar::{daily_index_path, EdgarClient, FormIndex};
use crate::pipeline::BATCH_SIZE;

/// Downloads failed of a day without a single one fetched that stop the
/// crawl.
const STOP_AFTER_FAILED: i32 = 5;

/// The second pass, and what it has seen.
pub(super) struct Crawl {
    db: Database,
    client: EdgarClient,
    concurrency: usize,
    progress: Progress,
    failures: Vec<Failure>,
    failed_days: usize,
    recorded: usize,
    /// Weekdays without an index. A holiday, an index not published yet
    /// and SEC refusing us all look the same, so such a day is recorded (as
    /// a holiday) only once EDGAR has an index for a later day; until then
    /// it stays unrecorded and holds ingested_through back.
    unconfirmed: Vec<Date>,
}

impl Crawl {
    pub fn new(db: Database, client: EdgarClient, concurrency: usize, plan: &Plan) -> Self {
        let progress = Progress::new("filings", plan.requests_ahead() as u64, client.request_interval());
        Crawl {
            db,
            client,
            concurrency,
            progress,
            failures: Vec::new(),
            failed_days: 0,
            recorded: 0,
            unconfirmed: Vec::new(),
        }
    }

    pub async fn run(mut self, plan: Plan) -> anyhow::Result<ExitCode> {
        let mut stopped = plan.stopped;
        for (day, planned) in plan.days {
            self.progress.set_message(day.to_string());
            match planned {
                DayPlan::AlreadyLoaded { had_index: true } => self.record_holidays().await?,
                DayPlan::AlreadyLoaded { had_index: false } => {}
                DayPlan::NoIndex if is_weekend(day) => {
                    self.record_without_index(day).await?;
                    self.progress.line(format_args!("{day}: weekend, no index"));
                }
                DayPlan::NoIndex => self.unconfirmed.push(day),
                DayPlan::Index { index, .. } => {
                    if let Some(stop) = self.day(day, index).await? {
                        stopped = Some(stop);
                        break;
                    }
                }
            }
        }
        self.progress.finish();
        for day in &self.unconfirmed {
            println!("{day}: no index yet; recorded as a holiday once EDGAR has an index for a later day");
        }
        match self.db.run(edgar_days::ingested_through).await? {
            Some(d) => println!("ingested through {d}"),
            None => println!("ingested through: nothing yet"),
        }
        let mut retryable = self.failed_days;
        if let Some(stop) = stopped {
            eprintln!("insider-bulk-ingest: edgar: {stop}");
            retryable += 1;
        } else if self.recorded == 0 && self.failures.is_empty() && retryable == 0 {
            eprintln!("insider-bulk-ingest: edgar: nothing recorded: no day of the range has an index yet");
            retryable += 1;
        }
        Ok(crate::commands::exit_code(&self.failures, retryable))
    }

    /// Loads one day with an index; `Some` when the crawl should stop here.
    async fn day(&mut self, day: Date, index: Option<FormIndex>) -> anyhow::Result<Option<CrawlStop>> {
        let index = match index {
            Some(index) => Ok(index),
            None => self.reread(day).await,
        };
        let loaded = match index {
            Ok(index) => ingest_day(&self.db, &self.client, day, index, self.concurrency, &self.progress).await,
            Err(e) => Err(e),
        };
        let (record, failures, missed) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                // The day stays unrecorded: a visible gap that holds back
                // ingested_through until a re-run fills it.
                self.failed_days += 1;
                self.progress.warn(format_args!("{day}: not processed: {e:#}"));
                return Ok(None);
            }
        };
        self.record_holidays().await?;
        self.recorded += 1;
        for f in &failures {
            self.progress.warn(format_args!("{day}: {}: {}", f.source, f.reason));
        }
        self.progress.line(format_args!(
            "{day}: found {}, loaded {}, unchanged {}, failed {}, not downloaded {}{}{}",
            record.filings_found,
            record.loaded,
            record.unchanged,
            record.failed,
            record.failed_downloads,
            // Counted as insider_bulk_watch_missed_total by the watcher.
            match missed {
                0 => String::new(),
                n => format!(", missed by the feed {n}"),
            },
            if record.is_complete() { "" } else { " (the day is not ingested until a run fetches them)" },
        ));
        // A few filings of a quiet day can be gone from EDGAR; a busy day
        // without a single one is EDGAR not serving, and so would every
        // later day be.
        let all_failed =
            record.failed_downloads >= STOP_AFTER_FAILED && record.failed_downloads == record.filings_found;
        let stop = all_failed.then(|| {
            let last = failures.iter().rev().find(|f| f.kind == FailureKind::Unavailable);
            CrawlStop::DownloadsFailed {
                day,
                count: record.failed_downloads as usize,
                last: last.map_or(String::new(), |f| f.reason.clone()),
            }
        });
        self.failures.extend(failures);
        Ok(stop)
    }

    /// A day's index let go after the first pass, read again.
    async fn reread(&self, day: Date) -> anyhow::Result<FormIndex> {
        let index = self.client.daily_form_index(day).await;
        self.progress.bar().inc(1);
        index?.ok_or_else(|| anyhow::anyhow!("{} was served in the first pass and is gone", daily_index_path(day)))
    }

    /// Records the weekdays waiting in `unconfirmed` as holidays: EDGAR has
    /// just shown an index for a later day.
    async fn record_holidays(&mut self) -> anyhow::Result<()> {
        for day in std::mem::take(&mut self.unconfirmed) {
            self.record_without_index(day).await?;
            self.progress.line(format_args!("{day}: holiday, no index (EDGAR has a later one)"));
        }
        Ok(())
    }

    async fn record_without_index(&mut self, day: Date) -> anyhow::Result<()> {
        self.db.run(move |conn| edgar_days::record_day(conn, &EdgarDay::without_index(day, now_utc()))).await?;
        self.recorded += 1;
        Ok(())
    }
}

/// Downloads, parses and stores one day's ownership filings that are not
/// stored yet from their submission (the feed watcher's, an earlier run's),
/// then records the day, with the filings that failed. Safe to re-run:
/// what is stored is counted unchanged, neither fetched nor rewritten.
async fn ingest_day(
    db: &Database,
    client: &EdgarClient,
    day: Date,
    index: FormIndex,
    concurrency: usize,
    progress: &Progress,
) -> anyhow::Result<(EdgarDay, Vec<Failure>, i64)> {
    let entries = index.entries;
    let listed: Vec<String> = entries.iter().map(|e| e.accession.as_str().to_owned()).collect();
    let (unseen, stored) = db
        .run(move |conn| Ok((watch::unseen_by_watch(conn, &listed)?, filings::stored_from_edgar(conn, &listed)?)))
        .await?;
    progress.bar().inc(stored.len() as u64);
    let mut writer = BatchWriter::for_edgar_day(db.clone(), day);
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut downloads = tokio::task::JoinSet::new();
    let missing = entries.iter().filter(|e| !stored.contains(e.accession.as_str())).cloned();
    for (i, entry) in missing.enumerate() {
        let (client, limit, bar) = (client.clone(), limit.clone(), progress.bar().clone());
        downloads.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let item = fetch_and_parse(&client, entry).await;
            bar.inc(1);
            (i, item)
        });
    }
    let mut items: Vec<(usize, Item)> = Vec::with_capacity(entries.len());
    while let Some(done) = downloads.join_next().await {
        items.push(done?);
    }
    // Index order, so a day loads the same way every time.
    items.sort_by_key(|(i, _)| *i);
    let failed_downloads =
        items.iter().filter(|(_, item)| matches!(item, Err(f) if f.kind == FailureKind::Unavailable)).count();
    // An index line that cannot be read may hide a filing listed nowhere
    // else; the same index fails the same way, so it is a malformed input.
    let index_path = daily_index_path(day);
    let unreadable = index
        .skipped
        .into_iter()
        .map(|(line, reason)| Err(Failure::malformed(format!("{index_path} line {line}"), reason)));
    let mut items = items.into_iter().map(|(_, item)| item).chain(unreadable).peekable();
    while items.peek().is_some() {
        writer.write(items.by_ref().take(BATCH_SIZE).collect()).await?;
    }
    let report = &writer.report;
    let record = EdgarDay {
        day,
        filings_found: entries.len() as i32,
        loaded: report.loaded() as i32,
        unchanged: (report.unchanged + report.duplicates + stored.len()) as i32,
        failed: (report.failed.len() - failed_downloads) as i32,
        completed_at: now_utc(),
        failed_downloads: failed_downloads as i32,
    };
    let to_store = record.clone();
    db.run(move |conn| edgar_days::record_day(conn, &to_store)).await?;
    let missed = db.run(move |conn| watch::record_missed(conn, day, &unseen, now_utc())).await?;
    Ok((record, writer.report.failed, missed))
}
