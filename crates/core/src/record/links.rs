//! Where the filing is on EDGAR: its index page, and its XML document when
//! the document's name is known.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::domain::{AccessionNumber, Cik};

/// EDGAR's index page of a filing:
/// `https://www.sec.gov/Archives/edgar/data/{cik}/{accession without dashes}/{accession}-index.htm`,
/// under the issuer's CIK without its zero padding, as EDGAR's own links
/// write it (every CIK of a filing reaches the same page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexUrl<'a> {
    pub cik: &'a Cik,
    pub accession: &'a AccessionNumber,
}

impl fmt::Display for IndexUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cik = self.cik.as_str().trim_start_matches('0');
        let cik = if cik.is_empty() { "0" } else { cik };
        let accession = self.accession.as_str();
        f.write_str("https://www.sec.gov/Archives/edgar/data/")?;
        f.write_str(cik)?;
        f.write_str("/")?;
        for part in accession.split('-') {
            f.write_str(part)?;
        }
        write!(f, "/{accession}-index.htm")
    }
}

impl Serialize for IndexUrl<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_page_under_the_unpadded_cik() {
        let cik: Cik = "0000002488".parse().unwrap();
        let accession: AccessionNumber = "0000002488-24-000005".parse().unwrap();
        assert_eq!(
            IndexUrl { cik: &cik, accession: &accession }.to_string(),
            "https://www.sec.gov/Archives/edgar/data/2488/000000248824000005/0000002488-24-000005-index.htm"
        );
    }
}
