//! `insider-bulk-ingest edgar`: two passes over a range of EDGAR days. The
//! first reads every day's form index and prints the plan (days, filings,
//! time at the rate limit); the second downloads, parses and stores each
//! day's filings and records the day.

mod catch_up;
mod crawl;
mod plan;
mod progress;

use std::collections::HashMap;
use std::process::ExitCode;

use insider_bulk_core::db::edgar_days::{self, EdgarDay};
use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::db::Database;
use time::Date;

pub use catch_up::{beyond_reach, catch_up_days, previous_business_day, CATCH_UP_DAYS};
pub use plan::CrawlStop;

use crate::batch::{Failure, Item};
use crate::edgar::{EdgarClient, IndexEntry};
use crate::parse::parse_document;
use crawl::Crawl;
use plan::Plan;
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
    #[command(flatten)]
    edgar: super::EdgarAccess,
    /// Downloads in flight at once, 1 to 64 (the rate limit still applies to all).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

pub async fn run(args: EdgarArgs) -> anyhow::Result<ExitCode> {
    let today = time::OffsetDateTime::now_utc().date();
    let range = if args.catch_up { None } else { Some(explicit_range(args.from, args.to, today)?) };
    let client = args.edgar.client()?;
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
    if to_read == 0 {
        println!("nothing to catch up within reach: every day from {from} to {to} is complete");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "plan: {from} to {to}, {} days{}: reading {to_read} daily indexes takes about {} at {} requests/s",
        days.len(),
        match days.len() - to_read {
            0 => String::new(),
            n => format!(" ({n} complete from an earlier run)"),
        },
        at_rate(to_read, interval),
        args.edgar.max_rps,
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
    print_plan(&plan, interval, args.edgar.max_rps);
    if plan.filings() > 0 {
        crate::sample::make_way_for_real_filings(&db).await?;
    }
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
        "plan: {} ownership filings; days with an index {}, without one {} (weekdays {}, weekend days {}){}",
        plan.filings(),
        plan.days_with_index(),
        plan.without_index(false) + plan.without_index(true),
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

pub(super) fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
}

pub(super) async fn fetch_and_parse(client: &EdgarClient, entry: IndexEntry) -> Item {
    let source = entry.path.clone();
    let bytes = client.fetch_filing(&entry).await.map_err(|e| Failure::unavailable(source.clone(), e))?;
    // A parser that panicked on these bytes would panic on them again.
    let path = entry.path.clone();
    let mut filing = tokio::task::spawn_blocking(move || parse_document(&bytes, &path))
        .await
        .map_err(|e| Failure::malformed(source.clone(), e))?
        .map_err(|e| Failure::malformed(source.clone(), e))?;
    // The day EDGAR lists it under is its filing date, what places it in a month.
    let header_date = filing.submission.filing_date.replace(entry.date_filed);
    if header_date.is_some_and(|d| d != entry.date_filed) {
        tracing::warn!(source, listed = %entry.date_filed, header = ?header_date, "the SEC header's filing date differs from the index's; the index's is kept");
    }
    Ok(FilingToStore { filing, loaded_from: source })
}
