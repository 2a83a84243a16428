//! Where a data set's tables are: a zip as SEC publishes it
//! (`2024q3_form345.zip`, downloaded or on disk), or table files on disk
//! whose names end in the table name (`SUBMISSION.tsv`,
//! `dataset_2024q3_SUBMISSION.tsv`), given one by one or as a directory.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use super::Table;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}: not a data set: neither a zip, a directory, nor a file named after one of SEC's tables")]
    NotADataSet(String),
    #[error("{0}: no data-set table files or zips in this directory")]
    EmptyDirectory(String),
    #[error("{name}: not a zip SEC could have made: {reason}")]
    BadZip { name: String, reason: String },
    #[error("{name}: {reason}")]
    Unusable { name: String, reason: String },
    #[error("{0}: SUBMISSION.tsv is missing, and it names the filings")]
    MissingSubmission(String),
    #[error("{name}: {table} appears twice ({first} and {second})")]
    TwoTables { name: String, table: Table, first: String, second: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io { path: path.display().to_string(), source }
}

/// One data set: a name for reports and where its tables are.
#[derive(Debug)]
pub struct DataSetSource {
    pub name: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Files(BTreeMap<Table, PathBuf>),
    ZipFile(PathBuf, BTreeMap<Table, String>),
    ZipBytes(Vec<u8>, BTreeMap<Table, String>),
}

/// A table's text and the name a report gives it.
pub struct TableText {
    pub table: Table,
    pub location: String,
    pub text: String,
}

impl DataSetSource {
    /// A downloaded zip; its tables are checked as a file's are.
    pub fn zip_bytes(name: String, bytes: Vec<u8>) -> Result<Self, SourceError> {
        let entries = zip_tables(&name, Cursor::new(&bytes))?;
        Ok(DataSetSource { name, place: Place::ZipBytes(bytes, entries) })
    }

    fn zip_file(path: &Path) -> Result<Self, SourceError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(io(path))?;
        let entries = zip_tables(&name, file)?;
        Ok(DataSetSource { name, place: Place::ZipFile(path.to_owned(), entries) })
    }

    /// The tables the data set lacks, in SEC's order.
    pub fn absent(&self) -> Vec<Table> {
        let has = |t: &Table| match &self.place {
            Place::Files(files) => files.contains_key(t),
            Place::ZipFile(_, entries) | Place::ZipBytes(_, entries) => entries.contains_key(t),
        };
        Table::ALL.into_iter().filter(|t| !has(t)).collect()
    }

    /// Reads every table present. Text that is not UTF-8 is read lossily
    /// (one odd byte in a name must not lose a quarter) with a warning.
    pub fn read(&self) -> Result<Vec<TableText>, SourceError> {
        match &self.place {
            Place::Files(files) => files
                .iter()
                .map(|(table, path)| {
                    let bytes = std::fs::read(path).map_err(io(path))?;
                    let location = path.display().to_string();
                    Ok(TableText { table: *table, text: utf8(&location, bytes), location })
                })
                .collect(),
            Place::ZipFile(path, entries) => {
                let file = std::fs::File::open(path).map_err(io(path))?;
                read_zip(&self.name, file, entries)
            }
            Place::ZipBytes(bytes, entries) => read_zip(&self.name, Cursor::new(bytes), entries),
        }
    }
}

fn utf8(location: &str, bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| {
        tracing::warn!(%location, "not UTF-8; unreadable bytes become U+FFFD");
        String::from_utf8_lossy(e.as_bytes()).into_owned()
    })
}

fn bad_zip(name: &str) -> impl FnOnce(zip::result::ZipError) -> SourceError + '_ {
    move |e| SourceError::BadZip { name: name.to_owned(), reason: e.to_string() }
}

/// The zip's table entries (by file name, in whatever folder); SUBMISSION
/// must be one.
fn zip_tables<R: Read + Seek>(name: &str, reader: R) -> Result<BTreeMap<Table, String>, SourceError> {
    let archive = zip::ZipArchive::new(reader).map_err(bad_zip(name))?;
    let mut entries: BTreeMap<Table, String> = BTreeMap::new();
    for entry in archive.file_names() {
        let base = entry.rsplit(['/', '\\']).next().unwrap_or(entry);
        if let Some((table, _)) = Table::of_file(base) {
            if let Some(first) = entries.insert(table, entry.to_owned()) {
                let (name, second) = (name.to_owned(), entry.to_owned());
                return Err(SourceError::TwoTables { name, table, first, second });
            }
        }
    }
    if !entries.contains_key(&Table::Submission) {
        return Err(SourceError::MissingSubmission(name.to_owned()));
    }
    Ok(entries)
}

fn read_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    entries: &BTreeMap<Table, String>,
) -> Result<Vec<TableText>, SourceError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(bad_zip(name))?;
    let mut tables = Vec::with_capacity(entries.len());
    for (table, entry) in entries {
        let mut file = archive.by_name(entry).map_err(bad_zip(name))?;
        let mut bytes = Vec::with_capacity(file.size() as usize);
        file.read_to_end(&mut bytes)
            .map_err(|e| SourceError::BadZip { name: name.to_owned(), reason: format!("{entry}: {e}") })?;
        let location = format!("{name}:{entry}");
        tables.push(TableText { table: *table, text: utf8(&location, bytes), location });
    }
    Ok(tables)
}

/// The data sets that `paths` name, checked before anything is read: each
/// zip opens and has SUBMISSION, each group of table files has SUBMISSION.
/// Table files are grouped by folder and prefix, so a directory (or a list
/// of files) may hold several quarters.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<DataSetSource>, SourceError> {
    let mut sources = Vec::new();
    let mut groups: BTreeMap<String, BTreeMap<Table, PathBuf>> = BTreeMap::new();
    let add_file = |path: &Path, groups: &mut BTreeMap<String, BTreeMap<Table, PathBuf>>| {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (table, prefix) = Table::of_file(file_name)?;
        let name = path.with_file_name(prefix).display().to_string();
        let group = groups.entry(name.clone()).or_default();
        match group.insert(table, path.to_owned()) {
            Some(first) if first != path => Some(Err(SourceError::TwoTables {
                name,
                table,
                first: first.display().to_string(),
                second: path.display().to_string(),
            })),
            _ => Some(Ok(())),
        }
    };
    for path in paths {
        let meta = std::fs::metadata(path).map_err(io(path))?;
        if meta.is_dir() {
            let mut found = false;
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(path).map_err(io(path))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            for entry in entries.iter().filter(|e| e.is_file()) {
                if is_zip_name(entry) {
                    sources.push(DataSetSource::zip_file(entry)?);
                    found = true;
                } else if let Some(added) = add_file(entry, &mut groups) {
                    added?;
                    found = true;
                }
            }
            if !found {
                return Err(SourceError::EmptyDirectory(path.display().to_string()));
            }
        } else if is_zip_name(path) {
            sources.push(DataSetSource::zip_file(path)?);
        } else {
            add_file(path, &mut groups).ok_or_else(|| SourceError::NotADataSet(path.display().to_string()))??;
        }
    }
    for (name, files) in groups {
        if !files.contains_key(&Table::Submission) {
            return Err(SourceError::MissingSubmission(name));
        }
        sources.push(DataSetSource { name, place: Place::Files(files) });
    }
    Ok(sources)
}

fn is_zip_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}
