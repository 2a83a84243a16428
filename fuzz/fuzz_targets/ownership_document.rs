//! Any bytes as a filing: bare ownership XML, an EDGAR submission (.txt
//! with its SEC header) or a dissemination file. The parser must answer
//! with a filing or a one-line error, never panic, and stay linear.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = insider_bulk_ingest::parse::parse_document(data, "0000899243-24-000001.txt");
    if let Ok(inspected) = insider_bulk_ingest::parse::parse_for_inspection(data, "unnamed.xml") {
        // What `insider-bulk-ingest parse` prints (the per-filing record) must serialize.
        let record = insider_bulk_core::record::FilingRecord::new(&inspected.filing, None);
        assert!(!serde_json::to_string(&record).expect("a record serializes").is_empty());
    }
});
