//! One seen filing's full submission text: fetched, checked whole, parsed.
//! What is not there yet (a 404, a cut-off text, an error page served
//! with 200) is worth asking for again; a whole text that does not parse
//! is not.

use insider_bulk_core::db::filings::FilingToStore;
use insider_bulk_core::db::watch::PendingFiling;
use reqwest::StatusCode;

use crate::edgar::{EdgarClient, EdgarError};
use crate::parse::parse_document;

/// What one fetch gave.
#[derive(Debug)]
pub enum Fetched {
    Filing(Box<FilingToStore>),
    /// Not (yet) the document: ask again later. `reason` is a metric label.
    Retry {
        reason: &'static str,
        detail: String,
    },
    /// The whole document, and it does not parse: the same bytes fail the
    /// same way.
    Malformed(String),
}

impl Fetched {
    fn retry(reason: &'static str, detail: impl ToString) -> Self {
        Fetched::Retry { reason, detail: detail.to_string() }
    }

    /// Whether EDGAR said to slow down.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Fetched::Retry { reason: "throttled", .. })
    }
}

pub async fn fetch(client: &EdgarClient, pending: &PendingFiling) -> Fetched {
    let path = pending.archive_path.as_str();
    let bytes = match client.fetch_filing(path).await {
        Ok(bytes) => bytes,
        Err(EdgarError::NotFound { url }) => {
            return Fetched::retry("not_found", format!("not there yet (HTTP 404): {url}"))
        }
        Err(EdgarError::Status { url, status: StatusCode::FORBIDDEN }) => {
            return Fetched::retry(
                "throttled",
                format!("EDGAR refused {url} (HTTP 403): over the rate or the User-Agent refused"),
            )
        }
        Err(e @ EdgarError::RetriesExhausted { .. }) if e.to_string().contains("429") => {
            return Fetched::retry("throttled", e)
        }
        Err(e) => return Fetched::retry("http", e),
    };
    if let Some(reason) = incomplete(&bytes) {
        return reason;
    }
    let source = path.trim_start_matches("Archives/").to_owned();
    let name = source.clone();
    let parsed = tokio::task::spawn_blocking(move || parse_document(&bytes, &name)).await;
    let filing = match parsed {
        Ok(Ok(filing)) => filing,
        Ok(Err(e)) => return Fetched::Malformed(e.to_string()),
        Err(panicked) => return Fetched::Malformed(format!("the parser failed: {panicked}")),
    };
    // The header names the filing; a text of another accession at this
    // path is a fault upstream, not this filing.
    let named = filing.submission.accession_number.as_str();
    if named != pending.accession_number {
        return Fetched::retry("accession_mismatch", format!("{path} holds accession {named}"));
    }
    if filing.submission.filing_date.is_none() {
        return Fetched::Malformed("the SEC header has no filing date".into());
    }
    Fetched::Filing(Box::new(FilingToStore { filing, loaded_from: source }))
}

/// An HTML page where the text should be, or a text cut off before its
/// end: what a CDN or a document still being written serves.
fn incomplete(bytes: &[u8]) -> Option<Fetched> {
    let start = &bytes[bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len())..];
    let head = String::from_utf8_lossy(&start[..start.len().min(64)]).to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Some(Fetched::retry(
            "html",
            format!("an HTML page ({} bytes) instead of the submission text", bytes.len()),
        ));
    }
    let end = &bytes[bytes.len().saturating_sub(64)..];
    let closed =
        [&b"</SEC-DOCUMENT>"[..], b"</SUBMISSION>"].iter().any(|tag| end.windows(tag.len()).any(|w| w == *tag));
    (!closed).then(|| {
        Fetched::retry("truncated", format!("the submission text ends before </SEC-DOCUMENT> ({} bytes)", bytes.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_pages_and_cut_texts_from_whole_ones() {
        let whole = b"<SEC-DOCUMENT>x\n<XML></XML></TEXT></DOCUMENT></SEC-DOCUMENT>\n";
        assert!(incomplete(whole).is_none());
        assert!(matches!(incomplete(b"\n<!DOCTYPE html><html>"), Some(Fetched::Retry { reason: "html", .. })));
        assert!(matches!(incomplete(b"<SEC-DOCUMENT>x\n<XML><own"), Some(Fetched::Retry { reason: "truncated", .. })));
        assert!(matches!(incomplete(b""), Some(Fetched::Retry { reason: "truncated", .. })));
    }
}
