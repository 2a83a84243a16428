//! The first-start sample and real filings never mix: a real load removes
//! the sample first and says so; `synth` refuses a database with real
//! filings in it.

use insider_bulk_core::db::filings::{holds_real_filings, remove_sample};
use insider_bulk_core::db::{Database, DbError};

/// Before real filings are stored: removes the synthetic sample, if any,
/// with its bundles, and says so on stderr.
pub async fn make_way_for_real_filings(db: &Database) -> Result<(), DbError> {
    let removed = db.run(remove_sample).await?;
    if removed.filings > 0 {
        eprintln!(
            "removed the synthetic sample first: {} filings in {} form-months, {} bundles withdrawn from the index \
             (those months are packed again from real filings only)",
            removed.filings, removed.months, removed.bundles
        );
    }
    Ok(())
}

/// Why `synth` refuses to write into this database, if it does.
pub async fn refuse_synthetic_beside_real(db: &Database) -> Result<Option<String>, DbError> {
    Ok(db.run(holds_real_filings).await?.then(|| {
        "this database holds real filings; synthetic filings would mix with them in the same months and bundles. \
         Use an empty database (or one holding only the sample) for synthetic data."
            .to_owned()
    }))
}
