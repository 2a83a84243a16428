use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::files::expand;
use crate::parse::parse_to_json;
use crate::store::Failure;

/// Prints every document that parses, even one whose accession number is
/// nowhere to be found (printed as null; `load` refuses it).
pub fn run(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let (files, mut failures) = expand(paths);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in &files {
        let source = path.display().to_string();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parsed = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| parse_to_json(&bytes, &name).map_err(|e| e.to_string()));
        match parsed {
            Ok(json) => {
                serde_json::to_writer(&mut out, &json)?;
                out.write_all(b"\n")?;
            }
            Err(reason) => failures.push(Failure { source, reason }),
        }
    }
    out.flush()?;
    for f in &failures {
        eprintln!("{}: {}", f.source, f.reason);
    }
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
