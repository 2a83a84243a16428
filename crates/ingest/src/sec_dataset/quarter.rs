//! A calendar quarter of SEC's Insider Transactions data sets: `2024q3`.

use std::fmt;
use std::str::FromStr;

/// SEC publishes the data sets from 2006 Q1 on.
pub const FIRST_YEAR: i32 = 2006;

/// A quarter that has a data set name: 2006q1 or later, quarters 1 to 4.
/// Whether SEC has published it yet only SEC knows (a 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    quarter: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuarterError {
    #[error("{0:?} is not a quarter: expected YYYYqQ, e.g. 2024q3")]
    Shape(String),
    #[error("{0:?}: a year has quarters 1 to 4")]
    NoSuchQuarter(String),
    #[error("{0:?}: SEC's data sets start with {FIRST_YEAR}q1")]
    BeforeFirst(String),
}

impl Quarter {
    pub fn new(year: i32, quarter: u8) -> Result<Self, QuarterError> {
        let name = format!("{year}q{quarter}");
        if !(1..=4).contains(&quarter) {
            return Err(QuarterError::NoSuchQuarter(name));
        }
        if year < FIRST_YEAR {
            return Err(QuarterError::BeforeFirst(name));
        }
        Ok(Quarter { year, quarter })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn quarter(self) -> u8 {
        self.quarter
    }

    pub fn next(self) -> Quarter {
        if self.quarter == 4 {
            Quarter { year: self.year + 1, quarter: 1 }
        } else {
            Quarter { year: self.year, quarter: self.quarter + 1 }
        }
    }

    /// `self` up to `last`, both included; empty when `last` comes first.
    pub fn through(self, last: Quarter) -> impl Iterator<Item = Quarter> {
        std::iter::successors(Some(self), |q| Some(q.next())).take_while(move |q| *q <= last)
    }

    /// SEC's file name, `2024q3_form345.zip`.
    pub fn file_name(self) -> String {
        format!("{self}_form345.zip")
    }

    /// Where SEC serves it, relative to `https://www.sec.gov/`.
    pub fn download_path(self) -> String {
        format!("files/structureddata/data/insider-transactions-data-sets/{}", self.file_name())
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}q{}", self.year, self.quarter)
    }
}

impl FromStr for Quarter {
    type Err = QuarterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || QuarterError::Shape(s.to_owned());
        let (year, quarter) = s.trim().split_once(['q', 'Q']).ok_or_else(shape)?;
        if year.len() != 4 || quarter.len() != 1 {
            return Err(shape());
        }
        let year: i32 = year.parse().map_err(|_| shape())?;
        let quarter: u8 = quarter.parse().map_err(|_| shape())?;
        Quarter::new(year, quarter).map_err(|e| match e {
            QuarterError::NoSuchQuarter(_) => QuarterError::NoSuchQuarter(s.to_owned()),
            QuarterError::BeforeFirst(_) => QuarterError::BeforeFirst(s.to_owned()),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sec_names_and_refuses_others() {
        let q: Quarter = "2024q3".parse().unwrap();
        assert_eq!((q.year(), q.quarter()), (2024, 3));
        assert_eq!("2024Q3".parse::<Quarter>().unwrap(), q);
        assert_eq!(q.to_string(), "2024q3");
        assert_eq!(q.download_path(), "files/structureddata/data/insider-transactions-data-sets/2024q3_form345.zip");
        assert!(matches!("2006q5".parse::<Quarter>(), Err(QuarterError::NoSuchQuarter(_))));
        assert!(matches!("2006q0".parse::<Quarter>(), Err(QuarterError::NoSuchQuarter(_))));
        assert!(matches!("2005q4".parse::<Quarter>(), Err(QuarterError::BeforeFirst(_))));
        for bad in ["2024", "2024-3", "24q3", "2024q10", "q3", "2024q", "abcdq1"] {
            assert!(matches!(bad.parse::<Quarter>(), Err(QuarterError::Shape(_))), "{bad}");
        }
        assert!(Quarter::new(2006, 1).is_ok());
    }

    #[test]
    fn ranges_cross_years() {
        let from: Quarter = "2023q3".parse().unwrap();
        let names: Vec<String> = from.through("2024q2".parse().unwrap()).map(|q| q.to_string()).collect();
        assert_eq!(names, ["2023q3", "2023q4", "2024q1", "2024q2"]);
        assert_eq!(from.through("2023q2".parse().unwrap()).count(), 0);
    }
}
