//! EDGAR's "Latest Filings" Atom feed (`cgi-bin/browse-edgar?action=getcurrent`),
//! read with a real XML parser and reduced to the ownership filings on it.

use insider_bulk_core::domain::{AccessionNumber, Cik, DocumentType};

/// The only form types kept. EDGAR matches the query's `type` as a prefix
/// (`type=4` lists 424B2, 485BXT, 497J...), so the entry's own
/// `category term` is compared exactly.
const OWNERSHIP_FORMS: [&str; 6] = ["3", "4", "5", "3/A", "4/A", "5/A"];

/// Entries per page, the most EDGAR serves.
pub const PAGE_SIZE: usize = 100;

/// The page of the feed of `form` (3, 4 or 5) starting at entry `start`,
/// relative to the EDGAR base URL.
pub fn feed_path(form: u8, start: usize) -> String {
    format!(
        "cgi-bin/browse-edgar?action=getcurrent&type={form}&company=&dateb=&owner=include&start={start}&count={PAGE_SIZE}&output=atom"
    )
}

/// One ownership filing listed on a page. EDGAR lists each filing twice
/// (as the owner's and as the issuer's); the page keeps it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFiling {
    pub accession: AccessionNumber,
    pub document_type: DocumentType,
    /// The CIK whose folder the entry's link points into.
    pub cik: Cik,
}

impl FeedFiling {
    /// The full submission text, in the folder of the entry's link:
    /// `Archives/edgar/data/{cik}/{accession without dashes}/{accession}.txt`.
    pub fn archive_path(&self) -> String {
        let acc = self.accession.as_str();
        let cik: u64 = self.cik.as_str().parse().unwrap_or_default();
        format!("Archives/edgar/data/{cik}/{}/{acc}.txt", acc.replace('-', ""))
    }
}

/// A page of the feed, reduced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedPage {
    /// Entries on the page, every form type counted: a short page is the last.
    pub entries: usize,
    /// Ownership filings, each once, in feed order.
    pub filings: Vec<FeedFiling>,
    /// Accessions of the page's other forms: they tell a page of news
    /// from a page already read as well.
    pub other_accessions: Vec<String>,
    /// Ownership entries that could not be read, with the reason.
    pub unreadable: Vec<String>,
}

/// The response as a whole is not a feed page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// Not XML at all, or cut off: an HTML error page, a truncated body.
    #[error("not a readable XML feed: {0}")]
    NotXml(String),
    #[error("XML, but not an Atom feed: the root element is <{0}>")]
    NotAtom(String),
}

impl FeedError {
    /// The metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedError::NotXml(_) => "not_xml",
            FeedError::NotAtom(_) => "not_atom",
        }
    }
}

/// Parses a page. The feed declares ISO-8859-1, which maps each byte to
/// the code point of the same value; UTF-8 bodies are read as UTF-8.
pub fn parse_feed(body: &[u8]) -> Result<FeedPage, FeedError> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(body.iter().map(|&b| char::from(b)).collect::<String>()),
    };
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 200_000, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&text, options).map_err(|e| FeedError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "feed" {
        return Err(FeedError::NotAtom(root.tag_name().name().to_owned()));
    }
    let mut page = FeedPage::default();
    let mut seen = std::collections::HashSet::new();
    for entry in root.children().filter(|n| n.has_tag_name("entry")) {
        page.entries += 1;
        let term = entry.children().find(|n| n.has_tag_name("category")).and_then(|c| c.attribute("term"));
        let Some(term) = term.map(str::trim) else {
            page.unreadable.push("an entry without a category term".into());
            continue;
        };
        let accession = entry_accession(entry);
        if !OWNERSHIP_FORMS.contains(&term) {
            page.other_accessions.extend(accession.map(|a| a.as_str().to_owned()));
            continue;
        }
        match read_entry(entry, term, accession) {
            Ok(filing) => {
                if seen.insert(filing.accession.clone()) {
                    page.filings.push(filing);
                }
            }
            Err(reason) => page.unreadable.push(reason),
        }
    }
    Ok(page)
}

fn child_text<'a>(entry: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    entry.children().find(|n| n.has_tag_name(name)).and_then(|n| n.text())
}

/// The accession from the entry's `id` (`urn:tag:sec.gov,2008:accession-number=…`).
fn entry_accession(entry: roxmltree::Node) -> Option<AccessionNumber> {
    let id = child_text(entry, "id")?;
    id.trim().rsplit_once("accession-number=")?.1.trim().parse().ok()
}

fn read_entry(entry: roxmltree::Node, term: &str, accession: Option<AccessionNumber>) -> Result<FeedFiling, String> {
    let title = child_text(entry, "title").unwrap_or("").trim().to_owned();
    let accession =
        accession.ok_or_else(|| format!("form {term} entry {title:?} has no accession number in its id"))?;
    let document_type: DocumentType = term.parse().map_err(|e| format!("{accession}: {e}"))?;
    let href = entry
        .children()
        .find(|n| n.has_tag_name("link"))
        .and_then(|l| l.attribute("href"))
        .ok_or_else(|| format!("{accession}: the entry has no link"))?;
    let cik = link_cik(href).ok_or_else(|| format!("{accession}: the link {href:?} names no CIK folder"))?;
    Ok(FeedFiling { accession, document_type, cik })
}

/// The CIK folder of a link `…/Archives/edgar/data/{cik}/{folder}/…-index.htm`.
fn link_cik(href: &str) -> Option<Cik> {
    let rest = href.split_once("/Archives/edgar/data/")?.1;
    let cik = rest.split('/').next()?;
    if cik.is_empty() || !cik.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cik.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: &str, id: &str, href: &str) -> String {
        format!(
            "<entry><title>{term} - X (1) (Reporting)</title><link rel=\"alternate\" href=\"{href}\"/>\
             <category scheme=\"https://www.sec.gov/\" label=\"form type\" term=\"{term}\"/><id>{id}</id></entry>"
        )
    }

    #[test]
    fn reads_entries_once_and_only_ownership_forms() {
        let mut feed = String::from(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?><feed xmlns=\"http://www.w3.org/2005/Atom\">",
        );
        let id = "urn:tag:sec.gov,2008:accession-number=0001865525-26-000028";
        feed += &entry("4", id, "https://www.sec.gov/Archives/edgar/data/1865525/000186552526000028/x-index.htm");
        feed += &entry("4", id, "https://www.sec.gov/Archives/edgar/data/1576280/000186552526000028/x-index.htm");
        feed +=
            &entry("424B2", "urn:tag:sec.gov,2008:accession-number=0000000001-26-000001", "/Archives/edgar/data/1/x");
        feed += &entry("4/A", "urn:tag:sec.gov,2008:no-accession", "/Archives/edgar/data/7/x");
        feed += "</feed>";
        let page = parse_feed(feed.as_bytes()).unwrap();
        assert_eq!(page.entries, 4);
        assert_eq!(page.filings.len(), 1);
        let filing = &page.filings[0];
        assert_eq!(
            filing.archive_path(),
            "Archives/edgar/data/1865525/000186552526000028/0001865525-26-000028.txt",
            "the folder of the first entry's link"
        );
        assert_eq!(page.other_accessions, ["0000000001-26-000001"]);
        assert_eq!(page.unreadable.len(), 1, "{:?}", page.unreadable);
    }

    #[test]
    fn refuses_what_is_not_a_feed() {
        assert!(matches!(parse_feed(b"<html><body>Too Many Requests"), Err(FeedError::NotXml(_))));
        assert!(matches!(parse_feed(b"<?xml version=\"1.0\"?><feed><entry><title>4 - X"), Err(FeedError::NotXml(_))));
        assert!(matches!(parse_feed(b"<html></html>"), Err(FeedError::NotAtom(_))));
        assert!(matches!(parse_feed(b""), Err(FeedError::NotXml(_))));
    }

    #[test]
    fn builds_the_query() {
        assert_eq!(
            feed_path(4, 200),
            "cgi-bin/browse-edgar?action=getcurrent&type=4&company=&dateb=&owner=include&start=200&count=100&output=atom"
        );
    }
}
