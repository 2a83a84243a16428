//! What a client controls in a request before the database is asked: the
//! form type, year and month, a job id, an API key, a Range header.
#![no_main]

use insider_bulk_gateway::auth::api_key;
use insider_bulk_gateway::routes::ranges::parse_range;
use insider_bulk_gateway::service::params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, &str, &str, &str, &str, u64)| {
    let (form, year, month, job, key, range, size) = input;
    let _ = params::form_type(form);
    let today = time::macros::date!(2026 - 11 - 29);
    if let Ok(parsed) = params::month_as_of(year, month, today) {
        assert!(parsed.year() >= 2003, "{year}-{month} accepted as {parsed}");
    }
    let _ = params::job_id(job);
    // The job id's bytes double as a download's file name.
    if let Ok(file) = params::file_name_as_of(form, year, job, today) {
        assert!(file.month.year() >= 2003 && job.starts_with("form-"), "{job:?} accepted as {file:?}");
    }
    let _ = api_key::parse(key);
    if let Ok(Some(r)) = parse_range(range, size) {
        assert!(r.start < r.end && r.end <= size, "{range:?} of {size} gave {r:?}");
    }
});
