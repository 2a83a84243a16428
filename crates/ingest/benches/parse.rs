//! Parse rate on one core over the real fixture filings, in memory (no
//! disk, no JSON): `cargo bench -p insider-bulk-ingest --bench parse`.

use std::time::Instant;

use insider_bulk_ingest::parse::parse_document;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/edgar");
    let documents: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("the EDGAR fixtures beside the checkout")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("form"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    let bytes_per_round: usize = documents.iter().map(|(_, b)| b.len()).sum();
    let rounds = 1500;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut parsed = 0usize;
        for _ in 0..rounds {
            for (name, bytes) in &documents {
                parsed += usize::from(parse_document(bytes, name).is_ok());
            }
        }
        std::hint::black_box(parsed);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let filings = (rounds * documents.len()) as f64;
    println!(
        "parse: {} documents x {rounds} rounds, best of 3: {:.0} filings/s, {:.1} MB/s (one thread)",
        documents.len(),
        filings / best,
        (rounds * bytes_per_round) as f64 / best / 1e6
    );
}
