//! What the routes do, apart from HTTP: each function takes validated
//! inputs and the shared state and returns a value or an [`ApiError`].

pub mod account;
pub mod download;
pub mod estimate;
pub mod generate;
pub mod index;
pub mod jobs;
pub mod meter;
pub mod params;
pub mod signed_url;

/// UTC timestamps as the API prints them: `2026-05-01T20:55:12.000Z`.
pub fn timestamp(at: time::PrimitiveDateTime) -> String {
    let at = at.assume_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}
