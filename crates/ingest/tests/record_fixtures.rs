//! The per-filing record (`FilingRecord`, the `.jsonl.gz` line and the
//! `parse` output) of real EDGAR filings, read in place from
//! `shared/fixtures/edgar`; every expected value is read off the fixture's
//! XML or SEC header by hand.

use insider_bulk_core::db::filings::Links;
use insider_bulk_core::record::FilingRecord;
use insider_bulk_ingest::parse::parse_document;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/edgar");

fn record(name: &str, links: Option<&Links>) -> Value {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let filing = parse_document(&bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::to_value(FilingRecord::new(&filing, links)).unwrap()
}

#[test]
fn form4_footnotes_sit_on_shares_and_price() {
    let r = record("form4_0001628280-23-010740.xml", None);
    let top = [
        ("accessionNo", json!("0001628280-23-010740")),
        ("documentType", json!("4")),
        ("filedAt", Value::Null),
        ("acceptedAt", Value::Null),
        ("periodOfReport", json!("2023-04-03")),
        ("schemaVersion", json!("X0407")),
        ("notSubjectToSection16", json!(false)),
        ("noSecuritiesOwned", json!(false)),
        ("aff10b5One", json!(true)),
        ("isAmendment", json!(false)),
        ("originalAccessionNo", Value::Null),
        ("supersededByAccessionNo", Value::Null),
        ("isSuperseded", json!(false)),
        // A bare XML document has no filing date: lateness unknown.
        ("isLate", Value::Null),
        ("businessDaysToFile", Value::Null),
        ("ownerSignatureName", json!("/s/ David Ritenour, Attorney-in-Fact")),
        ("ownerSignatureDate", json!("2023-04-04")),
        (
            "indexUrl",
            json!("https://www.sec.gov/Archives/edgar/data/1820953/000162828023010740/0001628280-23-010740-index.htm"),
        ),
        ("xmlUrl", Value::Null),
        ("source", json!("edgar_document")),
    ];
    for (key, expected) in top {
        assert_eq!(r[key], expected, "{key}");
    }
    assert_eq!(r["issuer"], json!({"cik": "0001820953", "name": "Affirm Holdings, Inc.", "tradingSymbol": "AFRM"}));
    let sale = json!({
        "securityTitle": {"value": "Class A Common Stock"},
        "transactionDate": {"value": "2023-04-03"},
        "transactionCoding": {"transactionFormType": "4", "transactionCode": "S", "equitySwapInvolved": false},
        "transactionAmounts": {
            "transactionShares": {"value": 17286.0, "footnoteIds": ["F1"]},
            "transactionPricePerShare": {"value": 11.1484, "footnoteIds": ["F2"]},
            "transactionAcquiredDisposedCode": {"value": "D"},
        },
        "postTransactionAmounts": {"sharesOwnedFollowingTransaction": {"value": 0.0}},
        "ownershipNature": {"directOrIndirectOwnership": {"value": "D"}},
    });
    assert_eq!(r["nonDerivativeTable"]["transactions"], json!([sale]));
    let holdings = r["nonDerivativeTable"]["holdings"].as_array().unwrap();
    assert_eq!(holdings.len(), 3);
    assert_eq!(
        holdings[0],
        json!({
            "securityTitle": {"value": "Class A Common Stock"},
            "postTransactionAmounts": {"sharesOwnedFollowingTransaction": {"value": 75000.0}},
            "ownershipNature": {
                "directOrIndirectOwnership": {"value": "I"},
                "natureOfOwnership": {"value": "By FF Affirm Growth, LLC", "footnoteIds": ["F3"]},
            },
        })
    );
    assert_eq!(r["derivativeTable"], json!({"transactions": [], "holdings": []}), "no null arrays");
    let footnotes = r["footnotes"].as_array().unwrap();
    assert_eq!(footnotes.iter().map(|f| f["id"].as_str().unwrap()).collect::<Vec<_>>(), ["F1", "F2", "F3"]);
    assert!(footnotes[0]["text"].as_str().unwrap().starts_with("The sales reported in this Form 4 were effected"));
    let owner = &r["reportingOwners"][0];
    assert_eq!((&owner["cik"], &owner["name"]), (&json!("0001539865"), &json!("Rabois Keith")));
    assert_eq!(owner["address"]["street2"], "BUILDING D, 5TH FLOOR");
    assert_eq!(owner["address"]["zipCode"], "94129");
    let relationship = &owner["relationship"];
    let boxes = ["isDirector", "isOfficer", "isTenPercentOwner", "isOther"].map(|k| relationship[k].clone());
    assert_eq!(boxes, [json!(true), json!(false), json!(false), json!(false)]);
}

#[test]
fn form3_with_no_securities_owned_has_empty_tables() {
    let r = record("form3_0000899243-21-017509.xml", None);
    assert_eq!(r["documentType"], "3");
    assert_eq!(r["noSecuritiesOwned"], true);
    assert_eq!(r["notSubjectToSection16"], false, "a box left out is unticked");
    assert_eq!(r["aff10b5One"], Value::Null, "X0206 has no such box");
    assert_eq!(r["isLate"], Value::Null, "measured for Form 4 only");
    let empty = json!({"transactions": [], "holdings": []});
    assert_eq!((&r["nonDerivativeTable"], &r["derivativeTable"]), (&empty, &empty));
    assert_eq!(r["footnotes"], json!([]));
    assert_eq!(r["remarks"], "Exhibit 24 - Power of Attorney.");
    assert_eq!(
        r["ownerSignatures"],
        json!([{"signatureName": "/s/ Robert Hilton, Attorney-in-fact", "signatureDate": "2021-04-29"}])
    );
    assert_eq!(r["issuer"]["name"], "Endeavor Group Holdings, Inc.");
}

#[test]
fn multi_owner_filing_keeps_every_owner_and_signature() {
    let r = record("form3_0000899243-21-036608.xml", None);
    assert_eq!(r["reportingOwners"].as_array().unwrap().len(), 7);
    let signatures = r["ownerSignatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 7);
    assert_eq!(signatures[5], json!({"signatureName": "/s/ Peter Thiel", "signatureDate": "2021-09-20"}));
    assert_eq!(
        r["ownerSignatureName"], "/s/ Ajay Royan, Authorized Person, Mithril GP LP, General Partner of Mithril LP",
        "the first signature"
    );

    let softbank = record("form4_0001493152-25-009612.txt", None);
    let owners = softbank["reportingOwners"].as_array().unwrap();
    assert_eq!(owners.len(), 8);
    assert_eq!((&owners[0]["cik"], &owners[0]["name"]), (&json!("0001065521"), &json!("SOFTBANK GROUP CORP.")));
    assert_eq!((&owners[7]["cik"], &owners[7]["name"]), (&json!("0001818296"), &json!("SB Management Ltd")));
    // Filed 2025-03-07 (header), accepted 21:00:08 EST; transactions 2024-12-09.
    assert_eq!(softbank["filedAt"], "2025-03-07");
    assert_eq!(softbank["acceptedAt"], "2025-03-08T02:00:08.000Z");
    // Business days 10 Dec 2024 to 7 Mar 2025, less Christmas, New Year's
    // Day, Martin Luther King Jr. Day and Washington's Birthday: 60.
    assert_eq!((&softbank["businessDaysToFile"], &softbank["isLate"]), (&json!(60), &json!(true)));
}

#[test]
fn a_form4_filed_the_day_of_the_trade_is_on_time() {
    // Tesla sales of Tuesday 2022-11-08, filed (and accepted 20:18:10 EST) the same day.
    let r = record("form4_0000899243-22-035394.txt", None);
    assert_eq!((&r["filedAt"], &r["acceptedAt"]), (&json!("2022-11-08"), &json!("2022-11-09T01:18:10.000Z")));
    assert_eq!((&r["businessDaysToFile"], &r["isLate"]), (&json!(0), &json!(false)));
    let first = &r["nonDerivativeTable"]["transactions"][0];
    assert_eq!(
        first["transactionAmounts"]["transactionPricePerShare"],
        json!({"value": 189.578, "footnoteIds": ["F1"]})
    );
    assert_eq!(first["ownershipNature"]["natureOfOwnership"], json!({"value": "by Trust", "footnoteIds": ["F2"]}));
    assert_eq!(first["transactionAmounts"]["transactionShares"], json!({"value": 192320.0}));
    assert!(first.get("transactionTimeliness").is_none(), "an empty <value> is left out");
}

#[test]
fn an_amendment_names_its_original_and_is_not_measured() {
    let links = Links { amends: Some("0000707549-24-000123".into()), superseded_by: None };
    let r = record("form4A_0000707549-25-000004.txt", Some(&links));
    assert_eq!((&r["documentType"], &r["isAmendment"]), (&json!("4/A"), &json!(true)));
    assert_eq!(r["originalAccessionNo"], "0000707549-24-000123");
    assert_eq!(r["dateOfOriginalSubmission"], "2024-11-04");
    assert_eq!((&r["isLate"], &r["businessDaysToFile"]), (&Value::Null, &Value::Null));
    assert_eq!(r["filedAt"], "2025-01-21");

    let original = Links { amends: None, superseded_by: Some("0000707549-25-000004".into()) };
    let r = record("form4_0000842517-24-000086.txt", Some(&original));
    assert_eq!((&r["isSuperseded"], &r["supersededByAccessionNo"]), (&json!(true), &json!("0000707549-25-000004")));
    assert_eq!(r["originalAccessionNo"], Value::Null, "only an amendment names an original");
}

#[test]
fn derivative_row_elements_by_their_xml_names() {
    // AbCellera's convertible note: a price, dates exercisable and
    // expiring that carry only a footnote, a total value instead of shares,
    // a value owned after it, and a footnote on the coding.
    let r = record("form4_0000899243-20-034355.xml", None);
    let note = json!({
        "securityTitle": {"value": "Convertible Note"},
        "conversionOrExercisePrice": {"value": null, "footnoteIds": ["F6"]},
        "transactionDate": {"value": "2020-12-11"},
        "transactionCoding": {
            "transactionFormType": "4",
            "transactionCode": "A",
            "equitySwapInvolved": false,
            "footnoteIds": ["F11"],
        },
        "transactionAmounts": {
            "transactionTotalValue": {"value": 30430000.0},
            "transactionPricePerShare": {"value": 30430000.0},
            "transactionAcquiredDisposedCode": {"value": "A"},
        },
        "exerciseDate": {"value": null, "footnoteIds": ["F6"]},
        "expirationDate": {"value": null, "footnoteIds": ["F6"]},
        "underlyingSecurity": {
            "underlyingSecurityTitle": {"value": "Common Shares"},
            "underlyingSecurityShares": {"value": 2477100.0},
        },
        "postTransactionAmounts": {"valueOwnedFollowingTransaction": {"value": 30430000.0}},
        "ownershipNature": {
            "directOrIndirectOwnership": {"value": "I"},
            "natureOfOwnership": {"value": "See footnote", "footnoteIds": ["F1"]},
        },
    });
    assert_eq!(r["derivativeTable"]["transactions"][0], note);
    assert_eq!(r["derivativeTable"]["transactions"].as_array().unwrap().len(), 10);
    assert_eq!(r["derivativeTable"]["holdings"], json!([]));
}

/// Every footnote id in `value` (any `footnoteIds`), with its path.
fn referenced(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "footnoteIds" {
                    out.extend(
                        v.as_array().unwrap().iter().map(|id| (path.to_owned(), id.as_str().unwrap().to_owned())),
                    );
                } else {
                    referenced(v, &format!("{path}.{k}"), out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| referenced(v, &format!("{path}[]"), out)),
        _ => {}
    }
}

#[test]
fn every_fixture_record_has_both_tables_and_only_its_own_footnotes() {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("form"))
        .collect();
    names.sort();
    let mut references = 0;
    for name in &names {
        let bytes = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
        let inspected = insider_bulk_ingest::parse::parse_for_inspection(&bytes, name).unwrap();
        let r = serde_json::to_value(FilingRecord::new(&inspected.filing, None)).unwrap();
        for table in ["nonDerivativeTable", "derivativeTable"] {
            assert!(r[table]["transactions"].is_array() && r[table]["holdings"].is_array(), "{name} {table}");
        }
        let defined: Vec<&str> = r["footnotes"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        let mut found = Vec::new();
        referenced(&r, "", &mut found);
        for (path, id) in &found {
            assert!(defined.contains(&id.as_str()), "{name}: {path} names {id}, not among {defined:?}");
        }
        references += found.len();
    }
    assert_eq!(names.len(), 34);
    assert!(references > 200, "{references} footnote references checked");
}
