use std::path::PathBuf;
use std::process::ExitCode;

use crate::files::{expand, read_filing};
use crate::pipeline;
use insider_bulk_core::db::filings::FilingToStore;
use time::Date;

use crate::batch::{BatchWriter, Failure, Item, StoreReport};

pub async fn run(paths: &[PathBuf], filing_date: Option<Date>) -> anyhow::Result<ExitCode> {
    let db = super::open_database().await?;
    let (files, missing) = expand(paths);
    if !files.is_empty() {
        crate::sample::make_way_for_real_filings(&db).await?;
    }
    let progress = pipeline::progress_bar((missing.len() + files.len()) as u64, "loading");
    let mut writer = BatchWriter::new(db);
    let items = missing
        .into_iter()
        .map(Err)
        .chain(files.into_iter().map(move |path| read_filing(&path).and_then(|f| with_filing_date(f, filing_date))));
    pipeline::run(items, &mut writer, &progress).await?;
    Ok(print_report(&writer.report))
}

/// Gives a filing without a filing date the one from the command line. A
/// date given that disagrees with the filing's own SEC header is refused:
/// one of the two is wrong, and the header is EDGAR's.
fn with_filing_date(mut item: FilingToStore, given: Option<Date>) -> Item {
    let Some(given) = given else { return Ok(item) };
    match item.filing.submission.filing_date {
        None => {
            item.filing.submission.filing_date = Some(given);
            Ok(item)
        }
        Some(own) if own == given => Ok(item),
        Some(own) => Err(Failure::malformed(
            item.loaded_from,
            format!("its SEC header says it was filed {own}, --filing-date says {given}"),
        )),
    }
}

/// Prints the summary on stdout and each failure, and each filing stored
/// without a filing date, on stderr.
pub(crate) fn print_report(report: &StoreReport) -> ExitCode {
    for f in &report.failed {
        eprintln!("{}: {}", f.source, f.reason);
    }
    for source in &report.undated {
        eprintln!("{source}: stored without a filing date: in no month until a dated copy arrives (load it with --filing-date, or its full submission)");
    }
    println!("{}", report.summary());
    super::exit_code(&report.failed, 0)
}
