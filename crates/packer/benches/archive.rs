//! The tar + gzip + sha256 stage alone, over the files of an extracted
//! bundle: `cargo bench -p insider-bulk-packer --bench archive -- DIR [RUNS]`.
//! scripts/bench-packer runs it beside `gzip -6 -n | sha256sum` over the
//! same uncompressed tar.

use std::time::Instant;

use insider_bulk_packer::bundle::archive::{write_tar_gz, Entry, EntrySource};
use insider_bulk_packer::bundle::{compress_threads, spool};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: archive DIR [RUNS]");
        return;
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut best = f64::MAX;
    let mut size = 0;
    for _ in 0..runs {
        let entries: Vec<Entry> = std::fs::read_dir(dir)
            .expect("read the extracted bundle")
            .flatten()
            .map(|e| Entry { name: e.file_name().to_string_lossy().into_owned(), source: EntrySource::File(e.path()) })
            .collect();
        let start = Instant::now();
        let (_, _sha, bytes) = std::thread::scope(|scope| {
            let compressor = spool::spawn_pool(scope, compress_threads());
            write_tar_gz(std::io::sink(), entries, 0, compressor).expect("archive")
        });
        best = best.min(start.elapsed().as_secs_f64());
        size = bytes;
    }
    println!(
        "tar+gzip+sha256 stage ({} compressing threads): best of {runs}: {best:.3} s ({size} compressed bytes)",
        compress_threads()
    );
}
