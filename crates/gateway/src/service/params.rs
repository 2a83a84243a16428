//! Path parameters checked one by one, so that a 400 names the parameter
//! and the rule it broke.

use insider_bulk_core::domain::{FormType, JobId, Month};
use time::OffsetDateTime;

use crate::error::ApiError;

const FIRST_YEAR: i32 = 2003;

pub fn form_type(raw: &str) -> Result<FormType, ApiError> {
    match raw {
        "3" => Ok(FormType::Form3),
        "4" => Ok(FormType::Form4),
        "5" => Ok(FormType::Form5),
        _ => Err(ApiError::invalid("form_type", format!("form_type must be 3, 4 or 5, not {:?}", clip(raw)))),
    }
}

/// Year and month of coverage: 2003-01 up to the current UTC month.
pub fn month(raw_year: &str, raw_month: &str) -> Result<Month, ApiError> {
    month_as_of(raw_year, raw_month, OffsetDateTime::now_utc().date())
}

/// A year written as four digits (any year: coverage is the caller's rule).
fn four_digit_year(raw: &str) -> Result<i32, ApiError> {
    match raw.parse() {
        Ok(y) if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(y),
        _ => Err(ApiError::invalid("year", format!("year must be a 4-digit year, not {:?}", clip(raw)))),
    }
}

pub fn month_as_of(raw_year: &str, raw_month: &str, today: time::Date) -> Result<Month, ApiError> {
    let this_year = today.year();
    let year = four_digit_year(raw_year)?;
    if !(FIRST_YEAR..=this_year).contains(&year) {
        return Err(ApiError::invalid(
            "year",
            format!("year must be between {FIRST_YEAR} and {this_year}, not {year}"),
        ));
    }
    let month: u32 = match raw_month.parse() {
        Ok(m) if (1..=2).contains(&raw_month.len()) && raw_month.bytes().all(|b| b.is_ascii_digit()) => m,
        _ => return Err(ApiError::invalid("month", format!("month must be a number 1-12, not {:?}", clip(raw_month)))),
    };
    if !(1..=12).contains(&month) {
        return Err(ApiError::invalid("month", format!("month must be between 1 and 12, not {month}")));
    }
    Month::new_as_of(year, month, today)
        .map_err(|_| ApiError::invalid("month", format!("{year:04}-{month:02} is in the future")))
}

/// Which of a month's two files a download names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `form-4-2026-04.jsonl.gz`: the filings, one JSON record a line.
    Jsonl,
    /// `form-4-2026-04.tar.gz`: SEC's eight tables, the dictionary and the manifest.
    Tar,
}

/// A file of the index: a form type, a month of coverage and which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileName {
    pub form: FormType,
    pub month: Month,
    pub kind: FileKind,
}

/// `form-{form}/{year}/{filename}` of a download, as of `today`. The form
/// type is a parameter (400 when invalid); a year outside coverage and a
/// name the index does not list are not found (404), as the live docs say:
/// names come from index.json, exactly as spelled there.
pub fn file_name_as_of(
    raw_form: &str,
    raw_year: &str,
    raw_name: &str,
    today: time::Date,
) -> Result<FileName, ApiError> {
    let form = form_type(raw_form)?;
    let this_year = today.year();
    let year = four_digit_year(raw_year)?;
    if !(FIRST_YEAR..=this_year).contains(&year) {
        return Err(ApiError::NotFound(format!(
            "no files for {year}: coverage is {FIRST_YEAR} to {this_year} (list them with index.json)"
        )));
    }
    let not_listed = || {
        ApiError::NotFound(format!(
            "{:?} is not a file of form {form} in {year}: take exact names from              /api/insiders/bulk/form-{form}/index.json (form-{form}-{year}-MM.jsonl.gz or .tar.gz)",
            clip(raw_name)
        ))
    };
    let prefix = format!("form-{form}-{year:04}-");
    let rest = raw_name.strip_prefix(&prefix).ok_or_else(not_listed)?;
    let (digits, kind) = match (rest.strip_suffix(".jsonl.gz"), rest.strip_suffix(".tar.gz")) {
        (Some(digits), _) => (digits, FileKind::Jsonl),
        (_, Some(digits)) => (digits, FileKind::Tar),
        _ => return Err(not_listed()),
    };
    if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_listed());
    }
    let month =
        digits.parse::<u32>().ok().and_then(|m| Month::new_as_of(year, m, today).ok()).ok_or_else(not_listed)?;
    Ok(FileName { form, month, kind })
}

pub fn file_name(raw_form: &str, raw_year: &str, raw_name: &str) -> Result<FileName, ApiError> {
    file_name_as_of(raw_form, raw_year, raw_name, OffsetDateTime::now_utc().date())
}

pub fn job_id(raw: &str) -> Result<JobId, ApiError> {
    JobId::parse_uuid(raw)
        .map_err(|_| ApiError::invalid("job_id", format!("job_id must be a UUID, not {:?}", clip(raw))))
}

/// Echoes at most 40 characters of a bad value back.
fn clip(raw: &str) -> String {
    raw.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn each_rule_names_its_parameter() {
        let today = date!(2026 - 05 - 01);
        let param = |r: Result<Month, ApiError>| match r {
            Err(ApiError::InvalidParameter { param, .. }) => param,
            other => panic!("{other:?}"),
        };
        assert_eq!(month_as_of("2025", "9", today).unwrap().to_string(), "2025-09");
        assert_eq!(month_as_of("2025", "09", today).unwrap().to_string(), "2025-09");
        assert_eq!(param(month_as_of("2002", "12", today)), "year");
        assert_eq!(param(month_as_of("2027", "1", today)), "year");
        assert_eq!(param(month_as_of("25", "1", today)), "year");
        assert_eq!(param(month_as_of("2025", "13", today)), "month");
        assert_eq!(param(month_as_of("2025", "0", today)), "month");
        assert_eq!(param(month_as_of("2025", "9x", today)), "month");
        assert_eq!(param(month_as_of("2025", "+9", today)), "month");
        assert_eq!(param(month_as_of("2026", "06", today)), "month");
        assert!(form_type("6").is_err() && form_type("04").is_err() && form_type("4").is_ok());
    }

    #[test]
    fn a_file_is_named_exactly_as_the_index_lists_it() {
        let today = date!(2026 - 05 - 01);
        let ok = file_name_as_of("4", "2026", "form-4-2026-04.jsonl.gz", today).unwrap();
        assert_eq!((ok.month.to_string(), ok.kind), ("2026-04".into(), FileKind::Jsonl));
        let tar = file_name_as_of("3", "2003", "form-3-2003-01.tar.gz", today).unwrap();
        assert_eq!((tar.form, tar.kind), (FormType::Form3, FileKind::Tar));
        let not_found = |r: Result<FileName, ApiError>| matches!(r, Err(ApiError::NotFound(_)));
        for name in [
            "form-4-2026-4.jsonl.gz",
            "form-4-2026-13.jsonl.gz",
            "form-4-2026-00.jsonl.gz",
            "form-4-2026-06.jsonl.gz",
            "form-5-2026-04.jsonl.gz",
            "form-4-2025-04.jsonl.gz",
            "form-4-2026-04.jsonl",
            "form-4-2026-04.zip",
            "04.tar.gz",
            "../form-4-2026-04.jsonl.gz",
        ] {
            assert!(not_found(file_name_as_of("4", "2026", name, today)), "{name}");
        }
        assert!(not_found(file_name_as_of("4", "2002", "form-4-2002-12.jsonl.gz", today)), "before coverage");
        assert!(not_found(file_name_as_of("4", "2027", "form-4-2027-01.jsonl.gz", today)), "after coverage");
        assert!(matches!(
            file_name_as_of("4", "26", "x", today),
            Err(ApiError::InvalidParameter { param: "year", .. })
        ));
        assert!(matches!(
            file_name_as_of("6", "2026", "form-6-2026-04.jsonl.gz", today),
            Err(ApiError::InvalidParameter { param: "form_type", .. })
        ));
    }
}
