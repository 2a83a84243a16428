//! SEC's field formats read back: `DD-MON-YYYY` dates, numbers, yes/no
//! boxes in the filer's spelling, footnote ids `F1, F2` and the owner's
//! roles. Each is the inverse of what the packer writes
//! (crates/packer/src/bundle/format.rs).

use insider_bulk_core::domain::Flag;
use insider_bulk_core::sec_format::{self, ROLES};
use time::{Date, Month};

/// `27-SEP-2024`.
pub fn date(s: &str) -> Result<Date, String> {
    let bad = || format!("{s:?} is not a date (DD-MON-YYYY)");
    let mut parts = s.split('-');
    let (Some(day), Some(month), Some(year), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if day.len() != 2 || year.len() != 4 {
        return Err(bad());
    }
    let month = sec_format::month_number(month).ok_or_else(bad)?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    let day: u8 = day.parse().map_err(|_| bad())?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|e| format!("{s:?} is not a date: {e}"))
}

/// SEC writes numbers with a decimal point (`250000.0`, `8.84`); anything
/// Rust reads as a finite double is taken.
pub fn number(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a number")),
    }
}

/// `0`, `1`, `false`, `true`, spelling kept so that a bundle writes it back.
pub fn flag(s: &str) -> Result<Flag, String> {
    s.parse::<Flag>().map_err(|e| e.to_string())
}

/// `F1, F2` → `["F1", "F2"]`.
pub fn footnote_ids(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect()
}

/// The four role boxes from RPTOWNER_RELATIONSHIP (`Director,Officer`).
/// The column names only the roles that are on, so a role not named is
/// unknown (`None`), not "no": the filer may have left the box out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    pub director: Option<Flag>,
    pub officer: Option<Flag>,
    pub ten_percent_owner: Option<Flag>,
    pub other: Option<Flag>,
}

pub fn roles(s: &str) -> Result<Roles, String> {
    let mut roles = Roles::default();
    let on = Some(Flag::digit(true));
    for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let slot = match ROLES.iter().position(|r| r.eq_ignore_ascii_case(word)) {
            Some(0) => &mut roles.director,
            Some(1) => &mut roles.officer,
            Some(2) => &mut roles.ten_percent_owner,
            Some(_) => &mut roles.other,
            None => return Err(format!("{word:?} is not a role ({})", ROLES.join(", "))),
        };
        *slot = on;
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn reads_sec_dates() {
        assert_eq!(date("27-SEP-2024").unwrap(), date!(2024 - 09 - 27));
        assert_eq!(date("01-jan-2006").unwrap(), date!(2006 - 01 - 01));
        assert_eq!(date("29-FEB-2024").unwrap(), date!(2024 - 02 - 29));
        for bad in ["2024-09-27", "27-SEP-24", "7-SEP-2024", "30-FEB-2024", "27-SEPT-2024", "27-SEP-2024-1", ""] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_numbers_and_flags_as_sec_writes_them() {
        assert_eq!(number("250000.0").unwrap(), 250000.0);
        assert_eq!(number("8.84").unwrap(), 8.84);
        assert_eq!(number("-0.5").unwrap(), -0.5);
        assert!(number("inf").is_err() && number("NaN").is_err() && number("1,000").is_err());
        for text in ["0", "1", "false", "true"] {
            assert_eq!(flag(text).unwrap().to_string(), text, "the spelling is kept");
        }
        assert!(!flag("false").unwrap().value() && flag("1").unwrap().value());
        assert!(flag("Y").unwrap_err().contains("\"Y\""));
    }

    #[test]
    fn splits_footnote_ids() {
        assert_eq!(footnote_ids("F1"), ["F1"]);
        assert_eq!(footnote_ids("F1, F2"), ["F1", "F2"]);
        assert_eq!(footnote_ids("F1,F2 ,, F10"), ["F1", "F2", "F10"]);
        assert!(footnote_ids(" ").is_empty());
    }

    #[test]
    fn reads_the_relationship() {
        let on = Some(Flag::digit(true));
        let r = roles("Director,TenPercentOwner").unwrap();
        assert_eq!(r, Roles { director: on, ten_percent_owner: on, ..Roles::default() });
        let r = roles("OFFICER, other").unwrap();
        assert_eq!(r, Roles { officer: on, other: on, ..Roles::default() });
        assert_eq!(roles("").unwrap(), Roles::default());
        assert!(roles("Director,Chairman").unwrap_err().contains("Chairman"));
    }
}
