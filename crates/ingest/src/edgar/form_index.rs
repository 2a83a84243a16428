//! EDGAR's daily form index (`form.YYYYMMDD.idx`), reduced to the ownership
//! filings (Forms 3, 4, 5 and their amendments), one entry per accession.

use std::collections::HashSet;

use insider_bulk_core::domain::{AccessionNumber, Cik, DocumentType};
use time::{Date, Month};

/// The only form types kept; matched exactly so `424B3`, `40-F`, `S-4`... drop out.
const OWNERSHIP_FORMS: [&str; 6] = ["3", "4", "5", "3/A", "4/A", "5/A"];

/// One ownership filing listed in a daily form index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub form: DocumentType,
    pub company_name: String,
    pub cik: Cik,
    pub date_filed: Date,
    /// As in the index: `edgar/data/<cik>/<accession>.txt`, relative to `Archives/`.
    pub path: String,
    pub accession: AccessionNumber,
}

/// A parsed daily form index: the kept entries in index order, plus the
/// ownership lines that could not be read (1-based line number, reason).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormIndex {
    pub entries: Vec<IndexEntry>,
    pub skipped: Vec<(usize, String)>,
}

/// The file as a whole is not a form index (e.g. an HTML error page served with 200).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexFormatError {
    #[error("no `Form Type ... File Name` header line found")]
    MissingHeader,
    #[error("header line {0} has no `Company Name` column")]
    MissingCompanyColumn(usize),
}

/// `Archives/edgar/daily-index/{YYYY}/QTR{q}/form.{YYYYMMDD}.idx`, relative to the EDGAR base URL.
pub fn daily_index_path(date: Date) -> String {
    let quarter = (u8::from(date.month()) - 1) / 3 + 1;
    format!(
        "Archives/edgar/daily-index/{year:04}/QTR{quarter}/form.{year:04}{month:02}{day:02}.idx",
        year = date.year(),
        month = u8::from(date.month()),
        day = date.day(),
    )
}

/// `Archives/{path}` for an index path (`edgar/data/...`). A path that already
/// starts with `Archives/` (or `/`) is accepted as is, so callers may pass either.
pub fn filing_archive_path(path: &str) -> String {
    let path = path.trim_start_matches('/');
    if path.starts_with("Archives/") {
        path.to_owned()
    } else {
        format!("Archives/{path}")
    }
}

/// Parses a daily form index. Lines of other form types are dropped silently;
/// ownership lines that do not parse land in `skipped`; repeats of an
/// accession (EDGAR lists a filing once per filer: owner and issuer) are dropped.
pub fn parse_form_index(text: &str) -> Result<FormIndex, IndexFormatError> {
    let lines: Vec<&str> = text.lines().collect();
    let header_at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Form Type") && l.contains("File Name"))
        .ok_or(IndexFormatError::MissingHeader)?;
    // The form-type column ends where `Company Name` starts; form types such as
    // `SC 13G/A` contain spaces, so the first column cannot be split on whitespace.
    let company_col =
        lines[header_at].find("Company Name").ok_or(IndexFormatError::MissingCompanyColumn(header_at + 1))?;

    let mut body_start = header_at + 1;
    if lines.get(body_start).is_some_and(|l| !l.trim().is_empty() && l.trim().bytes().all(|b| b == b'-')) {
        body_start += 1;
    }

    let mut index = FormIndex::default();
    let mut seen = HashSet::new();
    for (i, line) in lines.iter().enumerate().skip(body_start) {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(form) = line.get(..company_col).map(str::trim) else {
            // Too short to hold the form column, so we cannot tell what it is: report it.
            index.skipped.push((line_no, format!("line shorter than the form-type column ({company_col} bytes)")));
            continue;
        };
        if !OWNERSHIP_FORMS.contains(&form) {
            continue;
        }
        match parse_entry(form, &line[company_col..]) {
            Ok(entry) => {
                if seen.insert(entry.accession.clone()) {
                    index.entries.push(entry);
                }
            }
            Err(reason) => index.skipped.push((line_no, reason)),
        }
    }
    Ok(index)
}

/// Parses `Company Name   CIK   Date Filed   File Name` from the right, because
/// company names contain spaces and may run past their nominal column.
fn parse_entry(form: &str, rest: &str) -> Result<IndexEntry, String> {
    let (rest, path) = split_last_token(rest).ok_or("missing file name")?;
    let (rest, date) = split_last_token(rest).ok_or("missing date filed")?;
    let (rest, cik) = split_last_token(rest).ok_or("missing CIK")?;
    let company_name = rest.trim();
    if company_name.is_empty() {
        return Err("missing company name".into());
    }
    let form: DocumentType = form.parse().map_err(|e| format!("{e}"))?;
    let cik: Cik = cik.parse().map_err(|e| format!("{e}"))?;
    let date_filed = parse_yyyymmdd(date)?;
    let accession = accession_from_path(path)?;
    Ok(IndexEntry { form, company_name: company_name.to_owned(), cik, date_filed, path: path.to_owned(), accession })
}

fn split_last_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_end();
    // The separator may be any Unicode space, several bytes long.
    let start = s.char_indices().rev().find(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8());
    (start < s.len()).then(|| (&s[..start], &s[start..]))
}

fn parse_yyyymmdd(s: &str) -> Result<Date, String> {
    let bad = || format!("invalid date filed {s:?}: expected YYYYMMDD");
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: i32 = s[..4].parse().map_err(|_| bad())?;
    let month: u8 = s[4..6].parse().map_err(|_| bad())?;
    let day: u8 = s[6..].parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// The index names the full submission text file, `edgar/data/<cik>/<accession>.txt`.
fn accession_from_path(path: &str) -> Result<AccessionNumber, String> {
    let bad = || format!("invalid file name {path:?}: expected edgar/data/<cik>/<accession>.txt");
    let file = path.strip_prefix("edgar/data/").and_then(|p| p.rsplit('/').next()).ok_or_else(bad)?;
    file.strip_suffix(".txt").ok_or_else(bad)?.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HEADER: &str = "Description:           Daily Index of EDGAR Dissemination Feed by Form Type
 
Form Type   Company Name                                                  CIK         Date Filed  File Name
---------------------------------------------------------------------------------------------------------------------------------------------
";

    fn row(form: &str, name: &str, cik: &str, date: &str, path: &str) -> String {
        format!("{form:<12}{name:<62}{cik:<12}{date:<12}{path}         \n")
    }

    #[test]
    fn keeps_exactly_the_six_ownership_forms_once_per_accession() {
        let mut text = HEADER.to_owned();
        let p = "edgar/data/1750/0001127602-20-011230.txt";
        text += &row("424B3", "X CORP", "1", "20200318", "edgar/data/1/0000000001-20-000001.txt");
        text += &row("40-F", "X CORP", "1", "20200318", "edgar/data/1/0000000001-20-000002.txt");
        text += &row("S-4", "X CORP", "1", "20200318", "edgar/data/1/0000000001-20-000003.txt");
        text += &row("SC 13G/A", "X CORP", "1", "20200318", "edgar/data/1/0000000001-20-000004.txt");
        text += &row("4", "AAR CORP", "1750", "20200318", p);
        text += &row("4", "Smith John Q", "1234567", "20200318", "edgar/data/1234567/0001127602-20-011230.txt");
        text += &row(
            "4/A",
            "A VERY LONG COMPANY NAME THAT RUNS RIGHT UP TO THE CIK COLUMN",
            "42",
            "20200318",
            "edgar/data/42/0000000042-20-000007.txt",
        );
        text += &row("5", "Doe Jane", "7", "20200317", "edgar/data/7/0000000007-20-000008.txt");
        let index = parse_form_index(&text).unwrap();
        assert!(index.skipped.is_empty(), "{:?}", index.skipped);
        let forms: Vec<String> = index.entries.iter().map(|e| e.form.to_string()).collect();
        assert_eq!(forms, ["4", "4/A", "5"]);
        let first = &index.entries[0];
        assert_eq!((first.company_name.as_str(), first.cik.as_str()), ("AAR CORP", "0000001750"));
        assert_eq!((first.path.as_str(), first.accession.as_str()), (p, "0001127602-20-011230"));
        assert_eq!(first.date_filed, date!(2020 - 03 - 18));
        assert_eq!(index.entries[1].company_name, "A VERY LONG COMPANY NAME THAT RUNS RIGHT UP TO THE CIK COLUMN");
    }

    #[test]
    fn reports_bad_ownership_lines_with_their_line_numbers() {
        let mut text = HEADER.to_owned();
        text += &row("4", "BAD CIK", "12x4", "20200318", "edgar/data/1/0000000001-20-000001.txt");
        text += &row("4", "BAD DATE", "1", "20200231", "edgar/data/1/0000000001-20-000002.txt");
        text += &row("3", "BAD PATH", "1", "20200318", "edgar/data/1/not-an-accession.txt");
        text += "4           ONLY A NAME\n";
        text += "4\n";
        text += &row("3", "GOOD", "1", "20200318", "edgar/data/1/0000000001-20-000003.txt");
        let index = parse_form_index(&text).unwrap();
        assert_eq!(index.entries.len(), 1);
        let lines: Vec<usize> = index.skipped.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, [5, 6, 7, 8, 9]);
        assert!(index.skipped[0].1.contains("CIK"), "{:?}", index.skipped[0]);
        assert!(index.skipped[1].1.contains("date"), "{:?}", index.skipped[1]);
        assert!(index.skipped[2].1.contains("file name"), "{:?}", index.skipped[2]);
    }

    /// Found by the form_index fuzz target (a 35-minute run): a multi-byte
    /// space before the last column was split one byte in, inside the
    /// character, and panicked.
    #[test]
    fn a_multi_byte_space_between_columns_is_a_separator() {
        let mut text = HEADER.to_owned();
        text += "4           X CORP\u{3000}1\u{3000}20200318\u{2003}edgar/data/1/0000000001-20-000001.txt\n";
        text += "4           Y CORP 1 20200318\u{3000}";
        let index = parse_form_index(&text).unwrap();
        assert_eq!(index.entries.len(), 1, "{:?}", index.skipped);
        assert_eq!(index.entries[0].company_name, "X CORP");
        assert_eq!(index.entries[0].accession.as_str(), "0000000001-20-000001");
        assert_eq!(index.skipped.len(), 1, "the line without a file name is reported");
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        assert_eq!(parse_form_index("<html>Too many requests</html>"), Err(IndexFormatError::MissingHeader));
    }

    #[test]
    fn builds_edgar_paths() {
        assert_eq!(daily_index_path(date!(2020 - 03 - 18)), "Archives/edgar/daily-index/2020/QTR1/form.20200318.idx");
        assert_eq!(daily_index_path(date!(2024 - 10 - 01)), "Archives/edgar/daily-index/2024/QTR4/form.20241001.idx");
        assert_eq!(filing_archive_path("edgar/data/1/a.txt"), "Archives/edgar/data/1/a.txt");
        assert_eq!(filing_archive_path("/Archives/edgar/data/1/a.txt"), "Archives/edgar/data/1/a.txt");
    }
}
