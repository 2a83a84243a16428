use std::fmt;
use std::str::FromStr;

use time::{Date, OffsetDateTime};

use super::InvalidValue;

/// First month of coverage: EDGAR ownership XML starts in 2003.
pub const FIRST_YEAR: i32 = 2003;

/// A calendar month of coverage, 2003-01 up to the current UTC month.
/// `2002-12`, `2003-13` and next month cannot be constructed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Month {
    year: i32,
    month: u8,
}

impl Month {
    /// Validates against the current UTC month.
    pub fn new(year: i32, month: u32) -> Result<Self, InvalidValue> {
        Self::new_as_of(year, month, OffsetDateTime::now_utc().date())
    }

    /// Validates against the month of `today`; lets callers (and tests) pin "now".
    pub fn new_as_of(year: i32, month: u32, today: Date) -> Result<Self, InvalidValue> {
        let shown = format!("{year:04}-{month:02}");
        if !(1..=12).contains(&month) {
            return Err(InvalidValue::new("month", &shown, "month must be 1..12"));
        }
        if year < FIRST_YEAR {
            return Err(InvalidValue::new("month", &shown, "coverage starts 2003-01"));
        }
        let candidate = Month { year, month: month as u8 };
        if candidate > Self::containing(today) {
            return Err(InvalidValue::new("month", &shown, "is in the future"));
        }
        Ok(candidate)
    }

    /// The month a date falls in, with no coverage check: used for dates
    /// that are already known to be real (a filing's period of report).
    pub fn containing(date: Date) -> Self {
        Month { year: date.year(), month: date.month() as u8 }
    }

    pub fn current() -> Self {
        Self::containing(OffsetDateTime::now_utc().date())
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The month before this one, or `None` before 2003-01.
    pub fn previous(self) -> Option<Self> {
        let (year, month) = if self.month == 1 { (self.year - 1, 12) } else { (self.year, self.month - 1) };
        (year >= FIRST_YEAR).then_some(Month { year, month })
    }

    /// Every month of coverage from 2003-01 to `self`, oldest first.
    pub fn coverage_through(self) -> impl Iterator<Item = Month> {
        let mut next = Some(Month { year: FIRST_YEAR, month: 1 });
        std::iter::from_fn(move || {
            let current = next?;
            if current > self {
                return None;
            }
            next = Some(if current.month == 12 {
                Month { year: current.year + 1, month: 1 }
            } else {
                Month { year: current.year, month: current.month + 1 }
            });
            Some(current)
        })
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = InvalidValue;
    /// Parses `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidValue::new("month", s, "expected YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn accepts_coverage_and_rejects_the_rest() {
        let today = date!(2025 - 09 - 15);
        assert!(Month::new_as_of(2003, 1, today).is_ok());
        assert!(Month::new_as_of(2025, 9, today).is_ok());
        for (y, m, rule) in [(2002, 12, "2003"), (2003, 13, "1..12"), (2025, 0, "1..12"), (2025, 10, "future")] {
            let err = Month::new_as_of(y, m, today).unwrap_err();
            assert!(err.rule.contains(rule), "{y}-{m}: {err}");
            assert!(err.to_string().contains(&format!("{y:04}-{m:02}")), "{err}");
        }
    }

    #[test]
    fn parses_and_prints_yyyy_mm() {
        let m: Month = "2021-02".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2021, 2));
        assert_eq!(m.to_string(), "2021-02");
        for bad in ["2021-2", "21-02", "2021/02", "2021-02-01", "abcd-ef", ""] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn coverage_runs_from_2003_to_the_given_month() {
        let through = Month::new_as_of(2004, 2, date!(2025 - 01 - 01)).unwrap();
        let all: Vec<String> = through.coverage_through().map(|m| m.to_string()).collect();
        assert_eq!(all.len(), 14);
        assert_eq!(all.first().unwrap(), "2003-01");
        assert_eq!(all.last().unwrap(), "2004-02");
        assert_eq!(through.previous().unwrap().to_string(), "2004-01");
    }
}
