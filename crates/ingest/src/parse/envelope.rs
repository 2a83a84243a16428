//! EDGAR submission envelopes around the ownership XML: the full submission
//! text (`<SEC-DOCUMENT>` with an `<SEC-HEADER>` of `KEY:\tvalue` lines,
//! older ones behind a PEM banner) and the dissemination feed
//! (`<SUBMISSION>` with one `<TAG>value` per line, sometimes with bare CR
//! line ends). Both carry the accession number and filing date and wrap
//! each document's XML in `<XML>…</XML>`.
//!
//! Envelopes are read as bytes: an exhibit in another encoding (a
//! Windows-1252 power of attorney) must not make the filing unreadable, so
//! only the header values and the ownership XML need to be valid text.

use insider_bulk_core::domain::{AccessionNumber, Cik};
use time::{Date, PrimitiveDateTime};

use super::eastern::acceptance_to_utc;
use super::input::{find, root_name};
use super::values::yyyymmdd;
use super::ParseError;

const OPENINGS: &[&[u8]] =
    &[b"<SEC-DOCUMENT>", b"<SUBMISSION>", b"<SEC-HEADER>", b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----"];

/// What an envelope says about the filing, and where its ownership XML is.
pub struct Envelope<'a> {
    pub header: Header,
    pub xml: &'a [u8],
    /// Where `xml` starts in the file, so that errors give file offsets.
    pub xml_offset: usize,
}

/// What the SEC header says that the ownership XML does not.
#[derive(Default)]
pub struct Header {
    pub accession: Option<AccessionNumber>,
    pub filing_date: Option<Date>,
    /// `ACCEPTANCE-DATETIME`, in UTC; the dissemination feed has none.
    pub accepted_at: Option<PrimitiveDateTime>,
    /// Each reporting owner's SEC file number, by the owner's CIK.
    pub owner_file_numbers: Vec<(Cik, String)>,
    submission_type: Option<String>,
}

impl Header {
    pub fn file_number_of(&self, owner: &Cik) -> Option<&str> {
        self.owner_file_numbers.iter().find(|(cik, _)| cik == owner).map(|(_, number)| number.as_str())
    }
}

/// Whether a file (from its first non-blank byte) is an envelope.
pub fn is_envelope(start: &[u8]) -> bool {
    OPENINGS.iter().any(|opening| start.starts_with(opening))
}

pub fn open(bytes: &[u8]) -> Result<Envelope<'_>, ParseError> {
    // Without a `<DOCUMENT>` marker the whole file is both header and body.
    let documents = find(bytes, b"<DOCUMENT>");
    let header = read_header(bytes.get(..documents.unwrap_or(bytes.len())).unwrap_or_default())?;
    let (xml_offset, xml) = ownership_xml(bytes, documents.unwrap_or(0)).map_err(|e| match e {
        Missing::Document => {
            let kind = header.submission_type.as_deref().map(|t| format!(" (type {t})")).unwrap_or_default();
            ParseError::NotOwnership(format!(
                "the submission{kind} has no <XML> document whose root element is <ownershipDocument>"
            ))
        }
        Missing::End => ParseError::Xml("the ownership document's <XML> block never ends (truncated file?)".into()),
    })?;
    Ok(Envelope { header, xml, xml_offset })
}

/// Reads `KEY: value` lines (`<SEC-DOCUMENT>`) and `<KEY>value` lines
/// (`<SUBMISSION>`); the first occurrence of a key wins, as later ones
/// belong to nested sections. Owner sections (`REPORTING-OWNER`) are read
/// apart: each gives one owner's CIK and SEC file number.
fn read_header(header: &[u8]) -> Result<Header, ParseError> {
    let mut h = Header::default();
    let mut owner: Option<Option<Cik>> = None;
    for line in header.split(|&b| b == b'\n' || b == b'\r') {
        let Some((key, value)) = key_value(line.trim_ascii()) else { continue };
        let text = || -> Result<&str, ParseError> {
            std::str::from_utf8(value).map_err(|_| header_error(key, "the value is not UTF-8 text".into()))
        };
        match key {
            b"REPORTING-OWNER" => owner = Some(None),
            b"/REPORTING-OWNER" | b"ISSUER" | b"SUBJECT-COMPANY" | b"FILED-BY" | b"FILER" => owner = None,
            b"CENTRAL INDEX KEY" | b"CIK" if owner.is_some() => {
                owner = Some(Some(text()?.parse::<Cik>().map_err(|e| header_error(key, e.to_string()))?));
            }
            b"SEC FILE NUMBER" | b"FILE-NUMBER" if owner.is_some() => {
                if let (Some(Some(cik)), number) = (&owner, text()?) {
                    if !number.is_empty() {
                        h.owner_file_numbers.push((cik.clone(), number.chars().take(32).collect()));
                    }
                }
            }
            b"ACCEPTANCE-DATETIME" if h.accepted_at.is_none() => {
                h.accepted_at = Some(acceptance_to_utc(text()?).map_err(|e| header_error(key, e))?);
            }
            b"ACCESSION NUMBER" | b"ACCESSION-NUMBER" if h.accession.is_none() => {
                let accession = text()?.parse::<AccessionNumber>().map_err(|e| header_error(key, e.to_string()))?;
                h.accession = Some(accession);
            }
            b"FILED AS OF DATE" | b"FILING-DATE" if h.filing_date.is_none() => {
                h.filing_date = Some(yyyymmdd(text()?).map_err(|e| header_error(key, e))?);
            }
            b"CONFORMED SUBMISSION TYPE" | b"TYPE" if h.submission_type.is_none() => {
                h.submission_type = Some(text()?.chars().take(32).collect());
            }
            _ => {}
        }
    }
    Ok(h)
}

fn key_value(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let (key, value) = match line.strip_prefix(b"<") {
        Some(tag) => tag.split_at_checked(tag.iter().position(|&b| b == b'>')?)?,
        None => line.split_at_checked(line.iter().position(|&b| b == b':')?)?,
    };
    // Drop the `>` or `:` separator.
    Some((key.trim_ascii(), value.get(1..).unwrap_or_default().trim_ascii()))
}

fn header_error(key: &[u8], reason: String) -> ParseError {
    ParseError::Header(format!("{}: {reason}", String::from_utf8_lossy(key)))
}

enum Missing {
    Document,
    End,
}

/// The first `<XML>…</XML>` block whose root element is `ownershipDocument`,
/// and its offset in the file.
fn ownership_xml(bytes: &[u8], from: usize) -> Result<(usize, &[u8]), Missing> {
    const OPEN: &[u8] = b"<XML>";
    const CLOSE: &[u8] = b"</XML>";
    let mut pos = from;
    loop {
        let rest = bytes.get(pos..).unwrap_or_default();
        let start = pos + find(rest, OPEN).ok_or(Missing::Document)? + OPEN.len();
        let body = bytes.get(start..).unwrap_or_default();
        let end = find(body, CLOSE);
        let block = body.get(..end.unwrap_or(body.len())).unwrap_or_default();
        if root_name(block) == Some(b"ownershipDocument".as_slice()) {
            return if end.is_some() { Ok((start, block)) } else { Err(Missing::End) };
        }
        pos = start + end.ok_or(Missing::Document)? + CLOSE.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_of_both_formats() {
        let full = b"<SEC-DOCUMENT>x.txt : 20240501\r\nACCESSION NUMBER:\t\t0000842517-24-000086\r\n\
            CONFORMED SUBMISSION TYPE:\t4\r\nFILED AS OF DATE:\t\t20240501\r\n";
        let h = read_header(full).unwrap();
        assert_eq!(h.accession.unwrap().as_str(), "0000842517-24-000086");
        assert_eq!(h.filing_date.unwrap().to_string(), "2024-05-01");
        assert_eq!(h.submission_type.as_deref(), Some("4"));
        let feed = b"<SUBMISSION>\r<ACCESSION-NUMBER>0001562180-25-000280\r<TYPE>4/A\r<FILING-DATE>20250108\r";
        let h = read_header(feed).unwrap();
        assert_eq!(h.accession.unwrap().as_str(), "0001562180-25-000280");
        assert_eq!(h.filing_date.unwrap().to_string(), "2025-01-08");
        assert_eq!(h.submission_type.as_deref(), Some("4/A"));
        assert_eq!(h.accepted_at, None, "the dissemination feed has no acceptance time");
        let pem = b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----\nProc-Type: 2001,MIC-CLEAR\n<SEC-DOCUMENT>0000950123-09-000001.txt\n\
            <SEC-HEADER>\nACCESSION NUMBER:\t0000950123-09-000001\n<XML>\n<ownershipDocument/>\n</XML>\n";
        assert!(is_envelope(pem));
        let env = open(pem).unwrap();
        assert_eq!(env.header.accession.unwrap().as_str(), "0000950123-09-000001");
        assert!(env.xml.starts_with(b"\n<ownershipDocument/>"), "found without a <DOCUMENT> marker");
    }

    #[test]
    fn acceptance_time_and_each_owners_file_number() {
        let full = b"<SEC-DOCUMENT>x.txt : 20250307\n<ACCEPTANCE-DATETIME>20250307210008\n\
            ACCESSION NUMBER:\t\t0001493152-25-009612\nREPORTING-OWNER:\t\n\tOWNER DATA:\n\
            \t\tCENTRAL INDEX KEY:\t\t\t0001065521\n\tFILING VALUES:\n\t\tSEC FILE NUMBER:\t001-40143\n\
            REPORTING-OWNER:\n\t\tCENTRAL INDEX KEY:\t0001787613\n\t\tSEC FILE NUMBER:\t001-40144\n\
            ISSUER:\n\t\tCENTRAL INDEX KEY:\t0001835856\n\t\tSEC FILE NUMBER:\t999-99999\n";
        let h = read_header(full).unwrap();
        // 21:00:08 Eastern standard time is 02:00:08 UTC the next day.
        assert_eq!(h.accepted_at.unwrap().to_string(), "2025-03-08 2:00:08.0");
        assert_eq!(h.file_number_of(&"1065521".parse().unwrap()), Some("001-40143"));
        assert_eq!(h.file_number_of(&"1787613".parse().unwrap()), Some("001-40144"));
        assert_eq!(h.file_number_of(&"1835856".parse().unwrap()), None, "the issuer is no owner");
        let feed = b"<SUBMISSION>\r<REPORTING-OWNER>\r<OWNER-DATA>\r<CIK>0002009134\r</OWNER-DATA>\r\
            <FILING-VALUES>\r<FILE-NUMBER>001-40791\r</FILING-VALUES>\r</REPORTING-OWNER>\r<ISSUER>\r<CIK>0001860782\r";
        let h = read_header(feed).unwrap();
        assert_eq!(h.owner_file_numbers, vec![("2009134".parse().unwrap(), "001-40791".to_owned())]);
        let bad = read_header(b"<SEC-DOCUMENT>\n<ACCEPTANCE-DATETIME>2025030721\n").err().unwrap();
        assert!(bad.to_string().contains("ACCEPTANCE-DATETIME"), "{bad}");
    }

    #[test]
    fn skips_documents_that_are_not_ownership_xml() {
        let text = b"<SEC-DOCUMENT>\n<DOCUMENT>\n<TEXT>\n<XML>\n<other/>\n</XML>\n</TEXT>\n</DOCUMENT>\n<DOCUMENT>\n\
            <TEXT>\n<XML>\n<?xml version=\"1.0\"?>\n<ownershipDocument/>\n</XML>\n";
        let env = open(text).unwrap();
        assert!(env.xml.starts_with(b"\n<?xml"));
        assert_eq!(text.get(env.xml_offset..env.xml_offset + 6), Some(b"\n<?xml".as_slice()));
        let err = open(b"<SUBMISSION>\n<TYPE>144\n<DOCUMENT>\n<XML>\n<edgarSubmission/>\n</XML>\n").err().unwrap();
        assert!(err.to_string().contains("(type 144)"), "{err}");
        let cut = open(b"<SUBMISSION>\n<DOCUMENT>\n<XML>\n<ownershipDocument>\n<issuer>").err().unwrap();
        assert!(err.to_string().starts_with("not an ownership document"), "{err}");
        assert!(cut.to_string().contains("truncated"), "{cut}");
    }
}
