//! `insider-bulk-ingest sec-dataset`: imports SEC's quarterly Insider
//! Transactions Data Sets, from zips, directories or table files on disk,
//! or downloaded from SEC (`--from 2006q1 --to 2025q3`). Filings are
//! stored as `load` stores them; a filing already loaded from its EDGAR
//! document keeps the document (the store decides that).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use insider_bulk_core::db::Database;

use crate::batch::{BatchWriter, StoreReport};
use crate::edgar::{EdgarClient, EdgarError, DEFAULT_BASE_URL, MAX_REQUESTS_PER_SECOND};
use crate::pipeline;
use crate::sec_dataset::{discover, DataSet, DataSetSource, Quarter, TableRead};

const EXIT_CODES: &str = "\
Exit codes:
  0  every filing of every data set went in
  1  retrying may help: a quarter could not be downloaded (SEC unreachable, or not
     published yet: HTTP 404)
  2  the command could not run: bad arguments, configuration or database, a file that
     is not a data set, a data set without SUBMISSION.tsv or without any filing
  3  only malformed rows failed: each is named on stderr with its table and line (and
     kept in ingest_failures); a re-run would fail the same way";

#[derive(clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct SecDatasetArgs {
    /// Zips as SEC publishes them (2024q3_form345.zip), directories holding
    /// table files or zips, or table files (names ending in SUBMISSION.tsv,
    /// DERIV_TRANS.tsv, …; a prefix such as dataset_2024q3_ is allowed).
    #[arg(required_unless_present = "from", conflicts_with_all = ["from", "to"])]
    paths: Vec<PathBuf>,
    /// First quarter to download from SEC, e.g. 2006q1 (the first there is).
    #[arg(long, requires = "to")]
    from: Option<Quarter>,
    /// Last quarter to download, included.
    #[arg(long, requires = "from")]
    to: Option<Quarter>,
    /// The declared User-Agent SEC requires for downloads, e.g. "Example Corp data@example.com".
    #[arg(long, env = "EDGAR_USER_AGENT")]
    user_agent: Option<String>,
    /// SEC's base URL (tests point it at a local server).
    #[arg(long, env = "EDGAR_BASE_URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// Requests per second, 1 to 10 (SEC's fair-access limit).
    #[arg(long, default_value_t = MAX_REQUESTS_PER_SECOND,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REQUESTS_PER_SECOND)))]
    max_rps: u32,
}

/// What the whole run saw, for the exit code.
#[derive(Default)]
struct Totals {
    sets: usize,
    report: StoreReport,
    unusable: usize,
    not_downloaded: usize,
}

pub async fn run(args: SecDatasetArgs) -> anyhow::Result<ExitCode> {
    let mut totals = Totals::default();
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if to < from {
            anyhow::bail!("--to {to} is before --from {from}");
        }
        let user_agent = args.user_agent.clone().unwrap_or_default();
        let client = EdgarClient::builder(user_agent).base_url(&args.base_url).max_requests_per_second(args.max_rps);
        let client = client.build()?;
        let db = super::open_database().await?;
        for quarter in from.through(to) {
            match download(&client, quarter).await {
                Ok(source) => import(&db, source, &mut totals).await?,
                Err(e) => {
                    eprintln!("{quarter}: {e}");
                    totals.not_downloaded += 1;
                }
            }
        }
    } else {
        // Every path is checked before anything is stored.
        let sources = discover(&args.paths)?;
        let db = super::open_database().await?;
        for source in sources {
            import(&db, source, &mut totals).await?;
        }
    }
    if totals.sets > 1 {
        println!("all {} data sets: {}", totals.sets, outcome(&totals.report));
    }
    Ok(if totals.unusable > 0 {
        ExitCode::from(2)
    } else {
        super::exit_code(&totals.report.failed, totals.not_downloaded)
    })
}

#[derive(Debug, thiserror::Error)]
enum DownloadError {
    #[error("SEC has not published this quarter's data set (yet): {0}")]
    NotPublished(String),
    #[error("download failed: {0}")]
    Edgar(#[from] EdgarError),
    #[error("the download is not a data set: {0}")]
    NotADataSet(#[from] crate::sec_dataset::SourceError),
}

async fn download(client: &EdgarClient, quarter: Quarter) -> Result<DataSetSource, DownloadError> {
    let bytes = match client.fetch_file(&quarter.download_path()).await {
        Err(EdgarError::NotFound { url }) => return Err(DownloadError::NotPublished(format!("HTTP 404 from {url}"))),
        other => other?,
    };
    println!("{quarter}: downloaded {} ({} bytes)", quarter.file_name(), bytes.len());
    Ok(DataSetSource::zip_bytes(quarter.file_name(), bytes)?)
}

/// Reads one data set and streams its filings into the database.
async fn import(db: &Database, source: DataSetSource, totals: &mut Totals) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = match DataSet::read(&source) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("{e}");
            totals.unusable += 1;
            return Ok(());
        }
    };
    pipeline::timing("read", started);
    println!("{}: {}", set.name, tables_line(&set.tables, &set.absent));
    for t in set.tables.iter().filter(|t| !t.missing_columns.is_empty()) {
        println!("{}: {} has no column {} (read as empty)", set.name, t.table, t.missing_columns.join(", "));
    }
    let name = set.name.clone();
    if set.filing_count() > 0 {
        crate::sample::make_way_for_real_filings(db).await?;
    }
    let progress = pipeline::progress_bar(set.filing_count() as u64, "importing");
    let mut writer = BatchWriter::new(db.clone());
    pipeline::run(set.into_items(), &mut writer, &progress).await?;
    for f in &writer.report.failed {
        eprintln!("{}: {}", f.source, f.reason);
    }
    println!("{name}: {} in {:.1} s", outcome(&writer.report), started.elapsed().as_secs_f64());
    totals.sets += 1;
    let r = writer.report;
    let t = &mut totals.report;
    (t.inserted, t.updated, t.unchanged) = (t.inserted + r.inserted, t.updated + r.updated, t.unchanged + r.unchanged);
    (t.duplicates, t.kept_documents) = (t.duplicates + r.duplicates, t.kept_documents + r.kept_documents);
    t.failed.extend(r.failed);
    Ok(())
}

fn tables_line(tables: &[TableRead], absent: &[crate::sec_dataset::Table]) -> String {
    let read: Vec<String> = tables.iter().map(|t| format!("{} {}", t.table.name(), t.rows)).collect();
    let mut line = format!("tables read: {}", read.join(", "));
    if !absent.is_empty() {
        let names: Vec<&str> = absent.iter().map(|t| t.name()).collect();
        line.push_str(&format!("; absent (read as empty): {}", names.join(", ")));
    }
    line
}

fn outcome(r: &StoreReport) -> String {
    format!(
        "filings loaded {} (new {}, changed {}), unchanged {}, kept from EDGAR documents {}, duplicates {}, bad rows {}",
        r.loaded(),
        r.inserted,
        r.updated,
        r.unchanged,
        r.kept_documents,
        r.duplicates,
        r.failed.len()
    )
}
