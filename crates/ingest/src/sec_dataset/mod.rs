//! SEC's quarterly Insider Transactions Data Sets (Forms 3, 4 and 5) read
//! back into filings, for the backfill of 2006 on.
//!
//! A data set is eight tables keyed by ACCESSION_NUMBER (`source`: a zip
//! as SEC publishes it, a directory, or the table files themselves). All of
//! a quarter's tables are read into memory as text (`tsv`), each child row
//! is grouped under its filing and ordered by its `*_SK` key, which
//! follows the document while the file's row order does not (`dataset`);
//! a filing is then built row by row (`mapping`, `values`) only as the
//! writer asks for it. Every mapping is the inverse of what the packer
//! writes (crates/packer/src/bundle/sec_tables.rs), so a bundle of the
//! imported filings repeats SEC's rows.

mod dataset;
mod mapping;
mod quarter;
mod source;
mod tsv;
mod values;

pub use dataset::{DataSet, TableRead};
pub use quarter::{Quarter, QuarterError, FIRST_YEAR};
pub use source::{discover, DataSetSource, SourceError};
pub use tsv::{unquote, FieldError, Tsv, TsvError};

/// The eight tables, SUBMISSION first: it names the filings the others
/// belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Submission,
    ReportingOwner,
    NonDerivTrans,
    NonDerivHolding,
    DerivTrans,
    DerivHolding,
    Footnotes,
    OwnerSignature,
}

impl Table {
    pub const ALL: [Table; 8] = [
        Table::Submission,
        Table::ReportingOwner,
        Table::NonDerivTrans,
        Table::NonDerivHolding,
        Table::DerivTrans,
        Table::DerivHolding,
        Table::Footnotes,
        Table::OwnerSignature,
    ];

    /// SEC's name without `.tsv`.
    pub fn name(self) -> &'static str {
        match self {
            Table::Submission => "SUBMISSION",
            Table::ReportingOwner => "REPORTINGOWNER",
            Table::NonDerivTrans => "NONDERIV_TRANS",
            Table::NonDerivHolding => "NONDERIV_HOLDING",
            Table::DerivTrans => "DERIV_TRANS",
            Table::DerivHolding => "DERIV_HOLDING",
            Table::Footnotes => "FOOTNOTES",
            Table::OwnerSignature => "OWNER_SIGNATURE",
        }
    }

    /// The surrogate key that orders a filing's rows in document order.
    pub fn key_column(self) -> Option<&'static str> {
        match self {
            Table::NonDerivTrans => Some("NONDERIV_TRANS_SK"),
            Table::NonDerivHolding => Some("NONDERIV_HOLDING_SK"),
            Table::DerivTrans => Some("DERIV_TRANS_SK"),
            Table::DerivHolding => Some("DERIV_HOLDING_SK"),
            _ => None,
        }
    }

    /// The table a file named `…SUBMISSION.tsv` holds, and the prefix
    /// before the name (`dataset_2024q3_`). `NONDERIV_TRANS.tsv` ends in
    /// `DERIV_TRANS.tsv` too, so the longest name that fits wins.
    pub fn of_file(file_name: &str) -> Option<(Table, &str)> {
        let upper = file_name.to_ascii_uppercase();
        let stem = upper.strip_suffix(".TSV")?;
        Table::ALL
            .iter()
            .filter(|t| stem.ends_with(t.name()))
            .max_by_key(|t| t.name().len())
            .map(|t| (*t, &file_name[..stem.len() - t.name().len()]))
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.tsv", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_table_in_a_file_name() {
        assert_eq!(Table::of_file("SUBMISSION.tsv"), Some((Table::Submission, "")));
        assert_eq!(Table::of_file("dataset_2024q3_SUBMISSION.tsv"), Some((Table::Submission, "dataset_2024q3_")));
        assert_eq!(Table::of_file("NONDERIV_TRANS.tsv"), Some((Table::NonDerivTrans, "")));
        assert_eq!(Table::of_file("x_DERIV_TRANS.tsv"), Some((Table::DerivTrans, "x_")));
        assert_eq!(Table::of_file("q_nonderiv_holding.TSV"), Some((Table::NonDerivHolding, "q_")));
        assert_eq!(Table::of_file("FORM_345_metadata.json"), None);
        assert_eq!(Table::of_file("SUBMISSION.csv"), None);
        assert_eq!(Table::of_file("OTHER.tsv"), None);
    }
}
