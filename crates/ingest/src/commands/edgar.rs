//! `insider-bulk-ingest edgar`: two passes over a range of EDGAR days. The
//! first reads every day's form index and prints the plan (days, filings,
//! time at the rate limit); the second downloads, parses and stores each
//! day's filings and records the day.

mod catch_up;
mod plan;
mod progress;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use insider_bulk_core::db::edgar_days::{self, EdgarDay};
use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::db::{now_utc, Database};
use time::Date;
use tokio::sync::Semaphore;

pub use catch_up::{beyond_reach, catch_up_days, previous_business_day, CATCH_UP_DAYS};
pub use plan::CrawlStop;

use crate::edgar::{daily_index_path, EdgarClient, FormIndex, IndexEntry, DEFAULT_BASE_URL, MAX_REQUESTS_PER_SECOND};
use crate::parse::parse_document;
use crate::pipeline::BATCH_SIZE;
use crate::store::{BatchWriter, Failure, FailureKind, Item};
use plan::{DayPlan, Plan};
use progress::{at_rate, Progress};

/// Ownership filings in XML start in 2003 (electronic filing became
/// mandatory on 2003-06-30), and so does the product's coverage.
const FIRST_DAY: Date = time::macros::date!(2003 - 01 - 01);

const EXIT_CODES: &str = "\
Exit codes:
  0  every day of the range went in (days without an index are weekends or holidays)
  1  retrying may help: EDGAR could not be reached or served no index for any weekday
     of the range, a day's index or some filings could not be downloaded (such a day
     does not count as ingested), or no day had an index yet
  2  the command could not run: bad arguments, configuration or database
  3  only malformed filings failed: each is named on stderr and kept in ingest_failures;
     a re-run would fail the same way, so a scheduler should not retry";

fn parse_day(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| format!("{s:?} is not a date (YYYY-MM-DD): {e}"))
}

#[derive(clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct EdgarArgs {
    /// First EDGAR day to process, YYYY-MM-DD (2003-01-01 or later).
    #[arg(long, value_parser = parse_day, required_unless_present = "catch_up")]
    from: Option<Date>,
    /// Last EDGAR day to process, YYYY-MM-DD (inclusive, not after today).
    #[arg(long, value_parser = parse_day, required_unless_present = "catch_up")]
    to: Option<Date>,
    /// What a daily job runs: every day after `ingested_through` up to the
    /// last weekday before today (UTC), at most 31 days back (an older gap
    /// is named, with the command that closes it); with nothing ingested
    /// yet, only that weekday.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    catch_up: bool,
    /// The declared User-Agent SEC requires, e.g. "Example Corp data@example.com".
    #[arg(long, env = "EDGAR_USER_AGENT")]
    user_agent: String,
    /// EDGAR's base URL (tests point it at a local server).
    #[arg(long, env = "EDGAR_BASE_URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// Requests per second, 1 to 10 (SEC's fair-access limit).
    #[arg(long, default_value_t = MAX_REQUESTS_PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REQUESTS_PER_SECOND)))]
    max_rps: u32,
    /// Downloads in flight at once, 1 to 64 (the rate limit still applies to all).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

pub async fn run(args: EdgarArgs) -> anyhow::Result<ExitCode> {
    let today = time::OffsetDateTime::now_utc().date();
    let range = if args.catch_up { None } else { Some(explicit_range(args.from, args.to, today)?) };
    let client =
        EdgarClient::builder(args.user_agent).base_url(args.base_url).max_requests_per_second(args.max_rps).build()?;
    let db = super::open_database().await?;
    // A catch-up run does not load again a complete day loaded since the
    // gap it fills; for each such day, whether it had an index.
    let mut already_loaded: HashMap<Date, bool> = HashMap::new();
    let (from, to) = match range {
        Some(range) => range,
        None => {
            let days = db.run(edgar_days::list_days).await?;
            let complete: Vec<&EdgarDay> = days.iter().filter(|d| d.is_complete()).collect();
            let through = edgar_days::unbroken_through(complete.iter().map(|d| d.day));
            already_loaded = complete.iter().map(|d| (d.day, d.filings_found > 0)).collect();
            let Some((from, to)) = catch_up_days(through, today) else {
                println!("nothing to catch up: ingested through {}", through.map_or("-".into(), |d| d.to_string()));
                return Ok(ExitCode::SUCCESS);
            };
            state_reach(through, from, to);
            (from, to)
        }
    };
    let days: Vec<Date> = std::iter::successors(Some(from), |d| d.next_day().filter(|n| *n <= to)).collect();
    let concurrency = usize::from(args.concurrency);
    let interval = client.request_interval();
    let to_read = days.iter().filter(|d| !already_loaded.contains_key(d)).count();
    println!(
        "plan: {from} to {to}, {} days{}: reading {to_read} daily indexes takes about {} at {} requests/s",
        days.len(),
        match days.len() - to_read {
            0 => String::new(),
            n => format!(" ({n} complete from an earlier run)"),
        },
        at_rate(to_read, interval),
        args.max_rps,
    );
    let reading = Progress::new("indexes", to_read as u64, interval);
    let plan = plan::read_indexes(&client, days, &already_loaded, concurrency, &reading).await;
    reading.finish();
    if let (Some(stop), true) = (&plan.stopped, plan.days.is_empty()) {
        eprintln!("insider-bulk-ingest: edgar: {stop}");
        return Ok(ExitCode::from(1));
    }
    if plan.no_index_anywhere() {
        if let Some(stop) = wrong_host(&db, &client, from, to).await? {
            eprintln!("insider-bulk-ingest: edgar: {stop}");
            return Ok(ExitCode::from(1));
        }
    }
    print_plan(&plan, interval, args.max_rps);
    Crawl::new(db, client, concurrency, &plan).run(plan).await
}

/// `--from` and `--to`, checked: bad input is refused before any request.
fn explicit_range(from: Option<Date>, to: Option<Date>, today: Date) -> anyhow::Result<(Date, Date)> {
    let (Some(from), Some(to)) = (from, to) else { anyhow::bail!("give --from and --to, or --catch-up") };
    if to < from {
        anyhow::bail!("--to {to} is before --from {from}");
    }
    if from < FIRST_DAY {
        anyhow::bail!(
            "--from {from} is before {FIRST_DAY}: ownership filings in XML, and the product's coverage, start in 2003"
        );
    }
    if to > today {
        anyhow::bail!("--to {to} is after today ({today} UTC): EDGAR publishes a day's index that evening");
    }
    Ok((from, to))
}

/// A catch-up run says what it cannot reach, and how to close it.
fn state_reach(through: Option<Date>, from: Date, to: Date) {
    match (through, beyond_reach(through, from)) {
        (None, _) => println!(
            "catch-up: nothing ingested yet, so this run loads {from} to {to} only; earlier days are a backfill \
             (README: sec-dataset for 2006 Q1 on, edgar --from … --to … before that)"
        ),
        (Some(through), Some((first, last))) => {
            let days = (last - first).whole_days() + 1;
            println!(
                "catch-up: ingested through {through}; the {days} days from {first} to {last} are beyond \
                 --catch-up's {CATCH_UP_DAYS}-day reach, and hold ingested_through until loaded with:"
            );
            println!("  insider-bulk-ingest edgar --from {first} --to {last}");
            println!("catch-up: this run loads {from} to {to}");
        }
        (Some(_), None) => {}
    }
}

/// No weekday of the range had an index. That is a run of holidays (or
/// days not published yet) only if EDGAR still serves an index it served
/// before; otherwise the host is wrong or refusing us.
async fn wrong_host(db: &Database, client: &EdgarClient, from: Date, to: Date) -> anyhow::Result<Option<CrawlStop>> {
    let known = db.run(edgar_days::latest_day_with_index).await?;
    if let Some(day) = known {
        if matches!(client.daily_form_index(day).await, Ok(Some(_))) {
            return Ok(None);
        }
    }
    Ok(Some(CrawlStop::NoIndex { base: client.base_url().to_string(), from, to, known }))
}

fn print_plan(plan: &Plan, interval: std::time::Duration, rps: u32) {
    println!(
        "plan: {} ownership filings; days with an index {}, weekdays without one {}, weekend days {}{}",
        plan.filings(),
        plan.days_with_index(),
        plan.without_index(false),
        plan.without_index(true),
        match plan.already_loaded() {
            0 => String::new(),
            n => format!(", complete from an earlier run {n}"),
        },
    );
    let requests = plan.requests_ahead();
    println!(
        "plan: fetching them takes {requests} requests, about {} at {rps} requests/s",
        at_rate(requests, interval)
    );
    if let (Some(stop), Some((last, _))) = (&plan.stopped, plan.days.last()) {
        println!("plan: reading indexes stopped after {last}; this run loads the days before the failure ({stop})");
    }
}

/// The second pass, and what it has seen.
struct Crawl {
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
    fn new(db: Database, client: EdgarClient, concurrency: usize, plan: &Plan) -> Self {
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

    async fn run(mut self, plan: Plan) -> anyhow::Result<ExitCode> {
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
        Ok(super::exit_code(&self.failures, retryable))
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
        let (record, failures) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                // The day stays unrecorded: a visible gap that holds back
                // ingested_through until a re-run fills it.
                self.failed_days += 1;
                self.progress.line(format_args!("{day}: not processed: {e:#}"));
                return Ok(None);
            }
        };
        self.record_holidays().await?;
        self.recorded += 1;
        for f in &failures {
            self.progress.warn(format_args!("{day}: {}: {}", f.source, f.reason));
        }
        self.progress.line(format_args!(
            "{day}: found {}, loaded {}, unchanged {}, failed {}, not downloaded {}{}",
            record.filings_found,
            record.loaded,
            record.unchanged,
            record.failed,
            record.failed_downloads,
            if record.is_complete() { "" } else { " (the day is not ingested until a run fetches them)" },
        ));
        let stop = (record.failed_downloads > 0 && record.failed_downloads == record.filings_found).then(|| {
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

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
}

/// Downloads, parses and stores one day's ownership filings, then records
/// the day, with the filings that failed. Safe to re-run: unchanged
/// filings are not rewritten.
async fn ingest_day(
    db: &Database,
    client: &EdgarClient,
    day: Date,
    index: FormIndex,
    concurrency: usize,
    progress: &Progress,
) -> anyhow::Result<(EdgarDay, Vec<Failure>)> {
    let entries = index.entries;
    let mut writer = BatchWriter::for_edgar_day(db.clone(), day);
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut downloads = tokio::task::JoinSet::new();
    for (i, entry) in entries.iter().cloned().enumerate() {
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
        unchanged: (report.unchanged + report.duplicates) as i32,
        failed: (report.failed.len() - failed_downloads) as i32,
        completed_at: now_utc(),
        failed_downloads: failed_downloads as i32,
    };
    let to_store = record.clone();
    db.run(move |conn| edgar_days::record_day(conn, &to_store)).await?;
    Ok((record, writer.report.failed))
}

async fn fetch_and_parse(client: &EdgarClient, entry: IndexEntry) -> Item {
    let source = entry.path.clone();
    let bytes = client.fetch_filing(&entry).await.map_err(|e| Failure::unavailable(source.clone(), e))?;
    // A parser that panicked on these bytes would panic on them again.
    let filing = tokio::task::spawn_blocking(move || parse_document(&bytes, &entry.path))
        .await
        .map_err(|e| Failure::malformed(source.clone(), e))?
        .map_err(|e| Failure::malformed(source.clone(), e))?;
    Ok(FilingToStore { filing, source, is_synthetic: false })
}
