use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;

use super::{amendments, fingerprint_part};
use crate::db::month_stats::{self, MonthDelta, MonthKey};
use crate::db::rows::{copy_rows, FilingRows};
use crate::db::schema::*;
use crate::db::{now_utc, DbConnection, DbError};
use crate::domain::FilingSource;
use crate::filing::Filing;

/// One filing to store and the file, URL or data set it was read from.
#[derive(Debug, Clone)]
pub struct FilingToStore {
    pub filing: Filing,
    pub loaded_from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStatus {
    Inserted,
    /// Same accession, different content: the stored filing was replaced.
    Updated,
    /// Same accession, same content: nothing was written.
    Unchanged,
    /// The same accession appears later in the batch, which wins.
    Duplicate,
    /// A row of SEC's data sets for a filing already loaded from its EDGAR
    /// document, which is the richer and more exact source (SEC rounds to
    /// two decimals and drops the acceptance time): nothing was written.
    KeptDocument,
}

/// Upserts a batch of filings in one transaction, with their rows, their
/// months' stats and amendment links. Returns one status per input.
pub fn store_filings(conn: &mut DbConnection, batch: &[FilingToStore]) -> Result<Vec<StoreStatus>, DbError> {
    let t0 = std::time::Instant::now();
    let hashes = content_hashes(batch);
    timing("hash", t0);
    store_hashed(conn, batch, &hashes)
}

/// The content hash of each filing of a batch (hex SHA-256 of its JSON,
/// [`Filing::content_sha256`]), as [`store_hashed`] takes them: a loader
/// computes these on its own thread, beside the database's work.
pub fn content_hashes(batch: &[FilingToStore]) -> Vec<String> {
    batch.iter().map(|f| hex::encode(f.filing.content_sha256())).collect()
}

/// [`store_filings`] with the batch's [`content_hashes`] already computed.
pub fn store_hashed(
    conn: &mut DbConnection,
    batch: &[FilingToStore],
    hashes: &[String],
) -> Result<Vec<StoreStatus>, DbError> {
    assert_eq!(batch.len(), hashes.len(), "one content hash per filing");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let t0 = std::time::Instant::now();
        let result = conn.transaction(|tx| store_in_transaction(tx, batch, hashes));
        timing("transaction", t0);
        match result {
            // Two loaders touching the same months can deadlock on PostgreSQL;
            // the loser's whole transaction rolled back, so it is safe to redo.
            Err(DbError::Query(e)) if attempt < 4 && is_retryable(&e) => {
                tracing::warn!(attempt, error = %e, "filing batch rolled back; retrying");
            }
            other => return other,
        }
    }
}

/// Where a batch's time goes: `RUST_LOG=insider_bulk_core::store_timing=debug`
/// logs each phase of each batch.
fn timing(phase: &'static str, since: std::time::Instant) {
    tracing::debug!(target: "insider_bulk_core::store_timing", phase, us = since.elapsed().as_micros() as u64);
}

fn is_retryable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => info.message().contains("deadlock"),
        _ => false,
    }
}

struct Existing {
    source: FilingSource,
    content_sha256: String,
    key: MonthKey,
    row_count: i32,
    amends: Option<String>,
}

fn store_in_transaction(
    conn: &mut DbConnection,
    batch: &[FilingToStore],
    hashes: &[String],
) -> Result<Vec<StoreStatus>, DbError> {
    let last_index: HashMap<&str, usize> =
        batch.iter().enumerate().map(|(i, f)| (f.filing.submission.accession_number.as_str(), i)).collect();
    let accessions: Vec<&str> = last_index.keys().copied().collect();
    let key_of = |f: &Filing| (i32::from(f.submission.document_type.form_type.number()), f.month().to_string());

    let mut t = std::time::Instant::now();
    let mut lap = |phase: &'static str| {
        timing(phase, t);
        t = std::time::Instant::now();
    };
    // Writing first takes SQLite's write lock before anything is read.
    let mut keys: BTreeSet<MonthKey> = batch.iter().map(|f| key_of(&f.filing)).collect();
    month_stats::ensure_and_lock(conn, &keys)?;
    lap("lock");

    let existing: HashMap<String, Existing> = filings::table
        .filter(filings::accession_number.eq_any(&accessions))
        .select((
            filings::accession_number,
            filings::source,
            filings::content_sha256,
            filings::form_type,
            filings::period_month,
            filings::row_count,
            filings::amends_accession_number,
        ))
        .load::<(String, FilingSource, String, i32, String, i32, Option<String>)>(conn)?
        .into_iter()
        .map(|(acc, source, content_sha256, form, month, row_count, amends)| {
            (acc, Existing { source, content_sha256, key: (form, month), row_count, amends })
        })
        .collect();
    let old_keys: BTreeSet<MonthKey> = existing.values().map(|e| e.key.clone()).filter(|k| !keys.contains(k)).collect();
    if !old_keys.is_empty() {
        month_stats::ensure_and_lock(conn, &old_keys)?;
        keys.extend(old_keys);
    }
    lap("existing");

    let mut deltas: BTreeMap<MonthKey, MonthDelta> = BTreeMap::new();
    let mut statuses = Vec::with_capacity(batch.len());
    let mut replaced = Vec::new();
    let mut rows = FilingRows::default();
    let now = now_utc();
    for (i, item) in batch.iter().enumerate() {
        let acc = item.filing.submission.accession_number.as_str();
        if last_index[acc] != i {
            statuses.push(StoreStatus::Duplicate);
            continue;
        }
        let status = match existing.get(acc) {
            Some(old) if keeps_document(old.source, item.filing.submission.source) => {
                statuses.push(StoreStatus::KeptDocument);
                continue;
            }
            Some(old) if old.content_sha256 == hashes[i] => {
                statuses.push(StoreStatus::Unchanged);
                continue;
            }
            Some(old) => {
                let delta = deltas.entry(old.key.clone()).or_default();
                delta.toggle(&fingerprint_part(&old.content_sha256, old.amends.as_deref()));
                delta.filings -= 1;
                delta.rows -= i64::from(old.row_count);
                replaced.push(acc);
                StoreStatus::Updated
            }
            None => StoreStatus::Inserted,
        };
        let delta = deltas.entry(key_of(&item.filing)).or_default();
        delta.toggle(&fingerprint_part(&hashes[i], None));
        delta.filings += 1;
        delta.rows += item.filing.row_count() as i64;
        rows.push(&item.filing, &hashes[i], &item.loaded_from, now);
        statuses.push(status);
    }

    lap("plan");
    delete_filings(conn, &replaced)?;
    lap("delete");
    insert_rows(conn, &rows)?;
    lap("insert");
    let stored: Vec<&Filing> =
        batch.iter().zip(&statuses).filter(|(_, s)| is_written(**s)).map(|(f, _)| &f.filing).collect();
    amendments::link(conn, &stored, &mut deltas)?;
    lap("link");
    month_stats::apply(conn, &deltas)?;
    lap("apply");
    Ok(statuses)
}

/// Whether a stored filing from `old` stays when the same accession comes
/// from `new`: a data-set row never replaces an EDGAR document's filing,
/// while a document always replaces a data-set row.
fn keeps_document(old: FilingSource, new: FilingSource) -> bool {
    new == FilingSource::SecDataset && matches!(old, FilingSource::EdgarSubmission | FilingSource::EdgarDocument)
}

fn is_written(status: StoreStatus) -> bool {
    matches!(status, StoreStatus::Inserted | StoreStatus::Updated)
}

/// Deletes filings with all their rows. The child tables hold no foreign
/// key on PostgreSQL (an RI trigger per copied row cost a bulk import
/// about 40 %), so their rows are deleted here, children first, in the
/// caller's transaction: this and [`insert_rows`] are the only writers of
/// those tables.
pub(super) fn delete_filings(conn: &mut DbConnection, accessions: &[&str]) -> Result<(), DbError> {
    for chunk in accessions.chunks(10_000) {
        macro_rules! delete_from {
            ($($table:ident),*) => {$(
                diesel::delete($table::table.filter($table::accession_number.eq_any(chunk))).execute(conn)?;
            )*};
        }
        delete_from!(
            reporting_owners,
            non_derivative_transactions,
            non_derivative_holdings,
            derivative_transactions,
            derivative_holdings,
            footnotes,
            owner_signatures,
            filings
        );
    }
    Ok(())
}

/// Multi-row inserts, chunked under SQLite's limit of bound parameters.
macro_rules! insert_chunked {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {
        for chunk in $rows.chunks(30_000 / $columns) {
            diesel::insert_into($table).values(chunk.to_vec()).execute($conn)?;
        }
    };
}

/// Inserts the rows: COPY on PostgreSQL, multi-row INSERTs on SQLite.
fn insert_rows(conn: &mut DbConnection, rows: &FilingRows) -> Result<(), DbError> {
    match conn {
        DbConnection::Postgres(pg) => {
            copy_rows(pg, filings::table, &rows.filings)?;
            copy_rows(pg, reporting_owners::table, &rows.owners)?;
            copy_rows(pg, non_derivative_transactions::table, &rows.non_derivative_transactions)?;
            copy_rows(pg, non_derivative_holdings::table, &rows.non_derivative_holdings)?;
            copy_rows(pg, derivative_transactions::table, &rows.derivative_transactions)?;
            copy_rows(pg, derivative_holdings::table, &rows.derivative_holdings)?;
            copy_rows(pg, footnotes::table, &rows.footnotes)?;
            copy_rows(pg, owner_signatures::table, &rows.signatures)?;
        }
        DbConnection::Sqlite(lite) => {
            insert_chunked!(lite, filings::table, rows.filings, 26);
            insert_chunked!(lite, reporting_owners::table, rows.owners, 17);
            insert_chunked!(lite, non_derivative_transactions::table, rows.non_derivative_transactions, 17);
            insert_chunked!(lite, non_derivative_holdings::table, rows.non_derivative_holdings, 9);
            insert_chunked!(lite, derivative_transactions::table, rows.derivative_transactions, 24);
            insert_chunked!(lite, derivative_holdings::table, rows.derivative_holdings, 15);
            insert_chunked!(lite, footnotes::table, rows.footnotes, 4);
            insert_chunked!(lite, owner_signatures::table, rows.signatures, 4);
        }
    }
    Ok(())
}
