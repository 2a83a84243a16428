//! Scalar values as filers write them: trimmed text, `0/1/true/false`
//! booleans, amounts, and ISO dates with an optional time-zone suffix.

use time::{Date, Month};

/// Collapses runs of whitespace (line breaks inside footnotes and remarks)
/// to single spaces and trims; empty becomes `None`.
pub fn clean_text(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

pub fn boolean(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        t => Err(format!("{t:?} is not a boolean (0, 1, true, false)")),
    }
}

/// An amount. Thousands separators are accepted (some filers write them);
/// anything else that is not a finite number is refused.
pub fn number(raw: &str) -> Result<f64, String> {
    let t = raw.trim();
    let cleaned: std::borrow::Cow<str> = if t.contains(',') { t.replace(',', "").into() } else { t.into() };
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{t:?} is not a number")),
    }
}

/// `YYYY-MM-DD`, optionally followed by a time-zone offset (`-05:00`, `Z`),
/// which is dropped: the date is what the filer reported.
pub fn date(raw: &str) -> Result<Date, String> {
    let t = raw.trim();
    let bad = || format!("{t:?} is not a date (YYYY-MM-DD)");
    let (day, zone) = (t.get(..10).ok_or_else(bad)?, t.get(10..).unwrap_or(""));
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6 && (zone.starts_with('-') || zone.starts_with('+')) && zone.as_bytes()[3] == b':');
    if !zone_ok {
        return Err(bad());
    }
    let b = day.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    calendar_date(&day[..4], &day[5..7], &day[8..10]).ok_or_else(|| format!("{t:?} is not a real calendar date"))
}

/// `YYYYMMDD`, as SEC headers write dates.
pub fn yyyymmdd(raw: &str) -> Result<Date, String> {
    let t = raw.trim();
    if t.len() != 8 {
        return Err(format!("{t:?} is not a date (YYYYMMDD)"));
    }
    calendar_date(&t[..4], &t[4..6], &t[6..8]).ok_or_else(|| format!("{t:?} is not a real calendar date"))
}

fn calendar_date(year: &str, month: &str, day: &str) -> Option<Date> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_filers_write() {
        assert!(boolean(" TRUE ").unwrap());
        assert!(!boolean("0").unwrap());
        assert!(boolean("yes").is_err());
        assert_eq!(number(" 1,250.5 ").unwrap(), 1250.5);
        assert!(number("NaN").is_err() && number("12a").is_err() && number("inf").is_err());
        assert_eq!(date("2010-06-28-05:00").unwrap().to_string(), "2010-06-28");
        assert!(date("2021-02-30").unwrap_err().contains("real calendar date"));
        assert!(date("2021/02/03").is_err() && date("2021-02-0").is_err() && date("2021-02-03x").is_err());
        assert_eq!(yyyymmdd("20240501").unwrap().to_string(), "2024-05-01");
        assert_eq!(clean_text("  a \n\t b  ").as_deref(), Some("a b"));
        assert_eq!(clean_text(" \n "), None);
    }
}
