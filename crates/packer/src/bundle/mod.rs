//! Builds one month's two files: the `.jsonl.gz` of its filings in the
//! live per-filing record shape (`jsonl_gz`), and the deterministic tar.gz
//! of SEC's eight data-set tables, the data dictionary `metadata.json`, a
//! `README.txt` and `manifest.json`. The month is read once, in pages
//! inside one snapshot, and every file is spooled compressed to temporary
//! files, so memory does not grow with the month; the `.jsonl.gz` is
//! written first, so that the manifest (with every other file's sha256
//! and the `.jsonl.gz`'s as its sibling) can vouch for it, and the archive
//! puts the manifest last (`archive::LAST`).

pub mod archive;
pub mod columns;
mod deflate;
pub mod dictionary;
mod format;
mod jsonl_doc;
pub mod jsonl_gz;
pub mod sec_tables;
pub mod spool;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc;

use diesel::Connection;
use insider_bulk_core::db::filings::{amendment_links, load_filings, month_accessions, Links};
use insider_bulk_core::db::month_stats::{self, EMPTY_FINGERPRINT};
use insider_bulk_core::db::{snapshot, DbConnection, DbError};
use insider_bulk_core::domain::{FilingSource, FormType, Month};
use insider_bulk_core::filing::Filing;
use insider_bulk_core::record::FilingRecord;
use serde::Serialize;

pub use jsonl_gz::BuiltJsonl;

use sec_tables::{SecTables, TABLES};
use spool::{Compressor, EntrySink, SpooledEntry};

/// Bumped whenever the layout or a format inside the bundle changes.
/// 2: filings carry `accepted_at` and `source`, owners their `file_number`
/// (also REPORTINGOWNER.FILE_NUMBER); booleans keep the filer's spelling and
/// values with a double quote are quoted, as in SEC's data sets; the
/// manifest counts filings by source.
/// 3: a data dictionary (`metadata.json`, CSV on the Web) and a `README.txt`
/// in every bundle, both listed in the manifest's `files` (without `rows`);
/// the manifest stays the last entry though no longer last in name order.
/// 4: the gzip stream is deflated in independent pieces (every 1 MiB of an
/// entry, ended with a sync flush, `deflate`) so that two cores can compress
/// one bundle while it is read; the files inside are unchanged, and any
/// gzip reader reads it as before. Only the compressed bytes differ.
/// 5: a month holds the filings EDGAR filed in it (their filing date), no
/// longer those whose period of report falls in it; each filing carries
/// `superseded_by_accession_number`, its latest amendment filed by the end
/// of its month.
/// 6: the filings' JSON leaves the tar: the month's `.jsonl.gz` beside it
/// holds them, one per line in the live per-filing record shape (XML
/// element names in camelCase), and the manifest names it as its
/// `sibling` with its sha256 and size; `metadata.json`'s `jsonField` paths
/// point into that record.
pub const FORMAT_VERSION: u32 = 6;
/// Filings read from the database per query.
const PAGE: usize = 1000;

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

impl BuildError {
    /// Whether building again can never succeed: the month's data itself is
    /// refused. A database or disk that failed may work on the next attempt.
    pub fn is_permanent(&self) -> bool {
        matches!(self, BuildError::MixedSample { .. })
    }
}

impl From<diesel::result::Error> for BuildError {
    fn from(e: diesel::result::Error) -> Self {
        BuildError::Database(DbError::Query(e))
    }
}

/// What was packed, as the index row records it: the tar.gz's sha256 and
/// size, and the `.jsonl.gz`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltBundle {
    pub sha256: String,
    pub size: u64,
    pub jsonl: BuiltJsonl,
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
    filings_by_source: &'a BTreeMap<&'static str, u64>,
    files: &'a [ManifestFile],
    /// The month's `.jsonl.gz`, published beside this archive.
    sibling: Sibling,
}

#[derive(Serialize)]
struct Sibling {
    name: String,
    /// Of the file as downloaded, and its size.
    sha256: String,
    size: u64,
    /// Lines: one per filing.
    rows: u64,
    /// Of the JSON lines once decompressed.
    content_sha256: String,
}

#[derive(Serialize)]
struct ManifestFile {
    name: String,
    sha256: String,
    size: u64,
    /// Data rows; absent for the documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
}

/// The conventional file name of a month's bundle.
pub fn file_name(form: FormType, month: Month) -> String {
    format!("form-{form}-{month}.tar.gz")
}

/// Threads that compress beside the one reading the month: every core but
/// one, and at least one so that reading and compressing overlap.
pub fn compress_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// Packs `form`/`month` from the database: the tar.gz into `out`, the
/// `.jsonl.gz` into `jsonl`. `progress` hears (filings done, filings
/// total) after each page.
pub fn build<W: Write, J: Write>(
    conn: &mut DbConnection,
    form: FormType,
    month: Month,
    out: W,
    jsonl: J,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<((W, J), BuiltBundle), BuildError> {
    build_with(conn, None, form, month, (out, jsonl), progress, compress_threads())
}

/// [`build`] into two files, buffered, and synced to disk before it
/// returns: what a caller renames or uploads is whole on disk. On
/// PostgreSQL, `second` reads every other page in `conn`'s snapshot.
pub fn build_to_files(
    conn: &mut DbConnection,
    second: Option<&mut DbConnection>,
    form: FormType,
    month: Month,
    (tar, jsonl): (std::fs::File, std::fs::File),
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BuiltBundle, BuildError> {
    let buffered = |file| io::BufWriter::with_capacity(1 << 16, file);
    let outs = (buffered(tar), buffered(jsonl));
    let ((tar, jsonl), built) = build_with(conn, second, form, month, outs, progress, compress_threads())?;
    for writer in [tar, jsonl] {
        writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    Ok(built)
}

/// [`build`] with `threads` compressing threads; 0 reads, formats and
/// compresses on this thread alone, and ignores `second`. Otherwise pages
/// are read on their own threads, from `conn` and, on PostgreSQL, from
/// `second` too (alternate pages, one snapshot), while this thread formats
/// them in order. The bytes are the same for any number of either.
pub fn build_with<W: Write, J: Write>(
    conn: &mut DbConnection,
    second: Option<&mut DbConnection>,
    form: FormType,
    month: Month,
    (out, jsonl): (W, J),
    progress: &mut dyn FnMut(u64, u64),
    threads: usize,
) -> Result<((W, J), BuiltBundle), BuildError> {
    let spool = tempfile::tempdir()?;
    let read = std::thread::scope(|scope| {
        let compressor = if threads == 0 { Compressor::Inline } else { spool::spawn_pool(scope, threads) };
        conn.transaction(|conn| read_month(conn, second, form, month, spool.path(), compressor, progress))
    })?;
    let MonthRead { mut entries, lines, manifest } = read;
    let (jsonl, built_jsonl) = jsonl_gz::write(jsonl, lines)?;
    let manifest_bytes = serde_json::to_vec_pretty(&manifest.with_sibling(&built_jsonl)).map_err(io::Error::from)?;
    entries.push(archive::spool_bytes(spool.path(), archive::LAST, &manifest_bytes)?);
    let (out, sha256, size) = archive::assemble(out, entries, month_start_unix(month))?;
    let ManifestDraft { filing_count, row_count, source_fingerprint, synthetic, .. } = manifest;
    let built =
        BuiltBundle { sha256, size, jsonl: built_jsonl, filing_count, row_count, source_fingerprint, synthetic };
    Ok(((out, jsonl), built))
}

/// A month read and spooled: the archive's entries but the manifest, the
/// spooled JSON lines, and what the manifest will say.
struct MonthRead {
    entries: Vec<SpooledEntry>,
    lines: SpooledEntry,
    manifest: ManifestDraft,
}

/// The manifest but its sibling, which the `.jsonl.gz` written after the
/// month is read gives.
struct ManifestDraft {
    form: FormType,
    month: Month,
    source_fingerprint: String,
    filing_count: u64,
    row_count: u64,
    synthetic: bool,
    filings_by_source: BTreeMap<&'static str, u64>,
    files: Vec<ManifestFile>,
}

impl ManifestDraft {
    fn with_sibling(&self, jsonl: &BuiltJsonl) -> Manifest<'_> {
        Manifest {
            format_version: FORMAT_VERSION,
            form_type: self.form,
            month: self.month,
            source_fingerprint: &self.source_fingerprint,
            filing_count: self.filing_count,
            row_count: self.row_count,
            synthetic: self.synthetic,
            filings_by_source: &self.filings_by_source,
            files: &self.files,
            sibling: Sibling {
                name: jsonl_gz::file_name(self.form, self.month),
                sha256: jsonl.sha256.clone(),
                size: jsonl.size,
                rows: self.filing_count,
                content_sha256: jsonl.content_sha256.clone(),
            },
        }
    }
}

/// Reads the month inside one snapshot and spools every file but the
/// manifest.
fn read_month(
    conn: &mut DbConnection,
    second: Option<&mut DbConnection>,
    form: FormType,
    month: Month,
    dir: &Path,
    compressor: Compressor,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<MonthRead, BuildError> {
    // One snapshot for the whole month: a load running meanwhile cannot
    // make the fingerprint disagree with the rows.
    snapshot::read_only(conn)?;
    let stats = month_stats::get(conn, form, month)?;
    let fingerprint = stats.as_ref().map_or(EMPTY_FINGERPRINT.to_owned(), |s| s.fingerprint.clone());
    let accessions = month_accessions(conn, form, month)?;
    let total = accessions.len() as u64;
    let pages: Vec<&[String]> = accessions.chunks(PAGE).collect();

    let parallel = matches!(compressor, Compressor::Pool(_));
    let mut formatter = Formatter::new(dir, compressor)?;
    let mut done = 0u64;
    if parallel {
        let shared = match second {
            Some(second) => snapshot::export(conn)?.map(|id| (second, id)),
            None => None,
        };
        let mut readers = vec![Reader { conn, snapshot: None }];
        if let Some((conn, id)) = shared {
            readers.push(Reader { conn, snapshot: Some(id) });
        }
        read_in_parallel(readers, &pages, &mut |page| {
            formatter.page(&page)?;
            done += page.filings.len() as u64;
            progress(done, total);
            Ok(())
        })?;
    } else {
        for page in &pages {
            let page = read_page(conn, page)?;
            formatter.page(&page)?;
            done += page.filings.len() as u64;
            progress(done, total);
        }
    }
    let Formatter { tables, jsonl, row_counts, row_count, by_source, .. } = formatter;

    let mut files = Vec::new();
    let mut entries = Vec::new();
    for (table, (sink, rows)) in TABLES.iter().zip(tables.into_sinks().into_iter().zip(row_counts)) {
        let entry = sink.finish(table.file)?;
        files.push(listed(&entry, Some(rows)));
        entries.push(entry);
    }
    let lines = jsonl.finish(&jsonl_gz::file_name(form, month))?;
    let synthetic_filings = by_source[FilingSource::Synthetic.as_str()];
    if synthetic_filings > 0 && synthetic_filings < done {
        let real = done - synthetic_filings;
        return Err(BuildError::MixedSample { form_type: form, month, synthetic: synthetic_filings, real });
    }
    let synthetic = synthetic_filings > 0;
    for (name, bytes) in
        [("README.txt", dictionary::readme_txt(form, month, synthetic)), ("metadata.json", dictionary::metadata_json())]
    {
        let entry = archive::spool_bytes(dir, name, &bytes)?;
        files.push(listed(&entry, None));
        entries.push(entry);
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = ManifestDraft {
        form,
        month,
        source_fingerprint: fingerprint,
        filing_count: done,
        row_count,
        synthetic,
        filings_by_source: by_source,
        files,
    };
    Ok(MonthRead { entries, lines, manifest })
}

/// A page of filings and the amendment links among them.
struct Page {
    filings: Vec<Filing>,
    links: HashMap<String, Links>,
}

fn read_page(conn: &mut DbConnection, accessions: &[String]) -> Result<Page, BuildError> {
    Ok(Page { filings: load_filings(conn, accessions)?, links: amendment_links(conn, accessions)? })
}

/// A connection that reads pages, in the snapshot it was exported when
/// `snapshot` is set (its own transaction adopts it).
struct Reader<'c> {
    conn: &'c mut DbConnection,
    snapshot: Option<String>,
}

/// Reads `pages` with the readers, reader `i` taking pages `i`, `i + n`,
/// …, each on its own thread (a reader waits on the database for about
/// as long as it decodes, so two keep both busy), and hands them to
/// `format` on this thread in page order. The first error wins; an error
/// from `format` stops the readers at their next page.
fn read_in_parallel(
    readers: Vec<Reader<'_>>,
    pages: &[&[String]],
    format: &mut dyn FnMut(Page) -> io::Result<()>,
) -> Result<(), BuildError> {
    let n = readers.len();
    std::thread::scope(|scope| {
        let mut queues = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for (i, reader) in readers.into_iter().enumerate() {
            // One page ahead per reader: memory stays a few pages.
            let (tx, rx) = mpsc::sync_channel::<Page>(1);
            queues.push(rx);
            let mine: Vec<&[String]> = pages.iter().skip(i).step_by(n).copied().collect();
            threads.push(scope.spawn(move || -> Result<(), BuildError> {
                let send_all = |conn: &mut DbConnection| -> Result<(), BuildError> {
                    for accessions in mine {
                        if tx.send(read_page(conn, accessions)?).is_err() {
                            break; // the formatting failed: its error is the one to report
                        }
                    }
                    Ok(())
                };
                match &reader.snapshot {
                    None => send_all(reader.conn),
                    Some(id) => reader.conn.transaction(|conn| {
                        snapshot::adopt(conn, id)?;
                        send_all(conn)
                    }),
                }
            }));
        }
        let mut formatted = Ok(0usize);
        for i in 0..pages.len() {
            // A reader that stopped early failed: its error is reported below.
            let Ok(page) = queues[i % n].recv() else { break };
            if let Err(e) = format(page) {
                formatted = Err(e);
                break;
            }
            formatted = Ok(i + 1);
        }
        drop(queues);
        let mut read = Ok(());
        for thread in threads {
            let result = thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            read = read.and(result);
        }
        read?;
        match formatted? {
            n if n == pages.len() => Ok(()),
            n => Err(BuildError::Io(io::Error::other(format!("{n} of {} pages read", pages.len())))),
        }
    })
}

/// Writes pages of filings into the eight tables and the JSON lines,
/// counting as it goes.
struct Formatter {
    tables: SecTables<EntrySink>,
    jsonl: EntrySink,
    line: Vec<u8>,
    row_counts: [u64; 8],
    row_count: u64,
    by_source: BTreeMap<&'static str, u64>,
}

impl Formatter {
    fn new(dir: &Path, compressor: Compressor) -> io::Result<Self> {
        let sinks = [0, 1, 2, 3, 4, 5, 6, 7].map(|_| EntrySink::new(dir, compressor.clone()));
        let sinks = sinks.into_iter().collect::<io::Result<Vec<_>>>()?;
        let sinks: [_; 8] = sinks.try_into().unwrap_or_else(|_| unreachable!("eight tables"));
        Ok(Formatter {
            tables: SecTables::new(sinks)?,
            jsonl: EntrySink::new(dir, compressor)?,
            line: Vec::new(),
            row_counts: [0; 8],
            row_count: 0,
            by_source: FilingSource::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
        })
    }

    fn page(&mut self, page: &Page) -> io::Result<()> {
        for filing in &page.filings {
            let links = page.links.get(filing.submission.accession_number.as_str());
            *self.by_source.entry(filing.submission.source.as_str()).or_default() += 1;
            self.line.clear();
            serde_json::to_writer(&mut self.line, &FilingRecord::new(filing, links))?;
            self.line.push(b'\n');
            self.jsonl.write_all(&self.line)?;
            self.tables.write_filing(filing)?;
            count_rows(filing, &mut self.row_counts);
            self.row_count += filing.row_count() as u64;
        }
        Ok(())
    }
}

fn listed(entry: &SpooledEntry, rows: Option<u64>) -> ManifestFile {
    ManifestFile { name: entry.name.clone(), sha256: entry.sha256.clone(), size: entry.size, rows }
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
