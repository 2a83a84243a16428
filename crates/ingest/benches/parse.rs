//! Parse rate on one core over the real fixture filings, from memory (no
//! disk, no JSON): `cargo bench -p insider-bulk-ingest --bench parse`.
//! Every document is parsed in full: the ones saved under names without an
//! accession number get a stand-in name, since otherwise they would be
//! refused after the XML work and flatter the figure.

use std::time::Instant;

use insider_bulk_ingest::parse::{parse_document, ParseError};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/edgar");
const ROUNDS: usize = 1500;

fn main() {
    let mut documents: Vec<(String, Vec<u8>)> = std::fs::read_dir(FIXTURES)
        .expect("the EDGAR fixtures beside the checkout (../shared/fixtures/edgar)")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("form"))
        .map(|name| {
            let bytes = std::fs::read(format!("{FIXTURES}/{name}")).expect("a readable fixture");
            let source = match parse_document(&bytes, &name) {
                Err(ParseError::NoAccession) => format!("0009999999-99-000001_{name}"),
                _ => name,
            };
            (source, bytes)
        })
        .collect();
    documents.sort();
    for (name, bytes) in &documents {
        if let Err(e) = parse_document(bytes, name) {
            panic!("{name}: {e}");
        }
    }
    let bytes_per_round: usize = documents.iter().map(|(_, b)| b.len()).sum();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut rows = 0usize;
        for _ in 0..ROUNDS {
            for (name, bytes) in &documents {
                let filing = parse_document(std::hint::black_box(bytes), name);
                rows += filing.map(|f| f.row_count()).unwrap_or(0);
            }
        }
        std::hint::black_box(rows);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let filings = (ROUNDS * documents.len()) as f64;
    println!(
        "parse: {} filings ({:.0} KB) x {ROUNDS} rounds, best of 3: {:.0} filings/s, {:.1} MB/s (one thread)",
        documents.len(),
        bytes_per_round as f64 / 1e3,
        filings / best,
        (ROUNDS * bytes_per_round) as f64 / best / 1e6
    );
}
