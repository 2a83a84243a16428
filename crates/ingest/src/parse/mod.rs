//! The ownership-document parser: bare `<ownershipDocument>` XML, full EDGAR
//! submissions and dissemination files, every schema version in use. Every
//! row of every table is kept; a document that cannot be read whole fails
//! with one line that says why, and nothing panics.

mod document;
mod envelope;
mod values;

use insider_bulk_core::domain::AccessionNumber;
use insider_bulk_core::filing::Filing;

/// Ownership documents are kilobytes; a full submission with exhibits a few
/// megabytes. Past this, a file is refused before it is read as XML.
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty file")]
    Empty,
    #[error("file is {size} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit for an ownership document")]
    TooLarge { size: usize },
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    InvalidUtf8 { offset: usize },
    #[error("not an ownership document: {0}")]
    NotOwnership(String),
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("root element is <{0}>, expected <ownershipDocument>")]
    WrongRoot(String),
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("SEC header: {0}")]
    Header(String),
    #[error("no accession number: not in an SEC header and not in the file name")]
    NoAccession,
}

/// Parses one document. `source_name` (a file name or URL) supplies the
/// accession number when the document has no SEC header.
pub fn parse_document(bytes: &[u8], source_name: &str) -> Result<Filing, ParseError> {
    parse(bytes, Some(source_name))
}

/// Parses a document that may have no accession number anywhere (a bare XML
/// file under an arbitrary name) into its JSON, with `accession_number`
/// null. Such a document can be inspected but not stored.
pub fn parse_to_json(bytes: &[u8], source_name: &str) -> Result<serde_json::Value, ParseError> {
    match parse(bytes, Some(source_name)) {
        Ok(filing) => Ok(serde_json::to_value(&filing).expect("a Filing always serializes")),
        Err(ParseError::NoAccession) => {
            let filing = parse(bytes, None)?;
            let mut json = serde_json::to_value(&filing).expect("a Filing always serializes");
            json["accession_number"] = serde_json::Value::Null;
            Ok(json)
        }
        Err(e) => Err(e),
    }
}

/// Without a source name, a document lacking a header accession gets an
/// all-zero placeholder that `parse_to_json` replaces with null.
fn parse(bytes: &[u8], source_name: Option<&str>) -> Result<Filing, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError::TooLarge { size: bytes.len() });
    }
    let latin1;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if declares_latin1(bytes) => {
            let _ = e;
            latin1 = bytes.iter().map(|&b| char::from(b)).collect::<String>();
            latin1.as_str()
        }
        Err(e) => return Err(ParseError::InvalidUtf8 { offset: e.valid_up_to() }),
    };
    let (xml, header_accession, filing_date) = if envelope::is_envelope(text) {
        let env = envelope::open(text)?;
        (env.xml, env.accession, env.filing_date)
    } else {
        (text, None, None)
    };
    let accession = match (header_accession, source_name) {
        (Some(accession), _) => accession,
        (None, Some(name)) => AccessionNumber::find_in(name).ok_or(ParseError::NoAccession)?,
        (None, None) => "0000000000-00-000000".parse().expect("a valid placeholder"),
    };
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..roxmltree::ParsingOptions::default() };
    let xml = strip_declaration_encoding(xml);
    let doc =
        roxmltree::Document::parse_with_options(xml.trim(), options).map_err(|e| ParseError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if !root.has_tag_name("ownershipDocument") {
        return Err(ParseError::WrongRoot(root.tag_name().name().chars().take(64).collect()));
    }
    let p = document::filing_fields(root)?;
    Ok(Filing {
        accession_number: accession,
        document_type: p.document_type,
        schema_version: p.schema_version,
        period_of_report: p.period_of_report,
        filing_date,
        date_of_original_submission: p.date_of_original_submission,
        no_securities_owned: p.no_securities_owned,
        not_subject_to_section16: p.not_subject_to_section16,
        form3_holdings_reported: p.form3_holdings_reported,
        form4_transactions_reported: p.form4_transactions_reported,
        aff10b5_one: p.aff10b5_one,
        issuer: p.issuer,
        reporting_owners: p.reporting_owners,
        non_derivative_transactions: p.non_derivative_transactions,
        non_derivative_holdings: p.non_derivative_holdings,
        derivative_transactions: p.derivative_transactions,
        derivative_holdings: p.derivative_holdings,
        footnotes: p.footnotes,
        remarks: p.remarks,
        owner_signatures: p.owner_signatures,
    })
}

/// Whether the XML declaration names a single-byte Latin encoding, which
/// some older filer software still writes.
fn declares_latin1(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    head.contains("encoding=\"iso-8859-1\"")
        || head.contains("encoding=\"windows-1252\"")
        || head.contains("encoding='iso-8859-1'")
}

/// The text is already decoded; roxmltree refuses non-UTF-8 declarations.
fn strip_declaration_encoding(xml: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = xml.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<?xml") {
        if let Some(end) = trimmed.find("?>") {
            let decl = &trimmed[..end];
            if decl.to_ascii_lowercase().contains("encoding") && !decl.to_ascii_lowercase().contains("utf-8") {
                return std::borrow::Cow::Owned(trimmed[end + 2..].to_owned());
            }
        }
    }
    std::borrow::Cow::Borrowed(trimmed)
}
