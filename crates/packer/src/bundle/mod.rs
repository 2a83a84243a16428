//! Builds one month's bundle: SEC's eight data-set tables, `filings.jsonl`,
//! the data dictionary `metadata.json`, a `README.txt` and `manifest.json`,
//! as a deterministic tar.gz. The month is read in pages inside one
//! snapshot and spooled to temporary files, so memory does not grow with
//! the month; the manifest (with every other file's sha256) is written
//! last, and the archive puts it last (`archive::LAST`).

pub mod archive;
pub mod columns;
pub mod dictionary;
mod format;
mod jsonl_doc;
pub mod sec_tables;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use diesel::{Connection, RunQueryDsl};
use insider_bulk_core::db::filings::{amendment_links, load_filings, month_accessions};
use insider_bulk_core::db::month_stats::{self, EMPTY_FINGERPRINT};
use insider_bulk_core::db::{DbConnection, DbError};
use insider_bulk_core::domain::{FilingSource, FormType, Month};
use insider_bulk_core::filing::Filing;
use serde::Serialize;

use archive::{Entry, EntrySource, HashingWriter};
use sec_tables::{SecTables, TABLES};

/// Bumped whenever the layout or a format inside the bundle changes.
/// 2: filings carry `accepted_at` and `source`, owners their `file_number`
/// (also REPORTINGOWNER.FILE_NUMBER); booleans keep the filer's spelling and
/// values with a double quote are quoted, as in SEC's data sets; the
/// manifest counts filings by source.
/// 3: a data dictionary (`metadata.json`, CSV on the Web) and a `README.txt`
/// in every bundle, both listed in the manifest's `files` (without `rows`);
/// the manifest stays the last entry though no longer last in name order.
pub const FORMAT_VERSION: u32 = 3;
/// Filings read from the database per query.
const PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("writing the bundle: {0}")]
    Io(#[from] io::Error),
    /// The first-start sample and real filings in one month: a bundle is
    /// never a mix. Real loads remove the sample first, so this means a
    /// writer went around them.
    #[error("{form_type} {month} holds {synthetic} synthetic and {real} real filings; a bundle is never a mix (load real filings with insider-bulk-ingest, which removes the sample first)")]
    MixedSample { form_type: FormType, month: Month, synthetic: u64, real: u64 },
}

impl From<diesel::result::Error> for BuildError {
    fn from(e: diesel::result::Error) -> Self {
        BuildError::Database(DbError::Query(e))
    }
}

/// What was packed, as the index row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltBundle {
    pub sha256: String,
    pub size: u64,
    pub filing_count: u64,
    pub row_count: u64,
    pub source_fingerprint: String,
    pub synthetic: bool,
}

#[derive(Serialize)]
struct Manifest<'a> {
    format_version: u32,
    form_type: FormType,
    month: Month,
    source_fingerprint: &'a str,
    filing_count: u64,
    row_count: u64,
    synthetic: bool,
    /// Filings per `source` (every source named, zero included).
    filings_by_source: BTreeMap<&'static str, u64>,
    files: Vec<ManifestFile>,
}

#[derive(Serialize)]
struct ManifestFile {
    name: String,
    sha256: String,
    size: u64,
    /// Data rows (lines of filings.jsonl); absent for the documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
}

#[derive(Serialize)]
struct JsonlLine<'a> {
    #[serde(flatten)]
    filing: &'a Filing,
    /// The filing this amendment amends, when it is in the database.
    amends_accession_number: Option<&'a str>,
}

/// The conventional file name of a month's bundle.
pub fn file_name(form: FormType, month: Month) -> String {
    format!("form-{form}-{month}.tar.gz")
}

/// Packs `form`/`month` from the database into `out`. `progress` hears
/// (filings done, filings total) after each page.
pub fn build<W: Write>(
    conn: &mut DbConnection,
    form: FormType,
    month: Month,
    out: W,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(W, BuiltBundle), BuildError> {
    let spool = tempfile::tempdir()?;
    conn.transaction(|conn| {
        if conn.is_postgres() {
            // One snapshot for the whole month: a load running meanwhile
            // cannot make the fingerprint disagree with the rows.
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        }
        let stats = month_stats::get(conn, form, month)?;
        let fingerprint = stats.as_ref().map_or(EMPTY_FINGERPRINT.to_owned(), |s| s.fingerprint.clone());
        let accessions = month_accessions(conn, form, month)?;
        let total = accessions.len() as u64;

        let open = |name: &str| -> io::Result<HashingWriter<BufWriter<File>>> {
            Ok(HashingWriter::new(BufWriter::with_capacity(1 << 16, File::create(spool.path().join(name))?)))
        };
        let sinks = [0, 1, 2, 3, 4, 5, 6, 7].map(|i| open(TABLES[i].file));
        let sinks = sinks.into_iter().collect::<io::Result<Vec<_>>>()?;
        let sinks: [_; 8] = sinks.try_into().unwrap_or_else(|_| unreachable!("eight tables"));
        let mut tables = SecTables::new(sinks)?;
        let mut jsonl = open("filings.jsonl")?;
        let mut row_counts = [0u64; 8];
        let mut row_count = 0u64;
        let mut done = 0u64;
        let mut by_source: BTreeMap<&'static str, u64> = FilingSource::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for page in accessions.chunks(PAGE) {
            let filings = load_filings(conn, page)?;
            let links = amendment_links(conn, page)?;
            for filing in &filings {
                let amends = links.get(filing.submission.accession_number.as_str()).map(String::as_str);
                *by_source.entry(filing.submission.source.as_str()).or_default() += 1;
                serde_json::to_writer(&mut jsonl, &JsonlLine { filing, amends_accession_number: amends })
                    .map_err(io::Error::from)?;
                jsonl.write_all(b"\n")?;
                tables.write_filing(filing)?;
                count_rows(filing, &mut row_counts);
                row_count += filing.row_count() as u64;
            }
            done += filings.len() as u64;
            progress(done, total);
        }

        let mut files = Vec::new();
        let mut entries = Vec::new();
        for (table, (sink, rows)) in TABLES.iter().zip(tables.into_sinks().into_iter().zip(row_counts)) {
            let name = table.file;
            files.push(finish_spool(name, sink, Some(rows))?);
            entries.push(Entry { name: name.to_owned(), source: EntrySource::File(spool.path().join(name)) });
        }
        files.push(finish_spool("filings.jsonl", jsonl, Some(done))?);
        entries.push(Entry {
            name: "filings.jsonl".into(),
            source: EntrySource::File(spool.path().join("filings.jsonl")),
        });
        let synthetic_filings = by_source[FilingSource::Synthetic.as_str()];
        if synthetic_filings > 0 && synthetic_filings < done {
            let real = done - synthetic_filings;
            return Err(BuildError::MixedSample { form_type: form, month, synthetic: synthetic_filings, real });
        }
        let synthetic = synthetic_filings > 0;
        for (name, bytes) in [
            ("README.txt", dictionary::readme_txt(form, month, synthetic)),
            ("metadata.json", dictionary::metadata_json()),
        ] {
            files.push(ManifestFile {
                name: name.into(),
                sha256: archive::sha256_hex(&bytes),
                size: bytes.len() as u64,
                rows: None,
            });
            entries.push(Entry { name: name.into(), source: EntrySource::Bytes(bytes) });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            form_type: form,
            month,
            source_fingerprint: &fingerprint,
            filing_count: done,
            row_count,
            synthetic,
            filings_by_source: by_source,
            files,
        };
        let manifest = serde_json::to_vec_pretty(&manifest).map_err(io::Error::from)?;
        entries.push(Entry { name: archive::LAST.into(), source: EntrySource::Bytes(manifest) });

        let (out, sha256, size) = archive::write_tar_gz(out, entries, month_start_unix(month))?;
        let built =
            BuiltBundle { sha256, size, filing_count: done, row_count, source_fingerprint: fingerprint, synthetic };
        Ok((out, built))
    })
}

fn finish_spool(name: &str, sink: HashingWriter<BufWriter<File>>, rows: Option<u64>) -> io::Result<ManifestFile> {
    let (buffered, sha256, size) = sink.finish();
    buffered.into_inner().map_err(|e| e.into_error())?.sync_all().ok();
    Ok(ManifestFile { name: name.to_owned(), sha256, size, rows })
}

/// Data rows per table, in `TABLES` order (headers not counted).
fn count_rows(f: &Filing, counts: &mut [u64; 8]) {
    let per_table = [
        f.derivative_holdings.len(),
        f.derivative_transactions.len(),
        f.footnotes.len(),
        f.non_derivative_holdings.len(),
        f.non_derivative_transactions.len(),
        f.owner_signatures.len(),
        f.reporting_owners.len(),
        1,
    ];
    for (count, n) in counts.iter_mut().zip(per_table) {
        *count += n as u64;
    }
}

/// Every entry's mtime: midnight UTC on the first of the month, so that
/// extracted files carry their month and no wall-clock time.
fn month_start_unix(month: Month) -> u64 {
    time::Date::from_calendar_date(
        month.year(),
        time::Month::try_from(month.month() as u8).unwrap_or(time::Month::January),
        1,
    )
    .map(|d| d.midnight().assume_utc().unix_timestamp().max(0) as u64)
    .unwrap_or(0)
}
