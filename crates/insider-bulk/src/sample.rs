//! The first start of an empty database: a small synthetic sample of the
//! last few months (marked synthetic in the database and so in each
//! bundle's manifest), packed at once so that the index has files to show.
//! Real data comes from `insider-bulk-ingest edgar`.

use insider_bulk_core::db::{month_stats, Database};
use insider_bulk_core::domain::{FormType, JobReason, Month};
use insider_bulk_core::job_message::GenerateJob;
use insider_bulk_ingest::synth::store_synthetic;
use insider_bulk_packer::job::Packer;

/// Months of sample before the current one, and filings per month by form.
const MONTHS: usize = 3;
const FILINGS: [(FormType, usize); 3] = [(FormType::Form3, 60), (FormType::Form4, 400), (FormType::Form5, 30)];
const SEED: u64 = 20_030_101;

/// True when no filing of any form has been loaded yet.
pub async fn database_is_empty(db: &Database) -> anyhow::Result<bool> {
    let loaded = db
        .run(|conn| {
            let mut total = 0;
            for form in [FormType::Form3, FormType::Form4, FormType::Form5] {
                total += month_stats::list(conn, form)?.len();
            }
            Ok(total)
        })
        .await?;
    Ok(loaded == 0)
}

/// Loads and packs the sample; returns the months it filled.
pub async fn load_and_pack(db: &Database, packer: &Packer) -> anyhow::Result<Vec<Month>> {
    let mut months = Vec::new();
    let mut month = Month::current();
    for _ in 0..MONTHS {
        month = month.previous().ok_or_else(|| anyhow::anyhow!("no month before {month}"))?;
        months.push(month);
    }
    for &month in &months {
        for (form, count) in FILINGS {
            let source = format!("sample:form-{form}:{month}");
            db.run(move |conn| store_synthetic(conn, form, month, count, SEED, &source)).await?;
            packer.run_now(&GenerateJob::system(form, month, JobReason::Nightly)).await?;
        }
    }
    Ok(months)
}
