use std::process::ExitCode;

use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::domain::{FormType, Month};

use crate::batch::BatchWriter;
use crate::pipeline;
use crate::synth::synth_month;

pub async fn run(form: FormType, month: Month, count: usize, seed: u64) -> anyhow::Result<ExitCode> {
    let db = super::open_database().await?;
    if let Some(why) = crate::sample::refuse_synthetic_beside_real(&db).await? {
        eprintln!("insider-bulk-ingest: synth: {why}");
        return Ok(ExitCode::from(2));
    }
    let source = format!("synth:form-{form}:{month}:seed-{seed}");
    let items = synth_month(form, month, count, seed)
        .map(move |filing| Ok(FilingToStore { filing, loaded_from: source.clone() }));
    let progress = pipeline::progress_bar(count as u64, "synthesizing");
    let mut writer = BatchWriter::new(db).without_failure_records();
    pipeline::run(items, &mut writer, &progress).await?;
    Ok(super::load::print_report(&writer.report))
}
