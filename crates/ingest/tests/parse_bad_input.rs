//! Bad input: each is refused with one line that says what is wrong;
//! nothing panics, and nothing of any size takes long.

use insider_bulk_ingest::parse::{parse_document, ParseError};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/edgar");
/// A bare-XML Form 4 with transactions, holdings and footnotes.
const GOOD: &str = "form4_0000899243-21-019441.xml";
/// A full submission with an SEC header.
const SUBMISSION: &str = "form4_0000842517-24-000086.txt";
const MB50: usize = 50 * 1024 * 1024;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// The reason a document is refused, as the caller prints it.
fn reason(bytes: &[u8]) -> String {
    let reason = parse_document(bytes, GOOD).expect_err("must be refused").to_string();
    assert!(!reason.contains('\n') && reason.len() < 300, "one short line: {reason}");
    reason
}

/// Replaces the first occurrence, which must exist, so that a fixture edit
/// cannot silently miss.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is in the fixture");
    text.replacen(from, to, 1)
}

#[test]
fn truncated_xml() {
    let text = fixture(GOOD);
    let r = reason(&text.as_bytes()[..text.len() / 2]);
    assert!(r.starts_with("malformed XML:") && r.contains("truncated"), "{r}");
    let submission = fixture(SUBMISSION);
    let cut = &submission.as_bytes()[..submission.len() / 2];
    let r = parse_document(cut, SUBMISSION).unwrap_err().to_string();
    assert_eq!(r, "malformed XML: the ownership document's <XML> block never ends (truncated file?)");
}

#[test]
fn wrong_root_element() {
    let form144 =
        "<?xml version=\"1.0\"?>\n<edgarSubmission xmlns=\"http://www.sec.gov/edgar/ownership\"><x/></edgarSubmission>";
    assert_eq!(reason(form144.as_bytes()), "root element is <edgarSubmission>, expected <ownershipDocument>");
    let r = reason(
        b"<SEC-DOCUMENT>\nCONFORMED SUBMISSION TYPE:\t144\n<DOCUMENT>\n<TEXT>\n<XML>\n<edgarSubmission/>\n</XML>\n",
    );
    assert_eq!(r, "not an ownership document: the submission (type 144) has no <XML> document whose root element is <ownershipDocument>");
}

#[test]
fn not_xml_at_all() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00";
    assert_eq!(
        reason(png),
        r#"not XML or an EDGAR submission: the file starts with "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR""#
    );
    assert!(reason(b"Dear shareholder,").starts_with("not XML or an EDGAR submission"));
}

#[test]
fn invalid_utf8() {
    let mut bytes = fixture(GOOD).into_bytes();
    let at = bytes.len() / 3;
    bytes[at] = 0xff;
    assert_eq!(parse_document(&bytes, GOOD).unwrap_err(), ParseError::InvalidUtf8 { offset: at });
    assert!(reason(&bytes).starts_with(&format!("not UTF-8 text (invalid byte at offset {at};")));
}

#[test]
fn latin1_is_read_only_when_declared() {
    let text = edit(
        &fixture(GOOD),
        "<rptOwnerName>THIEL PETER</rptOwnerName>",
        "<rptOwnerName>TH\u{c9}IEL PETER</rptOwnerName>",
    );
    let latin1: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    assert!(reason(&latin1).starts_with("not UTF-8 text"));
    let declared = edit(&text, "<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>");
    let declared: Vec<u8> = declared.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let filing = parse_document(&declared, GOOD).unwrap();
    assert_eq!(filing.reporting_owners[0].name.as_deref(), Some("TH\u{c9}IEL PETER"));
}

#[test]
fn empty_file() {
    assert_eq!(reason(b""), "empty file");
    assert_eq!(reason(b" \r\n\t "), "empty file");
    assert_eq!(reason(b"\xEF\xBB\xBF\n"), "empty file");
}

#[test]
fn fifty_megabytes_of_anything() {
    let mut noise = b"\x89PNG\r\n\x1a\n".to_vec();
    noise.resize(MB50, 0);
    assert!(reason(&noise).starts_with("not XML"));
    // A real document padded to 50 MB parses; so does one with 50 MB of remarks.
    let mut padded = fixture(GOOD).into_bytes();
    padded.resize(MB50, b'\n');
    assert_eq!(parse_document(&padded, GOOD).unwrap().non_derivative_holdings.len(), 18);
    let long_remarks = format!("<remarks>{}</remarks>", "word ".repeat(MB50 / 5));
    let text = edit(&fixture(GOOD), "<remarks></remarks>", &long_remarks);
    assert_eq!(parse_document(text.as_bytes(), GOOD).unwrap().submission.remarks.map(|r| r.len()), Some(MB50 - 1));
    // Shapes that cost the XML parser more than linear time are refused up front.
    let attributes: String = (0..MB50 / 16).map(|i| format!(" a{i:08}=\"\"")).collect();
    let r = reason(format!("<ownershipDocument{attributes}/>").as_bytes());
    assert_eq!(r, "not a plausible ownership document: an element has more than 64 attributes");
    let namespaces: String = (0..MB50 / 24).map(|i| format!("<e xmlns:p{i:08}=\"u\">")).collect();
    assert!(reason(namespaces.as_bytes()).contains("namespace declarations"));
    let elements = format!("<ownershipDocument>{}</ownershipDocument>", "<a/>".repeat(MB50 / 4));
    assert!(reason(elements.as_bytes()).starts_with("not a plausible ownership document: more than 500000 XML nodes"));
    let deep = format!("<ownershipDocument>{}", "<a>".repeat(MB50 / 3));
    assert!(reason(deep.as_bytes()).starts_with("not a plausible"));
}

#[test]
fn impossible_date() {
    let text = edit(
        &fixture(GOOD),
        "<value>2021-05-11</value>\n            </transactionDate>",
        "<value>2021-02-30</value></transactionDate>",
    );
    let r = reason(text.as_bytes());
    assert_eq!(r, "nonDerivativeTransaction 1 (nonDerivativeTable row 1) transactionDate: \"2021-02-30\" is not a real calendar date");
    let period = edit(
        &fixture(GOOD),
        "<periodOfReport>2021-05-11</periodOfReport>",
        "<periodOfReport>2021-02-30</periodOfReport>",
    );
    assert_eq!(reason(period.as_bytes()), "periodOfReport: \"2021-02-30\" is not a real calendar date");
    let zoned = edit(
        &fixture(GOOD),
        "<periodOfReport>2021-05-11</periodOfReport>",
        "<periodOfReport>2021-05-11-05:00</periodOfReport>",
    );
    assert_eq!(parse_document(zoned.as_bytes(), GOOD).unwrap().submission.period_of_report.to_string(), "2021-05-11");
}

#[test]
fn accession_in_a_wrong_shape_in_the_sec_header() {
    let text = edit(
        &fixture(SUBMISSION),
        "ACCESSION NUMBER:\t\t0000842517-24-000086",
        "ACCESSION NUMBER:\t\t0000842517-2400-0086",
    );
    let r = parse_document(text.as_bytes(), SUBMISSION).unwrap_err().to_string();
    assert_eq!(r, "SEC header: ACCESSION NUMBER: invalid accession number \"0000842517-2400-0086\": expected ##########-##-######");
    let date = edit(&fixture(SUBMISSION), "FILED AS OF DATE:\t\t20240501", "FILED AS OF DATE:\t\t20240231");
    let r = parse_document(date.as_bytes(), SUBMISSION).unwrap_err().to_string();
    assert_eq!(r, "SEC header: FILED AS OF DATE: \"20240231\" is not a real calendar date");
}

#[test]
fn values_that_cannot_be_read_name_table_row_and_field() {
    let good = fixture(GOOD);
    let amount = edit(&good, "<value>391269</value>", "<value>39l269</value>");
    assert_eq!(
        reason(amount.as_bytes()),
        "nonDerivativeTransaction 1 (nonDerivativeTable row 1) transactionShares: \"39l269\" is not a number"
    );
    let flag = edit(&good, "<isDirector>1</isDirector>", "<isDirector>yes</isDirector>");
    assert_eq!(reason(flag.as_bytes()), "reportingOwner 1 isDirector: \"yes\" is not a boolean (0, 1, true or false)");
    let infinite = edit(&good, "<value>391269</value>", "<value>1e400</value>");
    assert!(reason(infinite.as_bytes()).ends_with("\"1e400\" is not a number"));
    let form = edit(&good, "<documentType>4</documentType>", "<documentType>144</documentType>");
    assert_eq!(
        reason(form.as_bytes()),
        "documentType: invalid document type \"144\": must be 3, 4, 5, 3/A, 4/A or 5/A"
    );
    let cik = edit(&good, "<issuerCik>0001321655</issuerCik>", "<issuerCik>PLTR</issuerCik>");
    assert_eq!(reason(cik.as_bytes()), "issuer issuerCik: invalid CIK \"PLTR\": expected 1 to 10 digits");
}

#[test]
fn a_row_that_cannot_be_kept_fails_the_document() {
    let good = fixture(GOOD);
    let stray = edit(&good, "</nonDerivativeTable>", "<nonDerivativeTransactoin/></nonDerivativeTable>");
    let r = reason(stray.as_bytes());
    assert_eq!(r, "nonDerivativeTable row 21: <nonDerivativeTransactoin> is not a row of this table, so the table cannot be read whole");
    let twice = edit(
        &good,
        "<value>391269</value>",
        "<value>391269</value></transactionShares><transactionShares><value>1</value>",
    );
    assert_eq!(
        reason(twice.as_bytes()),
        "nonDerivativeTransaction 1 (nonDerivativeTable row 1) transactionShares: appears more than once"
    );
}

#[test]
fn missing_parts() {
    let good = fixture(GOOD);
    let no_owner = good.find("<reportingOwner>").zip(good.find("</reportingOwner>"));
    let (from, to) = no_owner.unwrap();
    let without = format!("{}{}", &good[..from], &good[to + "</reportingOwner>".len()..]);
    assert_eq!(reason(without.as_bytes()), "missing reportingOwner");
    assert_eq!(
        reason(b"<ownershipDocument><documentType>4</documentType></ownershipDocument>"),
        "missing periodOfReport"
    );
}

#[test]
fn dtds_and_deep_nesting() {
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><ownershipDocument>&b;</ownershipDocument>";
    assert!(reason(bomb.as_bytes()).starts_with("malformed XML:"));
    let deep = format!("<ownershipDocument>{}{}</ownershipDocument>", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert_eq!(reason(deep.as_bytes()), "missing documentType");
    let row = format!("<nonDerivativeTable><nonDerivativeHolding>{}<footnoteId id=\"F1\"/>", "<a>".repeat(1000));
    let deep_note =
        edit(&fixture(GOOD), "<nonDerivativeTable>", &format!("{row}{}</nonDerivativeHolding>", "</a>".repeat(1000)));
    assert_eq!(
        reason(deep_note.as_bytes()),
        "nonDerivativeHolding 1 (nonDerivativeTable row 1) footnoteId: nested implausibly deep"
    );
}

/// Thousands of damaged copies of every fixture (bytes flipped, deleted,
/// duplicated, cut): each parses or is refused with a reason, never a panic.
#[test]
fn damaged_fixtures_never_panic() {
    let mut seed: u64 = 0x5eed;
    let mut next = move |bound: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % bound.max(1)
    };
    let mut names: Vec<_> = std::fs::read_dir(FIXTURES).unwrap().flatten().map(|e| e.file_name()).collect();
    names.retain(|n| n.to_string_lossy().starts_with("form"));
    let (mut parsed, mut refused) = (0, 0);
    for name in names {
        let name = name.to_string_lossy().into_owned();
        let original = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        for _ in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..1 + next(4) {
                if bytes.is_empty() {
                    break;
                }
                let at = next(bytes.len());
                match next(5) {
                    0 => bytes[at] = next(256) as u8,
                    1 => bytes[at] = b"<>/=\"&;"[next(7)],
                    2 => drop(bytes.drain(at..(at + next(64)).min(bytes.len()))),
                    3 => {
                        let from = next(original.len());
                        let copy = original[from..(from + next(200)).min(original.len())].to_vec();
                        bytes.splice(at..at, copy).for_each(drop);
                    }
                    _ => bytes.truncate(at),
                }
            }
            match parse_document(&bytes, &name) {
                Ok(_) => parsed += 1,
                Err(e) => {
                    assert!(!e.to_string().is_empty() && !e.to_string().contains('\n'), "{name}: {e}");
                    refused += 1;
                }
            }
        }
    }
    assert!(parsed > 100 && refused > 100, "both outcomes exercised: {parsed} parsed, {refused} refused");
}
