//! `insider-bulk-ingest`: parse EDGAR ownership documents, load them into
//! the database, fetch them from EDGAR, or synthesize realistic months.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_ingest::commands;

#[derive(Parser)]
#[command(name = "insider-bulk-ingest", version, about = "EDGAR ownership-filing ingest for insider-bulk")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse ownership documents and print each as one line of JSON, in the per-filing record shape of the monthly .jsonl.gz.
    ///
    /// Failed files are reported on stderr as `file: reason`; the exit code is 1
    /// if any file failed.
    Parse {
        /// Ownership XML, EDGAR submission (.txt/.sgml) or dissemination (.nc) files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Parse files (or every filing document under directories) and upsert them
    /// into the database (DATABASE_URL, default ./data/insider-bulk.sqlite3).
    ///
    /// Reloading an unchanged filing writes nothing; a bad file is reported and
    /// the rest of the batch still loads. Exit code 1 if any file failed.
    ///
    /// A filing's month is the month EDGAR filed it in. A full submission
    /// carries its filing date in its SEC header; a bare XML document does
    /// not: give it with --filing-date, or the filing is stored undated, in
    /// no month, until a dated copy of it arrives (never guessed).
    Load {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The EDGAR filing date (YYYY-MM-DD) of the files that carry none.
        /// A file whose SEC header names another date is refused.
        #[arg(long, value_parser = parse_date)]
        filing_date: Option<time::Date>,
    },
    /// Discover Forms 3/4/5 (and amendments) in EDGAR's daily form indexes,
    /// download and load them, recording each processed day.
    Edgar(commands::edgar::EdgarArgs),
    /// Import SEC's quarterly Insider Transactions Data Sets: zips, directories
    /// or table files on disk, or downloaded from SEC with --from/--to.
    ///
    /// Each bad row is named on stderr with its table and line; the rest loads.
    /// A filing already loaded from its EDGAR document keeps the document.
    SecDataset(commands::sec_dataset::SecDatasetArgs),
    /// Follow EDGAR's current-filings feed until SIGTERM: store each new
    /// Form 3, 4 or 5 minutes after EDGAR lists it and queue its month's
    /// regeneration (README: the watcher).
    Watch(commands::watch::WatchArgs),
    /// Write a realistic synthetic month straight into the database.
    Synth {
        /// Form type: 3, 4 or 5.
        #[arg(long)]
        form: FormType,
        /// Month, YYYY-MM (2003-01 up to the current month).
        #[arg(long)]
        month: Month,
        /// Number of filings to generate.
        #[arg(long, default_value_t = 1000)]
        filings: usize,
        /// Seed: the same seed gives the same filings.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// A filing date: a day of coverage (2003-01-01 to today, UTC).
fn parse_date(s: &str) -> Result<time::Date, String> {
    let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("expected YYYY-MM-DD: {e}"))?;
    Month::new(date.year(), u32::from(u8::from(date.month()))).map_err(|e| e.to_string())?;
    if date > time::OffsetDateTime::now_utc().date() {
        return Err(format!("{date} is in the future"));
    }
    Ok(date)
}

#[tokio::main]
async fn main() -> ExitCode {
    insider_bulk_core::logging::init();
    let outcome = match Cli::parse().command {
        Command::Parse { files } => commands::parse::run(&files),
        Command::Load { paths, filing_date } => commands::load::run(&paths, filing_date).await,
        Command::Edgar(args) => commands::edgar::run(args).await,
        Command::SecDataset(args) => commands::sec_dataset::run(args).await,
        Command::Watch(args) => commands::watch::run(args).await,
        Command::Synth { form, month, filings, seed } => commands::synth::run(form, month, filings, seed).await,
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("insider-bulk-ingest: {e:#}");
            ExitCode::from(2)
        }
    }
}
