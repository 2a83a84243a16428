//! Bad input: each gives one clear reason, nothing panics, nothing hangs.

use insider_bulk_ingest::parse::{parse_document, ParseError};
use insider_bulk_testing::fixtures_dir;

const GOOD: &str = "form4_0000899243-21-019441.xml";

fn good() -> String {
    std::fs::read_to_string(fixtures_dir().join(GOOD)).unwrap()
}

fn reason(bytes: &[u8]) -> String {
    parse_document(bytes, GOOD).expect_err("must be refused").to_string()
}

#[test]
fn truncated_xml() {
    let text = good();
    let half = &text.as_bytes()[..text.len() / 2];
    assert!(reason(half).starts_with("malformed XML"), "{}", reason(half));
}

#[test]
fn wrong_root_element() {
    let r = reason(b"<?xml version=\"1.0\"?><edgarSubmission><x/></edgarSubmission>");
    assert_eq!(r, "root element is <edgarSubmission>, expected <ownershipDocument>");
}

#[test]
fn not_xml_at_all() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    assert!(reason(png).starts_with("not UTF-8 text"), "{}", reason(png));
    assert!(reason(b"just some words").starts_with("malformed XML"));
}

#[test]
fn invalid_utf8_inside_a_document() {
    let mut bytes = good().into_bytes();
    let at = bytes.len() / 3;
    bytes[at] = 0xff;
    assert_eq!(parse_document(&bytes, GOOD).unwrap_err(), ParseError::InvalidUtf8 { offset: at });
}

#[test]
fn empty_file() {
    assert_eq!(reason(b""), "empty file");
    assert_eq!(reason(b" \n\t "), "empty file");
}

#[test]
fn fifty_megabytes() {
    let mut big = good().into_bytes();
    big.resize(50 * 1024 * 1024, b' ');
    assert!(reason(&big).contains("over the"), "{}", reason(&big));
}

#[test]
fn impossible_date() {
    let text = good().replace("<value>2021-05-11</value>", "<value>2021-02-30</value>");
    let r = reason(text.as_bytes());
    assert!(r.contains("transactionDate") && r.contains("2021-02-30"), "{r}");
    let period =
        good().replace("<periodOfReport>2021-05-11</periodOfReport>", "<periodOfReport>2021-02-30</periodOfReport>");
    assert!(reason(period.as_bytes()).starts_with("periodOfReport"), "{}", reason(period.as_bytes()));
}

#[test]
fn accession_in_a_wrong_shape() {
    let text = std::fs::read_to_string(fixtures_dir().join("form4_0000842517-24-000086.txt")).unwrap();
    let bad = text.replace("ACCESSION NUMBER:\t\t0000842517-24-000086", "ACCESSION NUMBER:\t\t0000842517-2400-0086");
    let r = reason(bad.as_bytes());
    assert!(r.starts_with("SEC header: ACCESSION NUMBER") && r.contains("##########-##-######"), "{r}");
}

#[test]
fn a_bad_amount_names_table_row_and_field() {
    let text = good().replace("<value>391269</value>", "<value>39l269</value>");
    let r = reason(text.as_bytes());
    assert!(r.starts_with("nonDerivativeTransaction 1 transactionShares"), "{r}");
}

#[test]
fn unsupported_form() {
    let text = good().replace("<documentType>4</documentType>", "<documentType>144</documentType>");
    assert!(reason(text.as_bytes()).starts_with("documentType"), "{}", reason(text.as_bytes()));
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let deep = format!("<ownershipDocument>{}{}</ownershipDocument>", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let _ = parse_document(deep.as_bytes(), GOOD); // an error or not, but no crash
}

#[test]
fn entity_expansion_is_refused() {
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]><ownershipDocument>&b;</ownershipDocument>";
    assert!(reason(bomb.as_bytes()).starts_with("malformed XML"), "{}", reason(bomb.as_bytes()));
}
