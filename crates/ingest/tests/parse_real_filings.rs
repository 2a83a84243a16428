//! Real EDGAR filings checked field by field against values read from the
//! documents by hand, across every envelope and schema generation.

use insider_bulk_core::filing::Filing;
use insider_bulk_ingest::parse::{parse_document, parse_to_json, ParseError};
use insider_bulk_testing::fixtures_dir;

fn parse(name: &str) -> Filing {
    let bytes = std::fs::read(fixtures_dir().join(name)).unwrap();
    parse_document(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_fixture_filing_parses_and_round_trips() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("form") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let json = parse_to_json(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Ok(filing) = parse_document(&bytes, &name) {
            let text = serde_json::to_string(&filing).unwrap();
            assert_eq!(serde_json::from_str::<Filing>(&text).unwrap(), filing, "{name} round trip");
            assert_eq!(serde_json::to_value(&filing).unwrap(), json);
        }
        count += 1;
    }
    assert_eq!(count, 34, "34 filing documents in the fixture set");
}

#[test]
fn tesla_form3_schema_x0203() {
    let f = parse("form3_0001181431-10-034759.xml");
    assert_eq!(f.accession_number.as_str(), "0001181431-10-034759");
    assert_eq!((f.document_type.to_string().as_str(), f.schema_version.as_deref()), ("3", Some("X0203")));
    assert_eq!(f.period_of_report.to_string(), "2010-06-28");
    assert_eq!(f.filing_date, None, "a bare XML document has no SEC header");
    assert_eq!(f.issuer.cik.as_str(), "0001318605");
    assert_eq!(
        (f.issuer.name.as_deref(), f.issuer.trading_symbol.as_deref()),
        (Some("TESLA MOTORS INC"), Some("TSLA"))
    );
    let musk = &f.reporting_owners[0];
    assert_eq!((musk.cik.as_str(), musk.name.as_deref()), ("0001494730", Some("Musk Elon")));
    assert_eq!((musk.is_director, musk.is_officer, musk.is_ten_percent_owner), (Some(true), Some(true), Some(true)));
    assert_eq!(musk.officer_title.as_deref(), Some("Pres, Prod Architect & Chairmn"));
    assert_eq!((f.derivative_holdings.len(), f.non_derivative_holdings.len(), f.footnotes.len()), (8, 1, 5));
    let series_a = &f.derivative_holdings[0];
    assert_eq!(series_a.security_title.as_deref(), Some("Series A Preferred Stock"));
    assert_eq!(series_a.conversion_or_exercise_price, None, "only a footnote, no value");
    assert_eq!(series_a.underlying_security_title.as_deref(), Some("Common Stock"));
    assert_eq!(series_a.underlying_security_shares, Some(4880343.0));
    assert_eq!(series_a.direct_or_indirect_ownership.as_deref(), Some("I"));
    assert_eq!(series_a.nature_of_ownership.as_deref(), Some("By Trust"));
    for field in ["conversion_or_exercise_price", "exercise_date", "expiration_date"] {
        assert_eq!(series_a.footnote_ids[field], ids(&["F1"]), "{field}");
    }
    assert!(f.remarks.is_some());
}

#[test]
fn many_rows_in_every_table() {
    let f = parse("form4_0000899243-21-019441.xml");
    let counts = (
        f.non_derivative_transactions.len(),
        f.non_derivative_holdings.len(),
        f.derivative_transactions.len(),
        f.derivative_holdings.len(),
        f.footnotes.len(),
    );
    assert_eq!(counts, (2, 18, 8, 6, 30));
    let t = &f.non_derivative_transactions[0];
    assert_eq!(t.security_title.as_deref(), Some("Class A Common Stock"));
    assert_eq!(t.transaction_date.unwrap().to_string(), "2021-05-11");
    assert_eq!((t.deemed_execution_date, t.transaction_timeliness.as_deref()), (None, None));
    assert_eq!((t.transaction_form_type.as_deref(), t.transaction_code.as_deref()), (Some("4"), Some("C")));
    assert_eq!(t.equity_swap_involved, Some(false));
    assert_eq!((t.shares, t.price_per_share), (Some(391269.0), None));
    assert_eq!(t.acquired_disposed_code.as_deref(), Some("A"));
    assert_eq!(t.footnote_ids["transaction_code"], ids(&["F1"]));
    assert_eq!(t.footnote_ids["price_per_share"], ids(&["F2"]));
    let codes: Vec<&str> = f.derivative_transactions.iter().filter_map(|t| t.transaction_code.as_deref()).collect();
    assert!(codes.iter().all(|c| ["C", "F", "X"].contains(c)), "{codes:?}");
}

#[test]
fn full_submission_text_with_sec_header() {
    let f = parse("form4_0000842517-24-000086.txt");
    assert_eq!(f.accession_number.as_str(), "0000842517-24-000086");
    assert_eq!(f.filing_date.unwrap().to_string(), "2024-05-01");
    assert_eq!(f.issuer.cik.as_str(), "0000842517");
    let t = &f.non_derivative_transactions[0];
    assert_eq!(t.security_title.as_deref(), Some("common"));
    assert_eq!((t.transaction_code.as_deref(), t.shares, t.price_per_share), (Some("P"), Some(275.634), Some(18.14)));
    assert_eq!(t.shares_owned_following_transaction, Some(15711.8844));
    assert_eq!(t.footnote_ids["shares_owned_following_transaction"], ids(&["F1"]));
}

#[test]
fn dissemination_sgml() {
    let f = parse("form4_0000002488-24-000005.sgml");
    assert_eq!(f.accession_number.as_str(), "0000002488-24-000005");
    assert_eq!(f.filing_date.unwrap().to_string(), "2024-01-17");
    assert_eq!((f.issuer.cik.as_str(), f.issuer.trading_symbol.as_deref()), ("0000002488", Some("AMD")));
    assert_eq!(f.reporting_owners[0].cik.as_str(), "0001674334");
    assert_eq!(f.aff10b5_one, Some(false));
    let codes: Vec<&str> = f.non_derivative_transactions.iter().filter_map(|t| t.transaction_code.as_deref()).collect();
    assert!(codes.iter().all(|c| ["F", "M"].contains(c)), "{codes:?}");
}

#[test]
fn dissemination_nc_with_bare_carriage_returns() {
    let bytes = std::fs::read(fixtures_dir().join("form4_0001562180-25-000280.nc")).unwrap();
    assert!(bytes.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'), "the fixture really has bare CRs");
    let f = parse("form4_0001562180-25-000280.nc");
    assert_eq!(f.accession_number.as_str(), "0001562180-25-000280");
    assert_eq!(f.filing_date.unwrap().to_string(), "2025-01-08");
    assert_eq!(f.reporting_owners[0].name.as_deref(), Some("Snow Jessica"));
    assert_eq!(f.reporting_owners[0].officer_title.as_deref(), Some("See Remarks"));
    let t = &f.non_derivative_transactions[0];
    assert_eq!(t.footnote_ids["security_title"], ids(&["F1"]));
    assert_eq!((t.transaction_code.as_deref(), t.equity_swap_involved), (Some("A"), Some(false)));
    assert_eq!((t.shares, t.price_per_share), (Some(106150.0), Some(0.0)));
}

#[test]
fn amendment_4a_carries_its_original_date() {
    let f = parse("form4A_0000707549-25-000004.txt");
    assert_eq!(f.document_type.to_string(), "4/A");
    assert_eq!(f.date_of_original_submission.unwrap().to_string(), "2024-11-04");
    assert_eq!(f.period_of_report.to_string(), "2024-11-04");
    assert_eq!(f.issuer.trading_symbol.as_deref(), Some("LRCX"));
    assert_eq!(f.reporting_owners[0].cik.as_str(), "0001779037");
    let t = &f.non_derivative_transactions[0];
    assert_eq!(
        (t.transaction_code.as_deref(), t.shares, t.acquired_disposed_code.as_deref()),
        (Some("G"), Some(3690.0), Some("D"))
    );
    assert_eq!(t.shares_owned_following_transaction, Some(0.0));
}

#[test]
fn form5_annual_statement() {
    let f = parse("form5_0000899243-22-006240.xml");
    assert_eq!(f.document_type.to_string(), "5");
    let t = &f.non_derivative_transactions[0];
    assert_eq!((t.transaction_form_type.as_deref(), t.transaction_code.as_deref()), (Some("5"), Some("G")));
    assert_eq!((t.shares, t.price_per_share), (Some(2234000.0), Some(0.0)));
    assert_eq!(t.footnote_ids["transaction_code"], ids(&["F1"]));
    assert_eq!(t.transaction_date.unwrap().to_string(), "2021-11-19");
}

#[test]
fn six_reporting_owners() {
    let f = parse("form4_0000950170-24-012830.xml");
    let owners: Vec<&str> = f.reporting_owners.iter().map(|o| o.cik.as_str()).collect();
    assert_eq!(owners, ["0001552273", "0001878230", "0001878232", "0001669609", "0001881891", "0001211060"]);
    assert_eq!(f.issuer.trading_symbol.as_deref(), Some("GUTS"));
}

#[test]
fn rule_10b5_1_flag_in_x0508() {
    let f = parse("form4_0001062993-24-008173.xml");
    assert_eq!((f.schema_version.as_deref(), f.aff10b5_one), (Some("X0508"), Some(true)));
    assert_eq!(f.issuer.trading_symbol.as_deref(), Some("RUM"));
}

#[test]
fn sec_specimen_3a_has_no_accession_anywhere() {
    let name = "form3A_sec-specimen_doc3a.xml";
    let bytes = std::fs::read(fixtures_dir().join(name)).unwrap();
    assert_eq!(parse_document(&bytes, name).unwrap_err(), ParseError::NoAccession);
    let json = parse_to_json(&bytes, name).unwrap();
    assert!(json["accession_number"].is_null());
    assert_eq!(json["document_type"], "3/A");
    assert_eq!(json["schema_version"], serde_json::Value::Null, "a schema-less document");
    assert_eq!(json["date_of_original_submission"], "2003-03-01");
    assert_eq!(json["issuer"]["cik"], "1212121212");
    assert_eq!(json["reporting_owners"][0]["cik"], "0000343434", "CIKs are zero-padded to 10 digits");
}
