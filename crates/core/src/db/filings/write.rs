use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;

use time::{Date, PrimitiveDateTime};

use super::read::load_filings;
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
    key: Option<MonthKey>,
    row_count: i32,
    amends: Option<String>,
    superseded_by: Option<String>,
    filing_date: Option<Date>,
    issuer_cik: String,
    period_of_report: Date,
    first_seen_at: Option<PrimitiveDateTime>,
}

type ExistingRow = (
    String,
    FilingSource,
    String,
    i32,
    Option<String>,
    i32,
    Option<String>,
    Option<String>,
    Option<Date>,
    String,
    Date,
    Option<PrimitiveDateTime>,
);

fn key_of(f: &Filing) -> Option<MonthKey> {
    f.month().map(|m| (i32::from(f.submission.document_type.form_type.number()), m.to_string()))
}

fn store_in_transaction(
    conn: &mut DbConnection,
    batch: &[FilingToStore],
    hashes: &[String],
) -> Result<Vec<StoreStatus>, DbError> {
    let last_index: HashMap<&str, usize> =
        batch.iter().enumerate().map(|(i, f)| (f.filing.submission.accession_number.as_str(), i)).collect();
    let accessions: Vec<&str> = last_index.keys().copied().collect();

    let mut t = std::time::Instant::now();
    let mut lap = |phase: &'static str| {
        timing(phase, t);
        t = std::time::Instant::now();
    };
    // Writing first takes SQLite's write lock before anything is read.
    let mut keys: BTreeSet<MonthKey> = batch.iter().filter_map(|f| key_of(&f.filing)).collect();
    month_stats::ensure_and_lock(conn, &keys)?;
    lap("lock");

    let existing: HashMap<String, Existing> = filings::table
        .filter(filings::accession_number.eq_any(&accessions))
        .select((
            filings::accession_number,
            filings::source,
            filings::content_sha256,
            filings::form_type,
            filings::filing_month,
            filings::row_count,
            filings::amends_accession_number,
            filings::superseded_by_accession_number,
            filings::filing_date,
            filings::issuer_cik,
            filings::period_of_report,
            filings::first_seen_at,
        ))
        .load::<ExistingRow>(conn)?
        .into_iter()
        .map(
            |(
                acc,
                source,
                content_sha256,
                form,
                month,
                row_count,
                amends,
                superseded_by,
                filing_date,
                issuer,
                period,
                first_seen_at,
            )| {
                let key = month.map(|m| (form, m));
                let old = Existing {
                    source,
                    content_sha256,
                    key,
                    row_count,
                    amends,
                    superseded_by,
                    filing_date,
                    issuer_cik: issuer,
                    period_of_report: period,
                    first_seen_at,
                };
                (acc, old)
            },
        )
        .collect();
    let dated = dated_copies(conn, batch, &last_index, &existing)?;
    let old_keys: BTreeSet<MonthKey> = existing
        .values()
        .filter_map(|e| e.key.clone())
        .chain(dated.values().filter_map(|(f, _)| key_of(f)))
        .filter(|k| !keys.contains(k))
        .collect();
    if !old_keys.is_empty() {
        month_stats::ensure_and_lock(conn, &old_keys)?;
        keys.extend(old_keys);
    }
    lap("existing");

    let open_month = month_stats::open_month();
    let mut deltas: BTreeMap<MonthKey, MonthDelta> = BTreeMap::new();
    let mut groups: BTreeSet<(String, Date)> = BTreeSet::new();
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
        let (filing, hash) = dated.get(&i).map_or((&item.filing, hashes[i].as_str()), |(f, h)| (f, h.as_str()));
        let status = match existing.get(acc) {
            Some(old) if !dated.contains_key(&i) && keeps_document(old.source, filing.submission.source) => {
                statuses.push(StoreStatus::KeptDocument);
                continue;
            }
            Some(old) if old.content_sha256 == hash => {
                statuses.push(StoreStatus::Unchanged);
                continue;
            }
            Some(old) => {
                if let Some(key) = &old.key {
                    let delta = deltas.entry(key.clone()).or_default();
                    delta.toggle(&fingerprint_part(
                        &old.content_sha256,
                        old.amends.as_deref(),
                        old.superseded_by.as_deref(),
                    ));
                    delta.filings -= 1;
                    delta.rows -= i64::from(old.row_count);
                    if key.1.as_str() < open_month.as_str() {
                        delta.changed_after_close += 1;
                    }
                }
                groups.insert((old.issuer_cik.clone(), old.period_of_report));
                replaced.push(acc);
                StoreStatus::Updated
            }
            None => StoreStatus::Inserted,
        };
        if let Some(key) = key_of(filing) {
            let delta = deltas.entry(key).or_default();
            delta.toggle(&fingerprint_part(hash, None, None));
            delta.filings += 1;
            delta.rows += filing.row_count() as i64;
        }
        groups.insert((filing.submission.issuer.cik.as_str().to_owned(), filing.submission.period_of_report));
        // A replaced filing keeps when it was first seen.
        let first_seen_at = existing.get(acc).map_or(Some(now), |old| old.first_seen_at);
        rows.push(filing, hash, &item.loaded_from, now, first_seen_at);
        statuses.push(status);
    }

    lap("plan");
    delete_filings(conn, &replaced)?;
    lap("delete");
    insert_rows(conn, &rows)?;
    lap("insert");
    amendments::relink(conn, &amendments::Groups::Exact(groups), &mut deltas, &mut keys)?;
    lap("link");
    month_stats::apply(conn, &deltas)?;
    lap("apply");
    Ok(statuses)
}

/// The copies of a batch that learn a filing date from what is stored: a
/// copy without a date never takes away a date already known (a bare XML
/// document loaded again after its full submission), and a dated data-set
/// row dates a stored document that had none, whose content stays. Each
/// comes with its content hash, by batch position.
fn dated_copies(
    conn: &mut DbConnection,
    batch: &[FilingToStore],
    last_index: &HashMap<&str, usize>,
    existing: &HashMap<String, Existing>,
) -> Result<HashMap<usize, (Filing, String)>, DbError> {
    let mut dated = HashMap::new();
    for (i, item) in batch.iter().enumerate() {
        let acc = item.filing.submission.accession_number.as_str();
        let Some(old) = existing.get(acc).filter(|_| last_index[acc] == i) else { continue };
        let new_date = item.filing.submission.filing_date;
        let copy = match (old.filing_date, new_date) {
            (Some(known), None) => {
                let mut copy = item.filing.clone();
                copy.submission.filing_date = Some(known);
                copy
            }
            (None, Some(date)) if keeps_document(old.source, item.filing.submission.source) => {
                let Some(mut document) = load_filings(conn, &[acc.to_owned()])?.pop() else { continue };
                document.submission.filing_date = Some(date);
                document
            }
            _ => continue,
        };
        let hash = hex::encode(copy.content_sha256());
        dated.insert(i, (copy, hash));
    }
    Ok(dated)
}

/// Whether a stored filing from `old` stays when the same accession comes
/// from `new`: a data-set row never replaces an EDGAR document's filing,
/// while a document always replaces a data-set row.
fn keeps_document(old: FilingSource, new: FilingSource) -> bool {
    new == FilingSource::SecDataset && matches!(old, FilingSource::EdgarSubmission | FilingSource::EdgarDocument)
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
            insert_chunked!(lite, filings::table, rows.filings, 27);
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
