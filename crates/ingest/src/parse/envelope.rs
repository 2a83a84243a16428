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

use insider_bulk_core::domain::AccessionNumber;
use time::Date;

use super::input::{find, root_name};
use super::values::yyyymmdd;
use super::ParseError;

const OPENINGS: &[&[u8]] =
    &[b"<SEC-DOCUMENT>", b"<SUBMISSION>", b"<SEC-HEADER>", b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----"];

/// What an envelope says about the filing, and where its ownership XML is.
pub struct Envelope<'a> {
    pub accession: Option<AccessionNumber>,
    pub filing_date: Option<Date>,
    pub xml: &'a [u8],
    /// Where `xml` starts in the file, so that errors give file offsets.
    pub xml_offset: usize,
}

#[derive(Default)]
struct Header {
    accession: Option<AccessionNumber>,
    filing_date: Option<Date>,
    submission_type: Option<String>,
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
    Ok(Envelope { accession: header.accession, filing_date: header.filing_date, xml, xml_offset })
}

/// Reads `KEY: value` lines (`<SEC-DOCUMENT>`) and `<KEY>value` lines
/// (`<SUBMISSION>`); the first occurrence of a key wins, as later ones
/// belong to nested sections.
fn read_header(header: &[u8]) -> Result<Header, ParseError> {
    let mut h = Header::default();
    for line in header.split(|&b| b == b'\n' || b == b'\r') {
        let Some((key, value)) = key_value(line.trim_ascii()) else { continue };
        let text = || -> Result<&str, ParseError> {
            std::str::from_utf8(value).map_err(|_| header_error(key, "the value is not UTF-8 text".into()))
        };
        match key {
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
        let pem = b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----\nProc-Type: 2001,MIC-CLEAR\n<SEC-DOCUMENT>0000950123-09-000001.txt\n\
            <SEC-HEADER>\nACCESSION NUMBER:\t0000950123-09-000001\n<XML>\n<ownershipDocument/>\n</XML>\n";
        assert!(is_envelope(pem));
        let env = open(pem).unwrap();
        assert_eq!(env.accession.unwrap().as_str(), "0000950123-09-000001");
        assert!(env.xml.starts_with(b"\n<ownershipDocument/>"), "found without a <DOCUMENT> marker");
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
