//! EDGAR's daily form index (form.YYYYMMDD.idx) as downloaded: any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(index) = insider_bulk_ingest::edgar::parse_form_index(text) {
            for entry in &index.entries {
                let _ = insider_bulk_ingest::edgar::filing_archive_path(&entry.path);
            }
        }
    }
});
