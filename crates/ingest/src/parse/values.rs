//! Scalar values as filers write them: text with stray whitespace,
//! `0/1/true/false` booleans, decimal amounts, and ISO dates that some filer
//! software suffixes with a time-zone offset. Each reader returns the reason
//! a value is refused, quoting the value (capped, so that a hostile
//! multi-megabyte value cannot flood a log line).

use insider_bulk_core::domain::Flag;
use time::{Date, Month};

/// The value as it appears in an error message: quoted, escaped, capped.
pub fn shown(raw: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut chars = raw.trim().chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{:?}…", head)
    } else {
        format!("{head:?}")
    }
}

/// Collapses runs of whitespace (line breaks and indentation inside
/// footnotes, remarks and titles) to single spaces and trims; blank is `None`.
pub fn clean_text(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    // Most values are already clean: keep them without rebuilding.
    let mut previous_space = false;
    let already_clean = trimmed.chars().all(|c| {
        let bad = c.is_whitespace() && (c != ' ' || previous_space);
        previous_space = c == ' ';
        !bad
    });
    if already_clean {
        return Some(trimmed.to_owned());
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Some(out)
}

/// A yes/no box, keeping whether the filer wrote a digit or a word.
pub fn boolean(raw: &str) -> Result<Flag, String> {
    raw.parse::<Flag>().map_err(|_| format!("{} is not a boolean (0, 1, true or false)", shown(raw)))
}

/// A decimal amount. Thousands separators and currency signs are refused
/// rather than guessed at: `1,5` would otherwise silently become 15.
pub fn number(raw: &str) -> Result<f64, String> {
    let t = raw.trim();
    let plain = t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match t.parse::<f64>() {
        Ok(v) if plain && v.is_finite() => Ok(v),
        _ => Err(format!("{} is not a number", shown(t))),
    }
}

/// `YYYY-MM-DD`, optionally followed by a time-zone offset (`-05:00`, `Z`),
/// which is dropped: the date is the calendar day the filer reported.
pub fn date(raw: &str) -> Result<Date, String> {
    let t = raw.trim();
    let bad = || format!("{} is not a date (YYYY-MM-DD)", shown(t));
    let (Some(day), Some(zone)) = (t.get(..10), t.get(10..)) else { return Err(bad()) };
    if !is_zone(zone) {
        return Err(bad());
    }
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *day.as_bytes() else { return Err(bad()) };
    calendar_date([y1, y2, y3, y4], [m1, m2], [d1, d2])
        .ok_or_else(bad)?
        .ok_or_else(|| format!("{} is not a real calendar date", shown(t)))
}

/// `YYYYMMDD`, as SEC headers write dates.
pub fn yyyymmdd(raw: &str) -> Result<Date, String> {
    let t = raw.trim();
    let bad = || format!("{} is not a date (YYYYMMDD)", shown(t));
    let [y1, y2, y3, y4, m1, m2, d1, d2] = *t.as_bytes() else { return Err(bad()) };
    calendar_date([y1, y2, y3, y4], [m1, m2], [d1, d2])
        .ok_or_else(bad)?
        .ok_or_else(|| format!("{} is not a real calendar date", shown(t)))
}

fn is_zone(zone: &str) -> bool {
    match zone.as_bytes() {
        [] | [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            matches!(sign, b'+' | b'-') && [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// `None` when the digits are not digits (a shape error), `Some(None)` when
/// they are but name no real day, like `2021-02-30`.
fn calendar_date(year: [u8; 4], month: [u8; 2], day: [u8; 2]) -> Option<Option<Date>> {
    let value = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0u32, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
    };
    let (year, month, day) = (value(&year)?, value(&month)?, value(&day)?);
    let real = || {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
    };
    Some(real())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_filers_write_them() {
        assert_eq!(boolean(" TRUE "), Ok(Flag::word(true)));
        assert_eq!(boolean("1"), Ok(Flag::digit(true)));
        assert_eq!(boolean("\n0\n"), Ok(Flag::digit(false)));
        assert_eq!(boolean("False"), Ok(Flag::word(false)));
        assert_eq!(boolean("yes").unwrap_err(), "\"yes\" is not a boolean (0, 1, true or false)");
    }

    #[test]
    fn numbers_are_plain_finite_decimals() {
        assert_eq!(number(" 1250.5 "), Ok(1250.5));
        assert_eq!(number("-3"), Ok(-3.0));
        assert_eq!(number("0.0001"), Ok(0.0001));
        for bad in ["NaN", "inf", "-infinity", "12a", "1,250", "$5", "", "1e999"] {
            assert!(number(bad).unwrap_err().ends_with("is not a number"), "{bad}");
        }
    }

    #[test]
    fn dates_with_and_without_zones() {
        assert_eq!(date("2010-06-28").unwrap().to_string(), "2010-06-28");
        assert_eq!(date(" 2010-06-28-05:00 ").unwrap().to_string(), "2010-06-28");
        assert_eq!(date("2010-06-28Z").unwrap().to_string(), "2010-06-28");
        assert_eq!(date("2021-02-30").unwrap_err(), "\"2021-02-30\" is not a real calendar date");
        for bad in ["2021/02/03", "2021-02-0", "2021-02-03x", "2021-2-03", "20210203", "2021-02-03-5:00", "é021-02-03"]
        {
            assert!(date(bad).unwrap_err().contains("is not a date (YYYY-MM-DD)"), "{bad}");
        }
        assert_eq!(yyyymmdd("20240501").unwrap().to_string(), "2024-05-01");
        assert!(yyyymmdd("20240230").unwrap_err().contains("real calendar date"));
        assert!(yyyymmdd("2024-05-01").unwrap_err().contains("YYYYMMDD"));
    }

    #[test]
    fn text_is_trimmed_and_collapsed() {
        assert_eq!(clean_text("  a \n\t b  ").as_deref(), Some("a b"));
        assert_eq!(clean_text("Common Stock").as_deref(), Some("Common Stock"));
        assert_eq!(clean_text("a  b").as_deref(), Some("a b"));
        assert_eq!(clean_text(" \n "), None);
    }

    #[test]
    fn shown_values_are_capped() {
        assert_eq!(shown("abc"), "\"abc\"");
        assert_eq!(shown(&"x".repeat(1000)), format!("\"{}\"…", "x".repeat(40)));
    }
}
