//! Turning the paths given on the command line into parsed filings.

use std::path::{Path, PathBuf};

use insider_bulk_core::db::filings::FilingToStore;

use crate::batch::{Failure, Item};
use crate::parse::parse_document;

/// Extensions of EDGAR ownership documents; other files in a directory
/// (indexes, data-set tables, notes) are skipped, not reported as failures.
const FILING_EXTENSIONS: [&str; 4] = ["xml", "txt", "sgml", "nc"];

/// Files named on the command line are taken as given; directories are
/// walked for filing documents. Sorted, so a run is repeatable.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Failure>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut failures);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            failures.push(Failure::unavailable(path.display().to_string(), "no such file or directory"));
        }
    }
    files.sort();
    files.dedup();
    (files, failures)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<Failure>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return failures.push(Failure::unavailable(dir.display().to_string(), e)),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files, failures);
        } else if is_filing_document(&path) {
            files.push(path);
        }
    }
}

fn is_filing_document(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| FILING_EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

/// Reads and parses one file into something to store, or the reason not.
pub fn read_filing(path: &Path) -> Item {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Failure::unavailable(source.clone(), e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match parse_document(&bytes, &name) {
        Ok(filing) => Ok(FilingToStore { filing, loaded_from: source }),
        Err(e) => Err(Failure::malformed(source, e)),
    }
}
