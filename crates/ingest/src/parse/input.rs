//! Raw bytes before they reach the XML parser: where the content starts,
//! what the root element is, how the text is encoded, and a linear-time
//! screen for shapes that are harmless in a real filing but quadratic in
//! the XML parser (thousands of attributes on one element, thousands of
//! namespace declarations), so that no input of any size can stall a load.

use std::borrow::Cow;

use super::ParseError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Real ownership documents carry at most a handful of attributes per
/// element and one or two namespace declarations.
const MAX_ATTRIBUTES_PER_ELEMENT: usize = 64;
const MAX_NAMESPACE_DECLARATIONS: usize = 64;

/// The offset of the first byte after a byte-order mark and blank space,
/// or `None` when there is nothing else.
pub fn content_start(bytes: &[u8]) -> Option<usize> {
    let skipped = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let rest = bytes.get(skipped..)?;
    rest.iter().position(|b| !b.is_ascii_whitespace()).map(|p| p + skipped)
}

/// The first bytes of a file that is not XML, printable in an error line.
pub fn preview(start: &[u8]) -> String {
    start.iter().take(16).flat_map(|b| b.escape_ascii()).map(char::from).collect()
}

/// Byte-string search. The needles are short tags, so the cost is a scan
/// for their first byte.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if haystack.get(at + 1..)?.starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The name of the root element, past any XML declaration, comments and
/// processing instructions; `None` when the text does not start like XML.
pub fn root_name(xml: &[u8]) -> Option<&[u8]> {
    let mut rest = xml;
    loop {
        rest = rest.strip_prefix(BOM).unwrap_or(rest).trim_ascii_start();
        let skip_to: &[u8] = if rest.starts_with(b"<?") {
            b"?>"
        } else if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<!") {
            b">"
        } else {
            let tag = rest.strip_prefix(b"<")?;
            let end = tag.iter().position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/');
            return tag.get(..end.unwrap_or(tag.len()));
        };
        rest = rest.get(find(rest, skip_to)? + skip_to.len()..)?;
    }
}

/// UTF-8 text, or ISO-8859-1 when the XML declaration says so (older filer
/// software); anything else that is not UTF-8 is refused. `offset` is where
/// `xml` starts in the file, so the error names the file offset.
pub fn decode(xml: &[u8], offset: usize) -> Result<Cow<'_, str>, ParseError> {
    if declares_latin1(xml) {
        return Ok(Cow::Owned(xml.iter().map(|&b| char::from(b)).collect()));
    }
    std::str::from_utf8(xml)
        .map(Cow::Borrowed)
        .map_err(|e| ParseError::InvalidUtf8 { offset: offset + e.valid_up_to() })
}

fn declares_latin1(xml: &[u8]) -> bool {
    let start = content_start(xml).and_then(|s| xml.get(s..)).unwrap_or_default();
    let Some(declaration) = start.strip_prefix(b"<?xml") else { return false };
    let Some(end) = find(declaration, b"?>") else { return false };
    let declaration = declaration.get(..end).unwrap_or_default().to_ascii_lowercase();
    let Some(at) = find(&declaration, b"encoding") else { return false };
    let value = declaration.get(at + b"encoding".len()..).unwrap_or_default();
    let value = value.trim_ascii_start().strip_prefix(b"=").unwrap_or_default().trim_ascii_start();
    let Some((&quote, value)) = value.split_first() else { return false };
    let name = value.split(|&b| b == quote).next().unwrap_or_default();
    matches!(name, b"iso-8859-1" | b"iso8859-1" | b"iso_8859-1" | b"latin1" | b"latin-1" | b"l1")
}

/// One pass over the tags, outside comments, CDATA and processing
/// instructions, counting `=` per start tag and `xmlns` declarations.
pub fn screen(xml: &str) -> Result<(), ParseError> {
    let b = xml.as_bytes();
    let mut namespaces = 0;
    let mut pos = 0;
    while let Some(lt) = xml.get(pos..).and_then(|rest| rest.find('<')) {
        let tag = pos + lt;
        let rest = b.get(tag..).unwrap_or_default();
        let close: &[u8] = if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<![CDATA[") {
            b"]]>"
        } else if rest.starts_with(b"<?") {
            b"?>"
        } else {
            let (end, attributes, declared) = scan_tag(rest);
            namespaces += declared;
            if attributes > MAX_ATTRIBUTES_PER_ELEMENT {
                return Err(ParseError::Implausible(format!(
                    "an element has more than {MAX_ATTRIBUTES_PER_ELEMENT} attributes"
                )));
            }
            if namespaces > MAX_NAMESPACE_DECLARATIONS {
                return Err(ParseError::Implausible(format!(
                    "more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations"
                )));
            }
            pos = tag + end;
            continue;
        };
        // An unterminated comment or section is the XML parser's to report.
        match find(rest, close) {
            Some(end) => pos = tag + end + close.len(),
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Length of a tag up to its `>` (outside quoted values), how many
/// attributes it has, and how many of them declare namespaces.
fn scan_tag(tag: &[u8]) -> (usize, usize, usize) {
    let (mut attributes, mut declared, mut quote) = (0, 0, None);
    for (i, &c) in tag.iter().enumerate().skip(1) {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return (i + 1, attributes, declared),
            (None, b'=') => attributes += 1,
            (None, b'x') if tag.get(i + 1..).is_some_and(|r| r.starts_with(b"mlns")) => declared += 1,
            _ => {}
        }
    }
    (tag.len(), attributes, declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_past_prologs() {
        assert_eq!(
            root_name(b"\xEF\xBB\xBF\r\n<?xml version=\"1.0\"?>\n<!-- c --><ownershipDocument>"),
            Some(b"ownershipDocument".as_slice())
        );
        assert_eq!(root_name(b"<edgarSubmission xmlns=\"x\">"), Some(b"edgarSubmission".as_slice()));
        assert_eq!(root_name(b"<html/>"), Some(b"html".as_slice()));
        assert_eq!(root_name(b"plain text"), None);
        assert_eq!(root_name(b"<?xml never closed"), None);
    }

    #[test]
    fn latin1_only_when_declared() {
        let declared = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xE9</a>";
        assert_eq!(decode(declared, 0).unwrap(), "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>");
        let undeclared = b"<?xml version=\"1.0\"?><a>caf\xE9</a>";
        assert_eq!(decode(undeclared, 100).unwrap_err(), ParseError::InvalidUtf8 { offset: 127 });
        assert!(decode(b"<?xml version='1.0' encoding = 'latin1' ?><a>\xE9</a>", 0).is_ok());
        assert!(decode(b"<?xml version='1.0' encoding='windows-1252'?><a>\x93</a>", 0).is_err());
    }

    #[test]
    fn screens_pathological_shapes_only() {
        assert!(screen("<a x=\"1=2\" y='>'><!-- <b c=d e=f> --><![CDATA[<<==]]><b/></a>").is_ok());
        let many: String = (0..100).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(screen(&format!("<r{many}/>")).is_err());
        let nested: String = (0..100).map(|i| format!("<e xmlns:p{i}=\"u\">")).collect();
        assert!(screen(&nested).unwrap_err().to_string().contains("namespace"));
        assert!(screen("<a b=\"unterminated").is_ok());
    }

    #[test]
    fn byte_search() {
        assert_eq!(find(b"ab<XML>", b"<XML>"), Some(2));
        assert_eq!(find(b"<XM<XML", b"<XML>"), None);
        assert_eq!(find(b"", b"<"), None);
    }
}
