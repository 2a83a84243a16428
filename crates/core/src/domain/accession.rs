use std::fmt;
use std::str::FromStr;

use super::InvalidValue;

/// An EDGAR accession number, `##########-##-######` (filer id, year, sequence).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct AccessionNumber(String);

impl AccessionNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Finds the first accession number inside a longer text such as a file
    /// name (`form4_0000899243-21-019441.xml`) or an EDGAR path. Also accepts
    /// the 18-digit form without dashes that EDGAR uses for folder names.
    pub fn find_in(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        for start in 0..bytes.len() {
            if start > 0 && bytes[start - 1].is_ascii_digit() {
                continue;
            }
            if let Some(found) = Self::dashed_at(&bytes[start..]).or_else(|| Self::bare_at(&bytes[start..])) {
                return Some(found);
            }
        }
        None
    }

    fn dashed_at(b: &[u8]) -> Option<Self> {
        let candidate = std::str::from_utf8(b.get(..20)?).ok()?;
        let after_is_digit = b.get(20).is_some_and(u8::is_ascii_digit);
        (!after_is_digit).then(|| candidate.parse().ok()).flatten()
    }

    fn bare_at(b: &[u8]) -> Option<Self> {
        let digits = b.get(..18)?;
        if !digits.iter().all(u8::is_ascii_digit) || b.get(18).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let d = std::str::from_utf8(digits).ok()?;
        Some(AccessionNumber(format!("{}-{}-{}", &d[..10], &d[10..12], &d[12..])))
    }
}

impl fmt::Display for AccessionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AccessionNumber {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 20
            && b.iter().enumerate().all(|(i, c)| if i == 10 || i == 13 { *c == b'-' } else { c.is_ascii_digit() });
        if shape_ok {
            Ok(AccessionNumber(s.to_owned()))
        } else {
            Err(InvalidValue::new("accession number", s, "expected ##########-##-######"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_edgar_shape() {
        assert!("0000899243-21-019441".parse::<AccessionNumber>().is_ok());
        for bad in ["0000899243-21-01944", "000089924-321-019441", "0000899243_21_019441", "x000899243-21-019441", ""] {
            let err = bad.parse::<AccessionNumber>().unwrap_err();
            assert!(err.to_string().contains("accession number"), "{err}");
        }
    }

    #[test]
    fn finds_one_in_file_names_and_paths() {
        let found = AccessionNumber::find_in("form4_0000899243-21-019441.xml").unwrap();
        assert_eq!(found.as_str(), "0000899243-21-019441");
        let bare = AccessionNumber::find_in("paypal/000118143110034759/rrd279907.xml").unwrap();
        assert_eq!(bare.as_str(), "0001181431-10-034759");
        assert!(AccessionNumber::find_in("form4_374Water_374WaterForm4.xml").is_none());
        assert!(AccessionNumber::find_in("form4_wf-form4_155718184308434.xml").is_none());
    }
}
