//! One of SEC's data-set tables: tab-separated, one header row, UTF-8, and
//! a value that holds a double quote wrapped CSV-style (`"a ""b"""`).
//! Columns are found by header name, because SEC's headers are not what its
//! own metadata lists (SUBMISSION has 13 columns, the metadata 17) and newer
//! sets add columns.

use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsvError {
    #[error("no header row")]
    NoHeader,
    #[error("column {0} appears twice in the header")]
    DuplicateColumn(String),
}

/// A value that cannot be read, naming the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}: {reason}")]
pub struct FieldError {
    pub column: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(column: &str, reason: impl Into<String>) -> Self {
        FieldError { column: column.to_owned(), reason: reason.into() }
    }
}

/// A line that is not a row: its number (the header is line 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    /// As written: most likely the accession, to name the filing it costs.
    pub first_field: String,
    pub reason: String,
}

/// The table's text with the position of each row, so that a quarter's
/// tables sit in memory once and a row is split only when it is used.
#[derive(Debug)]
pub struct Tsv {
    text: String,
    columns: HashMap<String, usize>,
    spans: Vec<(usize, usize, usize)>,
}

impl Tsv {
    /// Splits `text` into rows; lines with the wrong number of fields are
    /// handed back as bad lines, blank lines are skipped.
    pub fn parse(text: String) -> Result<(Tsv, Vec<BadLine>), TsvError> {
        let mut columns = HashMap::new();
        let mut spans = Vec::new();
        let mut bad = Vec::new();
        let mut width = 0;
        let mut start = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let (line_start, line_no) = (start, index + 1);
            start += raw.len();
            let line = raw.trim_end_matches('\n').trim_end_matches('\r');
            if index == 0 {
                let header = line.strip_prefix('\u{feff}').unwrap_or(line);
                for (i, name) in header.split('\t').enumerate() {
                    let name = name.trim();
                    if columns.insert(name.to_owned(), i).is_some() {
                        return Err(TsvError::DuplicateColumn(name.to_owned()));
                    }
                }
                width = columns.len();
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let fields = line.split('\t').count();
            if fields == width {
                spans.push((line_no, line_start, line_start + line.len()));
            } else {
                let first_field = line.split('\t').next().unwrap_or_default().to_owned();
                let reason = format!("{fields} fields, the header has {width}");
                bad.push(BadLine { line: line_no, first_field, reason });
            }
        }
        if width == 0 || columns.keys().all(String::is_empty) {
            return Err(TsvError::NoHeader);
        }
        Ok((Tsv { text, columns, spans }, bad))
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains_key(name)
    }

    /// The `index`-th row (not counting bad lines).
    pub fn row(&self, index: usize) -> Row<'_> {
        let (line, start, end) = self.spans[index];
        Row { line, fields: self.text[start..end].split('\t').collect(), columns: &self.columns }
    }
}

pub struct Row<'a> {
    pub line: usize,
    fields: Vec<&'a str>,
    columns: &'a HashMap<String, usize>,
}

impl<'a> Row<'a> {
    /// The value of `column` with SEC's quoting undone; `None` when empty or
    /// when the header has no such column.
    pub fn get(&self, column: &str) -> Result<Option<Cow<'a, str>>, FieldError> {
        let Some(&i) = self.columns.get(column) else { return Ok(None) };
        let raw = self.fields[i];
        if raw.is_empty() {
            return Ok(None);
        }
        unquote(raw).map(Some).map_err(|reason| FieldError::new(column, reason))
    }

    /// The first of `columns` the header has: for names SEC spelled two ways.
    pub fn get_any(&self, columns: &[&str]) -> Result<Option<Cow<'a, str>>, FieldError> {
        let present = columns.iter().find(|c| self.columns.contains_key(**c)).unwrap_or(&columns[0]);
        self.get(present)
    }
}

/// SEC wraps a value holding `"` in quotes and doubles the inner ones. A
/// value not starting with a quote is taken as it is.
pub fn unquote(raw: &str) -> Result<Cow<'_, str>, String> {
    let Some(inner) = raw.strip_prefix('"') else { return Ok(Cow::Borrowed(raw)) };
    let Some(inner) = inner.strip_suffix('"') else {
        return Err(format!("quoted value without its closing quote: {}", preview(raw)));
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' && chars.next() != Some('"') {
            return Err(format!("a quote inside a quoted value is not doubled: {}", preview(raw)));
        }
    }
    Ok(Cow::Owned(out))
}

fn preview(raw: &str) -> String {
    let cut: String = raw.chars().take(60).collect();
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undoes_csv_quoting() {
        assert_eq!(unquote(r#""a ""b""""#).unwrap(), r#"a "b""#);
        assert_eq!(unquote(r#""Common Shares (""Shares"")""#).unwrap(), r#"Common Shares ("Shares")"#);
        assert_eq!(unquote(r#""""#).unwrap(), "");
        assert_eq!(unquote("plain").unwrap(), "plain");
        assert_eq!(unquote(r#"5" pipe"#).unwrap(), r#"5" pipe"#, "unquoted text is kept as it is");
        assert!(unquote(r#""open"#).unwrap_err().contains("closing quote"));
        assert!(unquote(r#""a "b""#).unwrap_err().contains("not doubled"));
        assert!(unquote(r#"""#).unwrap_err().contains("closing quote"));
    }

    #[test]
    fn reads_by_header_name_and_numbers_lines() {
        let text = "\u{feff}B\tA\r\n1\t\"x \"\"y\"\"\"\r\n\nonly-one\n3\t4\n".to_owned();
        let (tsv, bad) = Tsv::parse(text).unwrap();
        assert_eq!(tsv.len(), 2);
        let reason = "1 fields, the header has 2".into();
        assert_eq!(bad, [BadLine { line: 4, first_field: "only-one".into(), reason }]);
        let first = tsv.row(0);
        assert_eq!(first.line, 2);
        assert_eq!(first.get("A").unwrap().as_deref(), Some("x \"y\""));
        assert_eq!(first.get("B").unwrap().as_deref(), Some("1"));
        assert_eq!(first.get("C").unwrap(), None, "a column the header lacks reads as empty");
        assert_eq!(first.get_any(&["C", "A"]).unwrap().as_deref(), Some("x \"y\""));
        assert_eq!(tsv.row(1).line, 5);
        assert!(tsv.has_column("B") && !tsv.has_column("C"));
    }

    #[test]
    fn refuses_a_header_it_cannot_use() {
        assert_eq!(Tsv::parse(String::new()).unwrap_err(), TsvError::NoHeader);
        assert_eq!(Tsv::parse("A\tA\n".into()).unwrap_err(), TsvError::DuplicateColumn("A".into()));
        let (_, bad) = Tsv::parse("A\tB\n\"x\t1\n".into()).unwrap();
        assert!(bad.is_empty());
    }
}
