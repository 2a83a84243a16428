use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::batch::Failure;
use crate::files::expand;
use crate::parse::{parse_document, parse_to_json, ParseError};

/// Prints every document that parses, even one whose accession number is
/// nowhere to be found (printed as null; `load` refuses it).
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
        // The filing is written straight out; only a document with no
        // accession anywhere takes the slower detour through a JSON value.
        let written = match parse_document(&bytes, &name) {
            Ok(filing) => serde_json::to_writer(&mut out, &filing).map_err(|e| e.to_string()),
            Err(ParseError::NoAccession) => parse_to_json(&bytes, &name)
                .map_err(|e| e.to_string())
                .and_then(|json| serde_json::to_writer(&mut out, &json).map_err(|e| e.to_string())),
            Err(e) => Err(e.to_string()),
        };
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
