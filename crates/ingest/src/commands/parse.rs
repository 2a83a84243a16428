use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use insider_bulk_core::record::FilingRecord;

use crate::batch::Failure;
use crate::files::expand;
use crate::parse::parse_for_inspection;

/// Prints every document that parses as the per-filing record, one line
/// each, even one whose accession number is nowhere to be found (printed
/// with `accessionNo` and `indexUrl` null; `load` refuses it). Amendment
/// links need the database, so they are null here.
pub fn run(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let (files, mut failures) = expand(paths);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in &files {
        let source = path.display().to_string();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                failures.push(Failure::unavailable(source, e));
                continue;
            }
        };
        let written = parse_for_inspection(&bytes, &name).map_err(|e| e.to_string()).and_then(|inspected| {
            let record = FilingRecord::new(&inspected.filing, None);
            let record = if inspected.accession_found { record } else { record.without_accession() };
            serde_json::to_writer(&mut out, &record).map_err(|e| e.to_string())
        });
        match written {
            Ok(()) => out.write_all(b"\n")?,
            Err(reason) => failures.push(Failure::malformed(source, reason)),
        }
    }
    out.flush()?;
    for f in &failures {
        eprintln!("{}: {}", f.source, f.reason);
    }
    Ok(super::exit_code(&failures, 0))
}
