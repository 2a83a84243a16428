//! The ownership-document parser: bare `<ownershipDocument>` XML, full EDGAR
//! submissions and dissemination-feed files, every schema version in use.
//! Every row of every table is kept; a document that cannot be read whole
//! fails with one line that says why. Nothing panics and nothing is
//! slower than linear in the input, whatever the input.

mod document;
mod eastern;
mod envelope;
mod footnotes;
mod input;
mod tables;
mod values;
mod xml;

use insider_bulk_core::domain::AccessionNumber;
use insider_bulk_core::filing::Filing;

/// Far above any real document (a 30-row, 10-owner filing is about 10,000
/// nodes), and bounds the parser's memory on a huge file.
const MAX_XML_NODES: u32 = 500_000;

/// Why a document was refused. The `Display` text is one line, printed by
/// callers as `file: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty file")]
    Empty,
    #[error("not XML or an EDGAR submission: the file starts with \"{0}\"")]
    NotXml(String),
    #[error(
        "not UTF-8 text (invalid byte at offset {offset}; ISO-8859-1 is read only when the XML declaration names it)"
    )]
    InvalidUtf8 { offset: usize },
    #[error("not an ownership document: {0}")]
    NotOwnership(String),
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("not a plausible ownership document: {0}")]
    Implausible(String),
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
    #[error("cannot write the filing as JSON: {0}")]
    Json(String),
}

/// Parses one document. The accession number comes from the SEC header when
/// there is one, else from `source_name` (a file name or URL).
pub fn parse_document(bytes: &[u8], source_name: &str) -> Result<Filing, ParseError> {
    let parsed = read(bytes)?;
    let accession = match parsed.header.as_ref().and_then(|h| h.accession.clone()) {
        Some(accession) => accession,
        None => AccessionNumber::find_in(source_name).ok_or(ParseError::NoAccession)?,
    };
    Ok(parsed.body.into_filing(accession, parsed.header.as_ref()))
}

/// A document parsed whether or not its accession number was found.
pub struct Inspected {
    pub filing: Filing,
    /// False when neither an SEC header nor the source name held one: the
    /// filing then carries a stand-in that must not be shown or stored.
    pub accession_found: bool,
}

/// Parses a document even when its accession number is nowhere to be found
/// (SEC's specimen files, files saved under other names). Such a document
/// can be inspected but not stored.
pub fn parse_for_inspection(bytes: &[u8], source_name: &str) -> Result<Inspected, ParseError> {
    let parsed = read(bytes)?;
    let found =
        parsed.header.as_ref().and_then(|h| h.accession.clone()).or_else(|| AccessionNumber::find_in(source_name));
    let accession_found = found.is_some();
    let accession = match found {
        Some(accession) => accession,
        // Never shown: the model has no accession-less filing.
        None => "0000000000-00-000000".parse().map_err(|e| ParseError::Json(format!("{e}")))?,
    };
    let filing = parsed.body.into_filing(accession, parsed.header.as_ref());
    Ok(Inspected { filing, accession_found })
}

struct Parsed {
    /// The SEC header of a full submission; `None` for a bare XML document.
    header: Option<envelope::Header>,
    body: document::Body,
}

fn read(bytes: &[u8]) -> Result<Parsed, ParseError> {
    let start = input::content_start(bytes).ok_or(ParseError::Empty)?;
    let head = bytes.get(start..).unwrap_or_default();
    let (xml, xml_offset, header) = if envelope::is_envelope(head) {
        let envelope = envelope::open(bytes)?;
        (envelope.xml, envelope.xml_offset, Some(envelope.header))
    } else if head.starts_with(b"<") {
        (bytes, 0, None)
    } else {
        return Err(ParseError::NotXml(input::preview(head)));
    };
    let text = input::decode(xml, xml_offset)?;
    // The XML parser wants the declaration first: drop what precedes it
    // (a byte-order mark, the line break after an envelope's `<XML>`).
    let text = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_ascii_whitespace());
    input::screen(text)?;
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_XML_NODES, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(xml_error)?;
    let root = doc.root_element();
    if root.tag_name().name() != "ownershipDocument" {
        return Err(ParseError::WrongRoot(root.tag_name().name().chars().take(64).collect()));
    }
    Ok(Parsed { header, body: document::read(root)? })
}

fn xml_error(e: roxmltree::Error) -> ParseError {
    match e {
        roxmltree::Error::NodesLimitReached => ParseError::Implausible(format!("more than {MAX_XML_NODES} XML nodes")),
        roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
            ParseError::Xml(format!("{e} (truncated file?)"))
        }
        other => ParseError::Xml(other.to_string()),
    }
}
