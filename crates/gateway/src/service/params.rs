//! Path parameters checked one by one, so that a 400 names the parameter
//! and the rule it broke.

use insider_bulk_core::domain::{FormType, Month};
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

pub fn month_as_of(raw_year: &str, raw_month: &str, today: time::Date) -> Result<Month, ApiError> {
    let this_year = today.year();
    let year: i32 = match raw_year.parse() {
        Ok(y) if raw_year.len() == 4 && raw_year.bytes().all(|b| b.is_ascii_digit()) => y,
        _ => return Err(ApiError::invalid("year", format!("year must be a 4-digit year, not {:?}", clip(raw_year)))),
    };
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

pub fn job_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw)
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
}
