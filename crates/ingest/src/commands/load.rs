use std::path::PathBuf;
use std::process::ExitCode;

use crate::files::{expand, read_filing};
use crate::pipeline;
use crate::store::{BatchWriter, StoreReport};

pub async fn run(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let db = super::open_database().await?;
    let (files, missing) = expand(paths);
    if !files.is_empty() {
        crate::sample::make_way_for_real_filings(&db).await?;
    }
    let progress = pipeline::progress_bar((missing.len() + files.len()) as u64, "loading");
    let mut writer = BatchWriter::new(db);
    let items = missing.into_iter().map(Err).chain(files.into_iter().map(|path| read_filing(&path)));
    pipeline::run(items, &mut writer, &progress).await?;
    Ok(print_report(&writer.report))
}

/// Prints the summary on stdout and each failure on stderr.
pub(crate) fn print_report(report: &StoreReport) -> ExitCode {
    for f in &report.failed {
        eprintln!("{}: {}", f.source, f.reason);
    }
    println!("{}", report.summary());
    super::exit_code(&report.failed, 0)
}
