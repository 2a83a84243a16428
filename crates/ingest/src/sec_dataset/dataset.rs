//! A data set in memory: its tables as text, each child row grouped under
//! its filing in document order, and the filings built one at a time.

use std::collections::{HashMap, HashSet};

use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::filing::Filing;

use super::mapping;
use super::source::{DataSetSource, SourceError};
use super::tsv::{FieldError, Row, Tsv};
use super::Table;
use crate::batch::{Failure, Item};

/// What was read of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRead {
    pub table: Table,
    /// Rows in the file, unreadable ones included.
    pub rows: usize,
    /// Columns of the packer's layout the header does not have: read as
    /// empty, and named so that a changed layout does not go unnoticed.
    pub missing_columns: Vec<String>,
}

struct Child {
    table: Table,
    location: String,
    tsv: Tsv,
    /// Accession → row indices, in `*_SK` order where the table has one.
    by_filing: HashMap<String, Vec<usize>>,
}

/// One data set, read and grouped, ready to stream its filings.
pub struct DataSet {
    pub name: String,
    pub tables: Vec<TableRead>,
    pub absent: Vec<Table>,
    location: String,
    submissions: Tsv,
    /// SUBMISSION rows that are filings, in file order (duplicates out).
    order: Vec<usize>,
    children: Vec<Child>,
    /// Rows found bad while grouping: reported before the filings.
    early: Vec<Failure>,
    /// Filings with a child row that could not even be grouped: skipped
    /// (their rows were reported), so that no filing loads with a row short.
    tainted: HashSet<String>,
}

fn failure(location: &str, line: usize, reason: impl std::fmt::Display) -> Failure {
    Failure::malformed(format!("{location} line {line}"), reason)
}

const ACCESSION: &str = "ACCESSION_NUMBER";

/// The packer's columns for `table` (what a bundle writes), to name the
/// ones a header lacks. The names SEC spells two ways count as present
/// under either spelling.
fn expected_columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Submission => &[
            "ACCESSION_NUMBER",
            "FILING_DATE",
            "PERIOD_OF_REPORT",
            "DATE_OF_ORIG_SUB",
            "NO_SECURITIES_OWNED",
            "NOT_SUBJECT_SEC16",
            "FORM3_HOLDINGS_REPORTED",
            "FORM4_TRANS_REPORTED",
            "DOCUMENT_TYPE",
            "ISSUERCIK",
            "ISSUERNAME",
            "ISSUERTRADINGSYMBOL",
            "REMARKS",
        ],
        Table::ReportingOwner => &["ACCESSION_NUMBER", "RPTOWNERCIK", "RPTOWNERNAME", "RPTOWNER_RELATIONSHIP"],
        Table::NonDerivTrans | Table::DerivTrans => &["ACCESSION_NUMBER", "SECURITY_TITLE", "TRANS_CODE"],
        Table::NonDerivHolding | Table::DerivHolding => &["ACCESSION_NUMBER", "SECURITY_TITLE"],
        Table::Footnotes => &["ACCESSION_NUMBER", "FOOTNOTE_ID", "FOOTNOTE_TXT"],
        Table::OwnerSignature => &["ACCESSION_NUMBER", "OWNERSIGNATURENAME", "OWNERSIGNATUREDATE"],
    }
}

fn accession<'a>(row: &Row<'a>) -> Result<String, FieldError> {
    match row.get(ACCESSION)? {
        Some(v) => Ok(v.trim().to_owned()),
        None => Err(FieldError::new(ACCESSION, "missing")),
    }
}

impl DataSet {
    /// Reads every table of `source` and groups the child rows. Only what
    /// makes the whole set unusable is an error: SUBMISSION without a
    /// header or without rows; a bad row is a failure to report.
    pub fn read(source: &DataSetSource) -> Result<DataSet, SourceError> {
        let unusable = |reason: String| SourceError::Unusable { name: source.name.clone(), reason };
        let mut tables = Vec::new();
        let mut early = Vec::new();
        let mut submissions = None;
        let mut raw_children = Vec::new();
        // The tables split into rows side by side: the database waits for
        // the whole set, and a quarter's eight tables are independent.
        let texts = source.read()?;
        let parsed: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .into_iter()
                .map(|text| scope.spawn(move || (text.table, text.location, Tsv::parse(text.text))))
                .collect();
            handles.into_iter().map(|h| h.join().expect("a table parser panicked")).collect()
        });
        for (table, location, result) in parsed {
            let (tsv, bad) = result.map_err(|e| unusable(format!("{location}: {e}")))?;
            let missing_columns = expected_columns(table)
                .iter()
                .filter(|c| !tsv.has_column(c))
                .map(|c| c.to_string())
                .collect::<Vec<_>>();
            if !tsv.has_column(ACCESSION) {
                return Err(unusable(format!("{location}: no {ACCESSION} column")));
            }
            tables.push(TableRead { table, rows: tsv.len() + bad.len(), missing_columns });
            let bad_lines = bad.into_iter().map(|b| (b.line, b.first_field, b.reason));
            if table == Table::Submission {
                early.extend(bad_lines.map(|(line, _, reason)| failure(&location, line, reason)));
                submissions = Some((location, tsv));
            } else {
                raw_children.push((table, location, tsv, bad_lines.collect::<Vec<_>>()));
            }
        }
        let (location, submissions) = submissions.ok_or_else(|| SourceError::MissingSubmission(source.name.clone()))?;
        if submissions.is_empty() {
            return Err(unusable(format!("{location} has no rows: nothing to import")));
        }

        let mut first_line: HashMap<String, usize> = HashMap::with_capacity(submissions.len());
        let mut order = Vec::with_capacity(submissions.len());
        for i in 0..submissions.len() {
            let row = submissions.row(i);
            match accession(&row) {
                Ok(acc) => match first_line.get(&acc) {
                    Some(first) => early.push(failure(
                        &location,
                        row.line,
                        format!("{acc}: the accession is already on line {first}; this row is skipped"),
                    )),
                    None => {
                        first_line.insert(acc, row.line);
                        order.push(i);
                    }
                },
                Err(e) => early.push(failure(&location, row.line, format!("{e}; the filing is skipped"))),
            }
        }

        let mut tainted = HashSet::new();
        let mut children = Vec::new();
        for (table, child_location, tsv, bad_lines) in raw_children {
            for (line, first_field, reason) in bad_lines {
                let acc = unquote_lossy(&first_field);
                early.push(failure(&child_location, line, orphan_or_skip(&first_line, &acc, reason)));
                tainted.insert(acc);
            }
            let mut keyed: HashMap<String, Vec<(u64, usize)>> = HashMap::new();
            for i in 0..tsv.len() {
                let row = tsv.row(i);
                let acc = match accession(&row) {
                    Ok(acc) => acc,
                    Err(e) => {
                        early.push(failure(&child_location, row.line, format!("{e}: the row belongs to no filing")));
                        continue;
                    }
                };
                if !first_line.contains_key(&acc) {
                    let reason = format!("{acc}: the accession is not in SUBMISSION");
                    early.push(failure(&child_location, row.line, reason));
                    continue;
                }
                // A row without a key sorts after the keyed ones, in file order.
                let key = match table.key_column().map(|c| row.get(c)).transpose() {
                    Ok(None) | Ok(Some(None)) => u64::MAX,
                    Ok(Some(Some(v))) => match v.trim().parse::<u64>() {
                        Ok(k) => k,
                        Err(_) => {
                            let reason = format!("{}: {v:?} is not a key", table.key_column().unwrap_or_default());
                            early.push(failure(&child_location, row.line, orphan_or_skip(&first_line, &acc, reason)));
                            tainted.insert(acc);
                            continue;
                        }
                    },
                    Err(e) => {
                        early.push(failure(&child_location, row.line, orphan_or_skip(&first_line, &acc, e)));
                        tainted.insert(acc);
                        continue;
                    }
                };
                keyed.entry(acc).or_default().push((key, i));
            }
            let by_filing = keyed
                .into_iter()
                .map(|(acc, mut rows)| {
                    rows.sort_by_key(|(key, _)| *key); // stable: equal keys keep file order
                    (acc, rows.into_iter().map(|(_, i)| i).collect())
                })
                .collect();
            children.push(Child { table, location: child_location, tsv, by_filing });
        }
        tables.sort_by_key(|t| t.table);
        Ok(DataSet {
            name: source.name.clone(),
            tables,
            absent: source.absent(),
            location,
            submissions,
            order,
            children,
            early,
            tainted,
        })
    }

    /// The filings SUBMISSION lists (each once).
    pub fn filing_count(&self) -> usize {
        self.order.len()
    }

    /// The bad rows found while grouping, then one item per filing (or its
    /// bad rows), in SUBMISSION's order.
    pub fn into_items(mut self) -> impl Iterator<Item = Item> + Send + 'static {
        let early = std::mem::take(&mut self.early);
        let order = std::mem::take(&mut self.order);
        early.into_iter().map(Err).chain(order.into_iter().flat_map(move |i| self.filing(i)))
    }

    fn filing(&self, index: usize) -> Vec<Item> {
        let row = self.submissions.row(index);
        let Ok(acc) = accession(&row) else { return Vec::new() };
        let submission = match mapping::submission(&row) {
            Ok(s) => s,
            Err(e) => {
                let others: usize = self.children.iter().map(|c| c.by_filing.get(&acc).map_or(0, Vec::len)).sum();
                let reason = format!("{acc}: {e}; the filing is skipped with its {others} rows in other tables");
                return vec![Err(failure(&self.location, row.line, reason))];
            }
        };
        if self.tainted.contains(&acc) {
            return Vec::new(); // its bad row is already reported
        }
        let mut filing = Filing {
            submission,
            reporting_owners: Vec::new(),
            non_derivative_transactions: Vec::new(),
            non_derivative_holdings: Vec::new(),
            derivative_transactions: Vec::new(),
            derivative_holdings: Vec::new(),
            footnotes: Vec::new(),
            owner_signatures: Vec::new(),
        };
        let mut failures = Vec::new();
        for child in &self.children {
            let rows = child.by_filing.get(&acc).map(Vec::as_slice).unwrap_or_default();
            for &i in rows {
                let row = child.tsv.row(i);
                if let Err(e) = add_row(&mut filing, child.table, &row) {
                    let reason = format!("{acc}: {e}; the filing is not loaded");
                    failures.push(Err(failure(&child.location, row.line, reason)));
                }
            }
        }
        if !failures.is_empty() {
            return failures;
        }
        let loaded_from = format!("{} line {}", self.location, row.line);
        vec![Ok(FilingToStore { filing, loaded_from })]
    }
}

fn add_row(filing: &mut Filing, table: Table, row: &Row<'_>) -> Result<(), FieldError> {
    match table {
        Table::Submission => {}
        Table::ReportingOwner => filing.reporting_owners.push(mapping::reporting_owner(row)?),
        Table::NonDerivTrans => filing.non_derivative_transactions.push(mapping::non_derivative_transaction(row)?),
        Table::NonDerivHolding => filing.non_derivative_holdings.push(mapping::non_derivative_holding(row)?),
        Table::DerivTrans => filing.derivative_transactions.push(mapping::derivative_transaction(row)?),
        Table::DerivHolding => filing.derivative_holdings.push(mapping::derivative_holding(row)?),
        Table::Footnotes => filing.footnotes.push(mapping::footnote(row)?),
        Table::OwnerSignature => filing.owner_signatures.push(mapping::owner_signature(row)?),
    }
    Ok(())
}

fn unquote_lossy(raw: &str) -> String {
    super::tsv::unquote(raw).map(|v| v.trim().to_owned()).unwrap_or_else(|_| raw.to_owned())
}

/// The reason for a child row that cannot be read: which filing it costs.
fn orphan_or_skip(filings: &HashMap<String, usize>, acc: &str, reason: impl std::fmt::Display) -> String {
    if filings.contains_key(acc) {
        format!("{acc}: {reason}; the filing is not loaded")
    } else {
        format!("{reason} (and {acc:?} is not in SUBMISSION)")
    }
}
