//! EDGAR submission envelopes around the ownership XML: the full submission
//! text (`<SEC-DOCUMENT>` with an `<SEC-HEADER>` of `KEY: value` lines) and
//! the dissemination feed (`<SUBMISSION>` with one `<TAG>value` per line,
//! sometimes with bare CR line ends). Both carry the accession number and
//! the filing date, and wrap each document in `<XML>…</XML>`.

use insider_bulk_core::domain::AccessionNumber;
use time::Date;

use super::values::yyyymmdd;
use super::ParseError;

/// What an envelope says about the filing, and the ownership XML inside it.
pub struct Envelope<'a> {
    pub accession: Option<AccessionNumber>,
    pub filing_date: Option<Date>,
    pub xml: &'a str,
}

/// Whether `text` is an envelope rather than a bare XML document.
pub fn is_envelope(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    start.starts_with("<SEC-DOCUMENT>") || start.starts_with("<SUBMISSION>") || start.starts_with("<SEC-HEADER>")
}

pub fn open(text: &str) -> Result<Envelope<'_>, ParseError> {
    let header_end = text.find("<DOCUMENT>").unwrap_or(text.len());
    let header = &text[..header_end];
    let mut accession = None;
    let mut filing_date = None;
    for line in header.split(['\n', '\r']) {
        let line = line.trim();
        let (key, value) = match line.split_once(':') {
            Some((k, v)) if !k.starts_with('<') => (k.trim(), v.trim()),
            _ => match line.strip_prefix('<').and_then(|l| l.split_once('>')) {
                Some((k, v)) => (k.trim(), v.trim()),
                None => continue,
            },
        };
        match key {
            "ACCESSION NUMBER" | "ACCESSION-NUMBER" if accession.is_none() => {
                let parsed = value
                    .parse::<AccessionNumber>()
                    .map_err(|e| ParseError::Header(format!("ACCESSION NUMBER: {e}")))?;
                accession = Some(parsed);
            }
            "FILED AS OF DATE" | "FILING-DATE" if filing_date.is_none() => {
                filing_date = Some(yyyymmdd(value).map_err(|e| ParseError::Header(format!("FILED AS OF DATE: {e}")))?);
            }
            _ => {}
        }
    }
    let xml = ownership_xml(&text[header_end..]).ok_or_else(|| {
        ParseError::NotOwnership("the submission contains no <XML> document with an <ownershipDocument>".into())
    })?;
    Ok(Envelope { accession, filing_date, xml })
}

/// The first `<XML>…</XML>` block that holds an ownership document.
fn ownership_xml(mut rest: &str) -> Option<&str> {
    while let Some(start) = rest.find("<XML>") {
        let body = &rest[start + "<XML>".len()..];
        let end = body.find("</XML>").unwrap_or(body.len());
        let block = &body[..end];
        if block.contains("<ownershipDocument") {
            return Some(block.trim_start_matches(['\r', '\n']));
        }
        rest = &body[end..];
    }
    None
}
