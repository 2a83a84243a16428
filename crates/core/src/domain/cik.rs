use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

/// An SEC Central Index Key, kept as the 10-digit zero-padded form SEC's data
/// sets use (`0001318605`). Filers write it with or without the padding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Cik(String);

impl Cik {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cik {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim();
        if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new("CIK", s, "expected 1 to 10 digits"));
        }
        Ok(Cik(format!("{digits:0>10}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_ten_digits() {
        assert_eq!("1318605".parse::<Cik>().unwrap().as_str(), "0001318605");
        assert_eq!("0001318605".parse::<Cik>().unwrap().as_str(), "0001318605");
    }

    #[test]
    fn rejects_non_digits_and_overlong() {
        for bad in ["", "12345678901", "13186O5", "-1"] {
            let err = bad.parse::<Cik>().unwrap_err();
            assert!(err.to_string().contains("CIK"), "{err}");
        }
    }
}
