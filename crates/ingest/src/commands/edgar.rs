use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use insider_bulk_core::db::edgar_days::{self, EdgarDay};
use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::db::{now_utc, Database};
use time::Date;
use tokio::sync::Semaphore;

use crate::edgar::{EdgarClient, IndexEntry, DEFAULT_BASE_URL, MAX_REQUESTS_PER_SECOND};
use crate::parse::parse_document;
use crate::pipeline::BATCH_SIZE;
use crate::store::{BatchWriter, Failure, Item};

fn parse_day(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| format!("{s:?} is not a date (YYYY-MM-DD): {e}"))
}

#[derive(clap::Args)]
pub struct EdgarArgs {
    /// First EDGAR day to process, YYYY-MM-DD.
    #[arg(long, value_parser = parse_day, required_unless_present = "catch_up")]
    from: Option<Date>,
    /// Last EDGAR day to process, YYYY-MM-DD (inclusive).
    #[arg(long, value_parser = parse_day, required_unless_present = "catch_up")]
    to: Option<Date>,
    /// What a daily job runs: every day after `ingested_through` up to the
    /// last weekday before today (UTC), at most 31 days back; with nothing
    /// ingested yet, only that weekday.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    catch_up: bool,
    /// The declared User-Agent SEC requires, e.g. "Example Corp data@example.com".
    #[arg(long, env = "EDGAR_USER_AGENT")]
    user_agent: String,
    /// EDGAR's base URL (tests point it at a local server).
    #[arg(long, env = "EDGAR_BASE_URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// Requests per second, at most 10 (SEC's fair-access limit).
    #[arg(long, default_value_t = MAX_REQUESTS_PER_SECOND)]
    max_rps: u32,
    /// Downloads in flight at once (the rate limit still applies to all).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

pub async fn run(mut args: EdgarArgs) -> anyhow::Result<ExitCode> {
    let db = super::open_database().await?;
    // A catch-up run does not load again a day loaded since the gap it
    // fills; for each such day, whether it had an index.
    let mut already_loaded: HashMap<Date, bool> = HashMap::new();
    if args.catch_up {
        let days = db.run(edgar_days::list_days).await?;
        let through = edgar_days::unbroken_through(days.iter().map(|d| d.day));
        already_loaded = days.into_iter().map(|d| (d.day, d.filings_found > 0)).collect();
        match catch_up_days(through, time::OffsetDateTime::now_utc().date()) {
            Some((from, to)) => (args.from, args.to) = (Some(from), Some(to)),
            None => {
                println!("nothing to catch up: ingested through {}", through.map_or("-".into(), |d| d.to_string()));
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    let (Some(from), Some(to)) = (args.from, args.to) else {
        anyhow::bail!("give --from and --to, or --catch-up");
    };
    if to < from {
        anyhow::bail!("--to {to} is before --from {from}");
    }
    let client = EdgarClient::builder(args.user_agent)
        .base_url(args.base_url)
        .max_requests_per_second(args.max_rps.min(MAX_REQUESTS_PER_SECOND))
        .build()?;
    let mut failed_days = 0;
    let mut failed_filings = Vec::new();
    // Weekdays without an index. A holiday, an index not published yet and
    // SEC refusing us all look the same, so such a day is recorded (as a
    // holiday) only once EDGAR has an index for a later day; until then it
    // stays unrecorded and holds ingested_through back.
    let mut unconfirmed: Vec<Date> = Vec::new();
    let mut day = from;
    loop {
        let outcome = match already_loaded.get(&day) {
            Some(&had_index) => Ok(DayOutcome::AlreadyLoaded(had_index)),
            None => ingest_day(&db, &client, day, args.concurrency.max(1)).await,
        };
        match outcome {
            Ok(DayOutcome::AlreadyLoaded(had_index)) => {
                if had_index {
                    record_holidays(&db, &mut unconfirmed).await?;
                }
            }
            Ok(DayOutcome::NoIndex) if is_weekend(day) => {
                record_without_index(&db, day).await?;
                println!("{day}: weekend, no index");
            }
            Ok(DayOutcome::NoIndex) => unconfirmed.push(day),
            Ok(DayOutcome::Loaded(record, failures)) => {
                record_holidays(&db, &mut unconfirmed).await?;
                for f in &failures {
                    eprintln!("{day}: {}: {}", f.source, f.reason);
                }
                failed_filings.extend(failures);
                println!(
                    "{day}: found {}, loaded {}, unchanged {}, failed {}",
                    record.filings_found, record.loaded, record.unchanged, record.failed
                );
            }
            Err(e) => {
                // The day stays unrecorded: a visible gap that holds back
                // ingested_through until a re-run fills it.
                failed_days += 1;
                eprintln!("{day}: not processed: {e:#}");
            }
        }
        if day >= to {
            break;
        }
        day = day.next_day().ok_or_else(|| anyhow::anyhow!("date overflow after {day}"))?;
    }
    for day in unconfirmed {
        println!("{day}: no index yet; recorded as a holiday once EDGAR has an index for a later day");
    }
    let through = db.run(edgar_days::ingested_through).await?;
    match through {
        Some(d) => println!("ingested through {d}"),
        None => println!("ingested through: nothing yet"),
    }
    Ok(super::exit_code(&failed_filings, failed_days))
}

enum DayOutcome {
    /// Loaded and recorded, with the filings that failed.
    Loaded(EdgarDay, Vec<Failure>),
    /// EDGAR has no index for the day; nothing recorded.
    NoIndex,
    /// Recorded before this catch-up run; whether the day had an index.
    AlreadyLoaded(bool),
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
}

/// Records the weekdays waiting in `unconfirmed` as holidays: EDGAR has
/// just shown an index for a later day.
async fn record_holidays(db: &Database, unconfirmed: &mut Vec<Date>) -> anyhow::Result<()> {
    for day in unconfirmed.drain(..) {
        record_without_index(db, day).await?;
        println!("{day}: holiday, no index (EDGAR has a later one)");
    }
    Ok(())
}

async fn record_without_index(db: &Database, day: Date) -> anyhow::Result<()> {
    db.run(move |conn| edgar_days::record_day(conn, &EdgarDay::without_index(day, now_utc()))).await?;
    Ok(())
}

/// Downloads, parses and stores one day's ownership filings, then records
/// the day, with the filings that failed. Safe to re-run: unchanged
/// filings are not rewritten.
async fn ingest_day(db: &Database, client: &EdgarClient, day: Date, concurrency: usize) -> anyhow::Result<DayOutcome> {
    let Some(index) = client.daily_form_index(day).await? else { return Ok(DayOutcome::NoIndex) };
    for (line, reason) in &index.skipped {
        tracing::warn!(%day, line, %reason, "skipped a line of the form index");
    }
    let entries = index.entries;
    let mut writer = BatchWriter::for_edgar_day(db.clone(), day);
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut downloads = tokio::task::JoinSet::new();
    for (i, entry) in entries.iter().cloned().enumerate() {
        let (client, limit) = (client.clone(), limit.clone());
        downloads.spawn(async move {
            let _slot = limit.acquire_owned().await;
            (i, fetch_and_parse(&client, entry).await)
        });
    }
    let mut items: Vec<(usize, Item)> = Vec::with_capacity(entries.len());
    while let Some(done) = downloads.join_next().await {
        items.push(done?);
    }
    // Index order, so a day loads the same way every time.
    items.sort_by_key(|(i, _)| *i);
    let mut items = items.into_iter().map(|(_, item)| item).peekable();
    while items.peek().is_some() {
        writer.write(items.by_ref().take(BATCH_SIZE).collect()).await?;
    }
    let report = &writer.report;
    let record = EdgarDay {
        day,
        filings_found: entries.len() as i32,
        loaded: report.loaded() as i32,
        unchanged: (report.unchanged + report.duplicates) as i32,
        failed: report.failed.len() as i32,
        completed_at: now_utc(),
    };
    let to_store = record.clone();
    db.run(move |conn| edgar_days::record_day(conn, &to_store)).await?;
    Ok(DayOutcome::Loaded(record, writer.report.failed))
}

async fn fetch_and_parse(client: &EdgarClient, entry: IndexEntry) -> Item {
    let source = entry.path.clone();
    let bytes = client.fetch_filing(&entry).await.map_err(|e| Failure::unavailable(source.clone(), e))?;
    // A parser that panicked on these bytes would panic on them again.
    let filing = tokio::task::spawn_blocking(move || parse_document(&bytes, &entry.path))
        .await
        .map_err(|e| Failure::malformed(source.clone(), e))?
        .map_err(|e| Failure::malformed(source.clone(), e))?;
    Ok(FilingToStore { filing, loaded_from: source })
}

/// How far back a catch-up run reaches. At SEC's 10 requests a second a
/// busy day takes minutes, so a long outage is caught up over several
/// runs (each day is recorded as it completes); a gap older than this
/// needs an explicit `--from`.
pub const CATCH_UP_DAYS: i64 = 31;

/// The days a daily run loads: those after `through` (the end of the
/// unbroken run of loaded days) up to the last weekday before `today`.
/// Weekends and holidays are loaded too, as days without an index, so
/// that `ingested_through` moves past them; a day that failed before is
/// tried again. `None` when there is nothing new.
pub fn catch_up_days(through: Option<Date>, today: Date) -> Option<(Date, Date)> {
    let to = previous_business_day(today);
    let earliest = to - time::Duration::days(CATCH_UP_DAYS - 1);
    let from = match through {
        None => to,
        Some(through) => through.next_day()?.max(earliest),
    };
    (from <= to).then_some((from, to))
}

/// The weekday before `today` (Monday → Friday). EDGAR holidays are not
/// skipped: their index does not exist, which the run reports as such.
pub fn previous_business_day(today: Date) -> Date {
    let mut day = today.previous_day().expect("not the first day of the calendar");
    while is_weekend(day) {
        day = day.previous_day().expect("not the first day of the calendar");
    }
    day
}

#[cfg(test)]
mod business_day_tests {
    use time::macros::date;

    use super::{catch_up_days, previous_business_day};

    #[test]
    fn skips_weekends() {
        assert_eq!(previous_business_day(date!(2026 - 11 - 30)), date!(2026 - 11 - 27), "Monday → Friday");
        assert_eq!(previous_business_day(date!(2026 - 11 - 29)), date!(2026 - 11 - 27), "Sunday → Friday");
        assert_eq!(previous_business_day(date!(2026 - 11 - 25)), date!(2026 - 11 - 24));
    }

    #[test]
    fn a_week_of_daily_catch_up_runs_leaves_no_gap() {
        // Fresh database, first run on Monday 2026-11-30: Friday only.
        assert_eq!(catch_up_days(None, date!(2026 - 11 - 30)), Some((date!(2026 - 11 - 27), date!(2026 - 11 - 27))));
        // Tuesday: the weekend and Monday, so ingested_through moves past the weekend.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 11 - 27)), date!(2026 - 12 - 01)),
            Some((date!(2026 - 11 - 28), date!(2026 - 11 - 30)))
        );
        assert_eq!(
            catch_up_days(Some(date!(2026 - 11 - 30)), date!(2026 - 12 - 02)),
            Some((date!(2026 - 12 - 01), date!(2026 - 12 - 01)))
        );
        // Saturday loads Friday; Sunday and Monday find nothing new.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 12 - 03)), date!(2026 - 12 - 05)),
            Some((date!(2026 - 12 - 04), date!(2026 - 12 - 04)))
        );
        assert_eq!(catch_up_days(Some(date!(2026 - 12 - 04)), date!(2026 - 12 - 06)), None);
        assert_eq!(catch_up_days(Some(date!(2026 - 12 - 04)), date!(2026 - 12 - 07)), None);
    }

    #[test]
    fn a_failed_day_is_tried_again_and_a_long_outage_is_capped() {
        // Wednesday failed, so the unbroken run ends on Tuesday: Friday's run retries it with Thursday.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 12 - 01)), date!(2026 - 12 - 04)),
            Some((date!(2026 - 12 - 02), date!(2026 - 12 - 03)))
        );
        let (from, to) = catch_up_days(Some(date!(2026 - 01 - 02)), date!(2026 - 12 - 04)).unwrap();
        assert_eq!(to, date!(2026 - 12 - 03));
        assert_eq!((to - from).whole_days() + 1, super::CATCH_UP_DAYS);
    }
}
