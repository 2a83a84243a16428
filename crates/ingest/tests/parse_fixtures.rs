//! Real EDGAR filings, read in place from `shared/fixtures/edgar`, checked
//! field by field against values read from the documents by hand, across
//! every envelope format and schema generation; and every fixture filing
//! parses and survives a JSON round trip.

use insider_bulk_core::domain::Flag;
use insider_bulk_core::filing::*;
use insider_bulk_ingest::parse::{parse_document, ParseError};
use time::macros::date;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/edgar");

/// Fixtures saved under names that carry no accession number (SEC
/// specimens, files renamed upstream). They are parsed as the README says
/// to load such files: renamed to include an accession, here a stand-in.
const WITHOUT_ACCESSION: [&str; 6] = [
    "form3A_sec-specimen_doc3a.xml",
    "form3_snow_form3.snow.xml",
    "form4_374Water_374WaterForm4.xml",
    "form4_wf-form4_155718184308434.xml",
    "form5A_sec-specimen_doc5a.xml",
    "form5_snow_form5.snow.xml",
];
const STAND_IN: &str = "0009999999-99-000001";

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{FIXTURES}/{name}: {e}"))
}

fn parse(name: &str) -> Filing {
    let source = if WITHOUT_ACCESSION.contains(&name) { format!("{STAND_IN}_{name}") } else { name.to_owned() };
    parse_document(&bytes(name), &source).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fns(pairs: &[(&str, &[&str])]) -> FootnoteIds {
    pairs.iter().map(|(k, ids)| (k.to_string(), ids.iter().map(|s| s.to_string()).collect())).collect()
}

type Flags = [Option<Flag>; 4];

/// cik, name, (director, officer, ten-percent owner, other), officer title.
fn owner(o: &ReportingOwner) -> (&str, Option<&str>, Flags, Option<&str>) {
    let flags = [o.is_director, o.is_officer, o.is_ten_percent_owner, o.is_other];
    (o.cik.as_str(), o.name.as_deref(), flags, o.officer_title.as_deref())
}

/// code, shares, price, acquired/disposed, shares owned following.
type Tx<'a> = (Option<&'a str>, Option<f64>, Option<f64>, Option<&'a str>, Option<f64>);

fn ndt(t: &NonDerivativeTransaction) -> Tx<'_> {
    let code = t.transaction_code.as_deref();
    (code, t.shares, t.price_per_share, t.acquired_disposed_code.as_deref(), t.shares_owned_following_transaction)
}

fn dt(t: &DerivativeTransaction) -> Tx<'_> {
    let code = t.transaction_code.as_deref();
    (code, t.shares, t.price_per_share, t.acquired_disposed_code.as_deref(), t.shares_owned_following_transaction)
}

const F: Option<Flag> = Some(Flag::digit(false));
const T: Option<Flag> = Some(Flag::digit(true));
/// Written as words, `false` and `true`, which the bundles keep.
const FW: Option<Flag> = Some(Flag::word(false));
const TW: Option<Flag> = Some(Flag::word(true));

#[test]
fn every_fixture_filing_parses_and_round_trips() {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .expect("the EDGAR fixtures beside the checkout")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("form"))
        .collect();
    names.sort();
    let mut without_accession = Vec::new();
    for name in &names {
        if let Err(e) = parse_document(&bytes(name), name) {
            assert_eq!(e, ParseError::NoAccession, "{name}: {e}");
            without_accession.push(name.as_str());
        }
        let filing = parse(name);
        // JSON carries a yes/no box as a boolean, not the filer's spelling:
        // the round trip is JSON, to the model, to the same JSON.
        let json = serde_json::to_string(&filing).unwrap();
        let back = serde_json::from_str::<Filing>(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json, "{name} round trip");
    }
    assert_eq!(names.len(), 34, "34 filings: 6 x 3, 3/A, 22 x 4, 4/A, 3 x 5, 5/A");
    assert_eq!(without_accession, WITHOUT_ACCESSION);
}

#[test]
fn tesla_form3_schema_x0203() {
    let f = parse("form3_0001181431-10-034759.xml");
    assert_eq!(f.submission.accession_number.as_str(), "0001181431-10-034759");
    assert_eq!(
        (f.submission.document_type.to_string(), f.submission.schema_version.as_deref()),
        ("3".into(), Some("X0203"))
    );
    assert_eq!(
        (f.submission.period_of_report, f.submission.filing_date, f.submission.no_securities_owned),
        (date!(2010 - 06 - 28), None, F)
    );
    assert_eq!(
        (f.submission.aff10b5_one, f.submission.not_subject_to_section16, f.submission.date_of_original_submission),
        (None, None, None)
    );
    let issuer = (
        f.submission.issuer.cik.as_str(),
        f.submission.issuer.name.as_deref(),
        f.submission.issuer.trading_symbol.as_deref(),
    );
    assert_eq!(issuer, ("0001318605", Some("TESLA MOTORS INC"), Some("TSLA")));
    assert_eq!(f.reporting_owners.len(), 1);
    let musk = &f.reporting_owners[0];
    assert_eq!(owner(musk), ("0001494730", Some("Musk Elon"), [T, T, T, F], Some("Pres, Prod Architect & Chairmn")));
    assert_eq!(
        (musk.street1.as_deref(), musk.street2.as_deref()),
        (Some("C/O TESLA MOTORS, INC."), Some("3500 DEER CREEK ROAD"))
    );
    assert_eq!(
        (musk.city.as_deref(), musk.zip_code.as_deref(), musk.state_description.as_deref()),
        (Some("PALO ALTO"), Some("94304"), None)
    );
    let held = &f.non_derivative_holdings;
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].security_title.as_deref(), held[0].shares_owned_following_transaction),
        (Some("Common Stock"), Some(2666666.0))
    );
    assert_eq!(
        (held[0].direct_or_indirect_ownership.as_deref(), held[0].nature_of_ownership.as_deref()),
        (Some("I"), Some("By Trust"))
    );
    assert!(held[0].footnote_ids.is_empty());
    assert!(f.non_derivative_transactions.is_empty() && f.derivative_transactions.is_empty());
    // Title, underlying shares, exercise price, and the footnote on the three date/price columns.
    let expected: [(&str, f64, Option<f64>, &str); 8] = [
        ("Series A Preferred Stock", 4880343.0, None, "F1"),
        ("Series B Preferred Stock", 12162167.0, None, "F1"),
        ("Series C Preferred Stock", 10572687.0, None, "F2"),
        ("Series D Preferred Stock", 4097877.0, None, "F1"),
        ("Series E Preferred Stock", 40825647.0, None, "F1"),
        ("Option to Buy (Common Stock)", 3355986.0, Some(6.63), ""),
        ("Option to Buy (Common Stock)", 3335986.0, Some(6.63), ""),
        ("Series C Preferred Stock Warrants (right to buy)", 325441.0, None, "F5"),
    ];
    assert_eq!(f.derivative_holdings.len(), 8);
    for (i, (h, (title, underlying, price, note))) in f.derivative_holdings.iter().zip(expected).enumerate() {
        assert_eq!(h.security_title.as_deref(), Some(title), "row {i}");
        assert_eq!(
            (h.underlying_security_title.as_deref(), h.underlying_security_shares),
            (Some("Common Stock"), Some(underlying))
        );
        assert_eq!(h.conversion_or_exercise_price, price, "row {i}");
        if !note.is_empty() {
            let on = |k| h.footnote_ids.get(k).map(|v| v.as_slice());
            assert_eq!(
                [on("conversion_or_exercise_price"), on("exercise_date"), on("expiration_date")],
                [Some(&[note.to_string()][..]); 3]
            );
        }
    }
    let option = &f.derivative_holdings[5];
    assert_eq!(
        (option.exercise_date, option.expiration_date),
        (Some(date!(2009 - 12 - 04)), Some(date!(2016 - 12 - 03)))
    );
    assert_eq!(option.footnote_ids, fns(&[("security_title", &["F3"])]));
    assert_eq!(f.derivative_holdings[6].footnote_ids, fns(&[("exercise_date", &["F4"])]));
    assert_eq!(f.derivative_holdings[6].exercise_date, None, "only a footnote, no value");
    let warrant = &f.derivative_holdings[7].footnote_ids;
    assert_eq!(warrant["security_title"], ["F2"]);
    assert_eq!(f.footnotes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["F1", "F2", "F3", "F4", "F5"]);
    assert!(
        f.footnotes[4]
            .text
            .ends_with("initial public offering. If not exercised, the warrant will automatically expire."),
        "double space collapsed"
    );
    assert_eq!(
        f.submission.remarks.as_deref(),
        Some("The nticipated effective date of Issuer initial public offering is June 28, 2010.")
    );
    assert_eq!(
        f.owner_signatures,
        [OwnerSignature { signature_name: "/s/ Elon Musk".into(), signature_date: Some(date!(2010 - 06 - 25)) }]
    );
}

#[test]
fn blacksky_form3_seven_owners_and_signatures() {
    let f = parse("form3_0000899243-21-036608.xml");
    assert_eq!(
        (f.submission.schema_version.as_deref(), f.submission.period_of_report, f.submission.no_securities_owned),
        (Some("X0206"), date!(2021 - 09 - 09), F)
    );
    assert_eq!(
        (f.submission.issuer.cik.as_str(), f.submission.issuer.trading_symbol.as_deref()),
        ("0001753539", Some("BKSY"))
    );
    let owners: Vec<_> = f.reporting_owners.iter().map(owner).collect();
    let ten_percent = [F, F, T, F];
    assert_eq!(
        owners,
        [
            ("0001881891", Some("Mithril GP LP"), ten_percent, None),
            ("0001552273", Some("Mithril LP"), ten_percent, None),
            ("0001878230", Some("Mithril II UGP LLC"), ten_percent, None),
            ("0001878232", Some("Mithril II GP LP"), ten_percent, None),
            ("0001669609", Some("MITHRIL II LP"), ten_percent, None),
            ("0001875614", Some("Royan Ajay"), ten_percent, None),
            ("0001211060", Some("THIEL PETER"), ten_percent, None),
        ]
    );
    assert!(f.reporting_owners.iter().all(|o| o.street2.as_deref() == Some("600 CONGRESS AVENUE SUITE 3100")));
    let held = &f.non_derivative_holdings;
    assert_eq!(
        held.iter().map(|h| h.shares_owned_following_transaction).collect::<Vec<_>>(),
        [Some(10386626.0), Some(8241400.0)]
    );
    assert_eq!(
        held[0].footnote_ids,
        fns(&[("nature_of_ownership", &["F2"]), ("shares_owned_following_transaction", &["F1"])])
    );
    assert_eq!(
        held[1].footnote_ids,
        fns(&[("nature_of_ownership", &["F4"]), ("shares_owned_following_transaction", &["F1", "F3"])])
    );
    assert_eq!(held[1].nature_of_ownership.as_deref(), Some("See Footnote"));
    assert_eq!(f.owner_signatures.len(), 7);
    assert_eq!(f.owner_signatures[5].signature_name, "/s/ Peter Thiel");
    assert!(f.owner_signatures.iter().all(|s| s.signature_date == Some(date!(2021 - 09 - 20))));
    assert_eq!((f.footnotes.len(), f.submission.remarks.as_deref()), (4, None));
}

#[test]
fn tesla_form4_thirty_rows() {
    let f = parse("form4_0000899243-21-044060.xml");
    assert_eq!(
        (f.submission.document_type.to_string(), f.submission.schema_version.as_deref()),
        ("4".into(), Some("X0306"))
    );
    assert_eq!(
        (f.submission.period_of_report, f.submission.not_subject_to_section16, f.submission.aff10b5_one),
        (date!(2021 - 11 - 08), F, None)
    );
    assert_eq!(owner(&f.reporting_owners[0]), ("0001494730", Some("Musk Elon"), [T, T, T, F], Some("CEO")));
    // Sales 2..30: shares, weighted-average price, and the price's footnote.
    #[rustfmt::skip]
    let sales: [(f64, f64, &str); 29] = [
        (1100.0, 1135.05, ""), (600.0, 1138.00, ""), (2300.0, 1139.487, "F3"), (6400.0, 1141.05, ""),
        (400.0, 1142.05, ""), (1300.0, 1143.559, "F4"), (3300.0, 1146.123, "F5"), (1900.0, 1147.995, "F6"),
        (7500.0, 1149.327, "F7"), (800.0, 1152.05, ""), (2049.0, 1153.38, "F8"), (1700.0, 1155.276, "F9"),
        (600.0, 1156.55, ""), (6100.0, 1158.192, "F10"), (7254.0, 1160.638, "F11"), (10316.0, 1161.54, "F12"),
        (5100.0, 1162.867, "F13"), (24718.0, 1163.655, "F14"), (18753.0, 1164.836, "F15"),
        (21383.0, 1165.92, "F16"), (25710.0, 1166.983, "F17"), (19428.0, 1167.997, "F18"),
        (22061.0, 1169.154, "F19"), (19600.0, 1170.486, "F20"), (13786.0, 1171.637, "F21"),
        (11540.0, 1172.526, "F22"), (10002.0, 1173.558, "F23"), (5559.0, 1174.611, "F24"), (6020.0, 1175.654, "F25"),
    ];
    let rows = &f.non_derivative_transactions;
    assert_eq!(rows.len(), 30);
    assert_eq!(ndt(&rows[0]), (Some("M"), Some(2154572.0), Some(6.24), Some("A"), Some(2154572.0)));
    assert_eq!(rows[0].footnote_ids, fns(&[("transaction_code", &["F1"])]));
    let mut held = 2154572.0;
    for (row, (shares, price, note)) in rows[1..].iter().zip(sales) {
        held -= shares;
        assert_eq!(ndt(row), (Some("S"), Some(shares), Some(price), Some("D"), Some(held)), "{row:?}");
        assert_eq!(
            (row.transaction_date, row.transaction_form_type.as_deref()),
            (Some(date!(2021 - 11 - 08)), Some("4"))
        );
        let mut expect = fns(&[("transaction_code", &["F1"]), ("shares", &["F2"])]);
        if !note.is_empty() {
            expect.insert("price_per_share".into(), vec![note.into()]);
        }
        assert_eq!(row.footnote_ids, expect);
    }
    assert_eq!(held, 1897293.0, "the last row's shares owned following");
    let option = &f.derivative_transactions[0];
    assert_eq!(dt(option), (Some("M"), Some(2154572.0), Some(0.0), Some("D"), Some(23344933.0)));
    assert_eq!(
        (option.conversion_or_exercise_price, option.expiration_date),
        (Some(6.24), Some(date!(2022 - 08 - 13)))
    );
    assert_eq!(option.footnote_ids, fns(&[("exercise_date", &["F26", "F27"]), ("transaction_code", &["F1"])]));
    assert_eq!(f.footnotes.len(), 27);
    assert!(f.submission.remarks.as_deref().unwrap().starts_with("This Form 4 is the first of two Form 4s"));
}

#[test]
fn full_submission_txt_with_sec_header() {
    let f = parse("form4_0000842517-24-000086.txt");
    assert_eq!(f.submission.accession_number.as_str(), "0000842517-24-000086");
    assert_eq!(
        (f.submission.filing_date, f.submission.period_of_report),
        (Some(date!(2024 - 05 - 01)), date!(2024 - 04 - 29))
    );
    assert_eq!(
        (f.submission.schema_version.as_deref(), f.submission.aff10b5_one, f.submission.not_subject_to_section16),
        (Some("X0508"), F, F)
    );
    let issuer = (
        f.submission.issuer.cik.as_str(),
        f.submission.issuer.name.as_deref(),
        f.submission.issuer.trading_symbol.as_deref(),
    );
    assert_eq!(issuer, ("0000842517", Some("ISABELLA BANK Corp"), Some("ISBA")));
    let o = &f.reporting_owners[0];
    assert_eq!(owner(o), ("0001849440", Some("McGuirk Richard L"), [T, F, F, F], None));
    assert_eq!((o.street2.as_deref(), o.city.as_deref()), (None, Some("MT. PLEASANT")), "an empty element is None");
    let buy = &f.non_derivative_transactions[0];
    assert_eq!(ndt(buy), (Some("P"), Some(275.634), Some(18.14), Some("A"), Some(15711.8844)));
    assert_eq!((buy.security_title.as_deref(), buy.equity_swap_involved), (Some("common"), F));
    assert_eq!(buy.footnote_ids, fns(&[("shares_owned_following_transaction", &["F1"])]));
    let held: Vec<_> = f
        .non_derivative_holdings
        .iter()
        .map(|h| (h.shares_owned_following_transaction, h.nature_of_ownership.as_deref()))
        .collect();
    assert_eq!(held, [(Some(2170.3157), Some("Held by minor child")), (Some(383262.5326), Some("Held by LLC"))]);
    assert_eq!(f.owner_signatures[0].signature_name, "/s/ Jennifer L. Gill, By Power of Attorney");
}

#[test]
fn dissemination_sgml_amd() {
    let f = parse("form4_0000002488-24-000005.sgml");
    assert_eq!(
        (f.submission.accession_number.as_str(), f.submission.filing_date),
        ("0000002488-24-000005", Some(date!(2024 - 01 - 17)))
    );
    assert_eq!(
        (f.submission.issuer.cik.as_str(), f.submission.issuer.trading_symbol.as_deref()),
        ("0000002488", Some("AMD"))
    );
    let o = &f.reporting_owners[0];
    assert_eq!(owner(o), ("0001674334", Some("SMITH DARLA M"), [F, F, F, T], None));
    assert_eq!(o.other_text.as_deref(), Some("Chief Accounting Officer"));
    let rows: Vec<_> = f.non_derivative_transactions.iter().map(ndt).collect();
    assert_eq!(
        rows,
        [
            (Some("M"), Some(472.0), Some(0.0), Some("A"), Some(6076.0)),
            (Some("F"), Some(189.0), Some(146.56), Some("D"), Some(5887.0))
        ]
    );
    assert_eq!(f.non_derivative_transactions[1].footnote_ids, fns(&[("shares", &["F1"])]));
    let rsu = &f.derivative_transactions[0];
    assert_eq!(dt(rsu), (Some("M"), Some(472.0), Some(0.0), Some("D"), Some(473.0)));
    assert_eq!((rsu.conversion_or_exercise_price, rsu.underlying_security_shares), (None, Some(472.0)));
    let expect =
        [("conversion_or_exercise_price", &["F2"][..]), ("exercise_date", &["F3"]), ("expiration_date", &["F3"])];
    assert_eq!(rsu.footnote_ids, fns(&expect));
    assert_eq!((f.submission.aff10b5_one, f.footnotes.len()), (F, 3));
}

#[test]
fn dissemination_nc_with_bare_carriage_returns() {
    let raw = bytes("form4_0001562180-25-000280.nc");
    let first_line = raw.iter().position(|&b| b == b'\n').unwrap();
    assert!(!raw[first_line + 1..].contains(&b'\n') && raw.contains(&b'\r'), "bare CR line ends, as filed");
    let f = parse("form4_0001562180-25-000280.nc");
    assert_eq!(
        (f.submission.accession_number.as_str(), f.submission.filing_date),
        ("0001562180-25-000280", Some(date!(2025 - 01 - 08)))
    );
    assert_eq!(
        (f.submission.period_of_report, f.submission.not_subject_to_section16, f.submission.aff10b5_one),
        (date!(2025 - 01 - 06), FW, FW)
    );
    let o = &f.reporting_owners[0];
    assert_eq!(owner(o), ("0002009134", Some("Snow Jessica"), [FW, TW, FW, FW], Some("See Remarks")));
    assert_eq!(o.zip_code.as_deref(), Some("02142"));
    let award = &f.non_derivative_transactions[0];
    assert_eq!(ndt(award), (Some("A"), Some(106150.0), Some(0.0), Some("A"), Some(253329.0)));
    assert_eq!(award.footnote_ids, fns(&[("security_title", &["F1"])]));
    let option = &f.derivative_transactions[0];
    assert_eq!(dt(option), (Some("A"), Some(70750.0), Some(0.0), Some("A"), Some(70750.0)));
    assert_eq!(
        (option.conversion_or_exercise_price, option.expiration_date),
        (Some(2.64), Some(date!(2035 - 01 - 06)))
    );
    assert_eq!(option.footnote_ids, fns(&[("exercise_date", &["F2"])]));
    assert_eq!(f.submission.remarks.as_deref(), Some("Title: Senior Vice President of Quality and Enabling Functions"));
}

#[test]
fn amendment_4a_in_a_full_submission() {
    let f = parse("form4A_0000707549-25-000004.txt");
    assert_eq!(
        (f.submission.accession_number.as_str(), f.submission.document_type.to_string()),
        ("0000707549-25-000004", "4/A".into())
    );
    assert!(f.submission.document_type.is_amendment);
    assert_eq!(
        (f.submission.filing_date, f.submission.period_of_report),
        (Some(date!(2025 - 01 - 21)), date!(2024 - 11 - 04))
    );
    assert_eq!(f.submission.date_of_original_submission, Some(date!(2024 - 11 - 04)));
    assert_eq!(owner(&f.reporting_owners[0]), ("0001779037", Some("Ahmed Sohail U"), [T, F, F, F], None));
    let rows: Vec<_> = f.non_derivative_transactions.iter().map(ndt).collect();
    assert_eq!(
        rows,
        [
            (Some("G"), Some(3690.0), Some(0.0), Some("D"), Some(0.0)),
            (Some("G"), Some(3690.0), Some(0.0), Some("A"), Some(30630.0))
        ]
    );
    let gift_in = &f.non_derivative_transactions[1];
    assert_eq!(
        (gift_in.direct_or_indirect_ownership.as_deref(), gift_in.nature_of_ownership.as_deref()),
        (Some("I"), Some("by trust"))
    );
    assert!(f
        .non_derivative_transactions
        .iter()
        .all(|t| t.footnote_ids == fns(&[("direct_or_indirect_ownership", &["F1"])])));
    assert!(f.submission.remarks.as_deref().unwrap().starts_with("Adjusted to reflect a ten-for-one forward split"));
    assert_eq!(f.owner_signatures[0].signature_date, Some(date!(2024 - 12 - 10)));
}

#[test]
fn form5_annual_statement() {
    let f = parse("form5_0000899243-22-006240.xml");
    assert_eq!(
        (f.submission.document_type.to_string(), f.submission.period_of_report),
        ("5".into(), date!(2021 - 12 - 31))
    );
    assert_eq!(
        (
            f.submission.form3_holdings_reported,
            f.submission.form4_transactions_reported,
            f.submission.not_subject_to_section16
        ),
        (F, F, F)
    );
    assert_eq!(f.reporting_owners[0].street2.as_deref(), Some("13101 TESLA ROAD"));
    let gifts: [(time::Date, f64, f64); 5] = [
        (date!(2021 - 11 - 19), 2234000.0, 175418251.0),
        (date!(2021 - 11 - 22), 1560000.0, 173858251.0),
        (date!(2021 - 11 - 23), 500000.0, 173358251.0),
        (date!(2021 - 11 - 24), 500000.0, 172858251.0),
        (date!(2021 - 11 - 29), 250000.0, 172608251.0),
    ];
    assert_eq!(f.non_derivative_transactions.len(), 5);
    for (row, (day, shares, after)) in f.non_derivative_transactions.iter().zip(gifts) {
        assert_eq!(ndt(row), (Some("G"), Some(shares), Some(0.0), Some("D"), Some(after)));
        assert_eq!((row.transaction_date, row.transaction_form_type.as_deref()), (Some(day), Some("5")));
        assert_eq!(row.footnote_ids, fns(&[("transaction_code", &["F1"])]));
    }
}

#[test]
fn softbank_eight_owners_in_a_full_submission() {
    let f = parse("form4_0001493152-25-009612.txt");
    assert_eq!(
        (f.submission.accession_number.as_str(), f.submission.filing_date),
        ("0001493152-25-009612", Some(date!(2025 - 03 - 07)))
    );
    assert_eq!(f.submission.issuer.name.as_deref(), Some("Better Home & Finance Holding Co"));
    let ciks: Vec<_> = f.reporting_owners.iter().map(|o| o.cik.as_str()).collect();
    #[rustfmt::skip]
    assert_eq!(ciks, ["0001065521", "0001883884", "0001787613", "0001883559", "0001883900", "0001990707", "0001991269", "0001818296"]);
    assert!(f
        .reporting_owners
        .iter()
        .all(|o| [o.is_director, o.is_officer, o.is_ten_percent_owner, o.is_other] == [F, F, T, F]));
    let sbg = &f.reporting_owners[0];
    assert_eq!(
        (sbg.state.as_deref(), sbg.zip_code.as_deref(), sbg.state_description.as_deref()),
        (Some("M0"), Some("105-7537"), Some("JAPAN"))
    );
    let conversion = &f.non_derivative_transactions[0];
    assert_eq!(ndt(conversion), (Some("C"), Some(628553.0), None, Some("A"), Some(628553.0)));
    let expect = [
        ("nature_of_ownership", &["F3"][..]),
        ("price_per_share", &["F2"]),
        ("shares", &["F1"]),
        ("shares_owned_following_transaction", &["F1"]),
    ];
    assert_eq!(conversion.footnote_ids, fns(&expect));
    assert_eq!(dt(&f.derivative_transactions[0]).0, Some("C"));
    assert_eq!(f.owner_signatures.len(), 8);
}

#[test]
fn sec_specimen_3a_without_schema_version_or_accession() {
    let name = "form3A_sec-specimen_doc3a.xml";
    assert_eq!(parse_document(&bytes(name), name).unwrap_err(), ParseError::NoAccession);
    let f = parse(name);
    assert_eq!((f.submission.accession_number.as_str(), f.submission.filing_date), (STAND_IN, None));
    assert_eq!((f.submission.document_type.to_string(), f.submission.schema_version), ("3/A".into(), None));
    assert_eq!(
        (f.submission.period_of_report, f.submission.date_of_original_submission),
        (date!(2002 - 09 - 15), Some(date!(2003 - 03 - 01)))
    );
    assert_eq!(
        (
            f.submission.issuer.cik.as_str(),
            f.submission.issuer.name.as_deref(),
            f.submission.issuer.trading_symbol.as_deref()
        ),
        ("1212121212", None, Some("AWI"))
    );
    let o = &f.reporting_owners[0];
    assert_eq!(
        owner(o),
        ("0000343434", None, [TW, T, FW, TW], Some("President and CEO")),
        "true, 1, false, true as written"
    );
    assert_eq!((o.other_text.as_deref(), o.street2.as_deref()), (Some("Public Affairs Officer"), Some("Apt #44")));
    let held = &f.non_derivative_holdings[0];
    assert_eq!(
        (held.security_title.as_deref(), held.shares_owned_following_transaction),
        (Some("Preferred Stock Options"), Some(33333.0))
    );
    assert_eq!(held.footnote_ids, fns(&[("security_title", &["F1"])]));
    let derived = &f.derivative_holdings[0];
    assert_eq!((derived.conversion_or_exercise_price, derived.exercise_date), (Some(50.55), None));
    assert_eq!((derived.underlying_security_value, derived.underlying_security_shares), (Some(100.12), None));
    let expect = [
        ("conversion_or_exercise_price", &["F5"][..]),
        ("exercise_date", &["F2"]),
        ("expiration_date", &["F4"]),
        ("underlying_security_value", &["F3"]),
    ];
    assert_eq!(derived.footnote_ids, fns(&expect));
    assert_eq!(f.footnotes[0], Footnote { id: "F1".into(), text: "Footnote 1.".into() });
    let signers: Vec<_> = f.owner_signatures.iter().map(|s| s.signature_name.as_str()).collect();
    assert_eq!(signers, ["Jane Doe", "John Q. Public", "Uncle Sam"]);
}

#[test]
fn sec_specimen_5a_value_based_amounts_and_two_owners() {
    let f = parse("form5A_sec-specimen_doc5a.xml");
    assert_eq!(
        (f.submission.document_type.to_string(), f.submission.aff10b5_one, f.submission.not_subject_to_section16),
        ("5/A".into(), T, T)
    );
    let owners: Vec<_> = f.reporting_owners.iter().map(owner).collect();
    assert_eq!(
        owners,
        [
            ("0000343434", None, [T, T, F, T], Some("President and CEO")),
            ("1212121212", None, [T, T, F, T], Some("President and CEO"))
        ]
    );
    let rows = &f.non_derivative_transactions;
    assert_eq!(
        rows.iter().map(ndt).collect::<Vec<_>>()[..2],
        [
            (Some("A"), Some(2000.0), Some(120.0), Some("D"), Some(22000.0)),
            (Some("J"), Some(2000.0), Some(120.0), Some("A"), Some(10000.0))
        ]
    );
    assert_eq!((rows[1].deemed_execution_date, rows[0].equity_swap_involved), (Some(date!(2002 - 11 - 02)), T));
    assert_eq!(
        rows[0].footnote_ids,
        fns(&[("direct_or_indirect_ownership", &["F3"]), ("transaction_code", &["F4", "F5"])])
    );
    // Table row 4 is the third transaction: a holding sits between them.
    let valued = &rows[2];
    assert_eq!(
        (valued.shares_owned_following_transaction, valued.value_owned_following_transaction),
        (None, Some(2111111.0))
    );
    assert_eq!(valued.footnote_ids, fns(&[("security_title", &["F1", "F2", "F3"]), ("shares", &["F2"])]));
    let holding = &f.derivative_holdings[0];
    assert_eq!(
        (holding.transaction_form_type.as_deref(), holding.shares_owned_following_transaction),
        (Some("3"), Some(0.0))
    );
    let expect = [
        ("conversion_or_exercise_price", &["F5"][..]),
        ("expiration_date", &["F4"]),
        ("transaction_form_type", &["F2"]),
    ];
    assert_eq!(holding.footnote_ids, fns(&expect), "a holding's coding footnote belongs to its form type");
    let valued = &f.derivative_transactions[0];
    assert_eq!((valued.shares, valued.total_value, valued.price_per_share), (None, Some(500000.0), Some(1001.23)));
    assert_eq!(
        (valued.value_owned_following_transaction, valued.transaction_code.as_deref()),
        (Some(3210.88), Some("C"))
    );
    assert_eq!(valued.footnote_ids["total_value"], ["F2"]);
    assert_eq!(valued.footnote_ids["security_title"], ["F1", "F3"]);
}

#[test]
fn water_374_file_name_has_no_accession() {
    let name = "form4_374Water_374WaterForm4.xml";
    let err = parse_document(&bytes(name), name).unwrap_err();
    assert_eq!(err.to_string(), "no accession number: not in an SEC header and not in the file name");
    let f = parse_document(&bytes(name), &format!("edgar/data/933972/{STAND_IN}.txt")).unwrap();
    assert_eq!(
        (f.submission.accession_number.as_str(), f.submission.schema_version.as_deref(), f.submission.aff10b5_one),
        (STAND_IN, Some("X0508"), FW)
    );
    assert_eq!(
        owner(&f.reporting_owners[0]),
        ("0002064133", Some("Melkote Rajesh Ramaswamy"), [None, TW, None, None], Some("Chief Technology Officer")),
        "omitted flags stay None"
    );
    let rsu = &f.non_derivative_transactions[0];
    assert_eq!(
        (ndt(rsu), rsu.equity_swap_involved),
        ((Some("A"), Some(757756.0), Some(0.0), Some("A"), Some(757756.0)), FW)
    );
    let option = &f.derivative_transactions[0];
    assert_eq!((option.shares, option.conversion_or_exercise_price), (Some(757576.0), Some(0.33)));
    assert_eq!(option.footnote_ids, fns(&[("exercise_date", &["F1"]), ("shares", &["F1"])]));
}

#[test]
fn aff10b5_one_only_where_the_schema_has_it() {
    let unity = parse("form4_0001062993-23-012371.xml");
    assert_eq!((unity.submission.schema_version.as_deref(), unity.submission.aff10b5_one), (Some("X0407"), F));
    assert_eq!(unity.non_derivative_holdings[0].footnote_ids, fns(&[("nature_of_ownership", &["F2", "F3"])]));
    let linkedin = parse("form4_0001209191-12-022044.xml");
    assert_eq!(
        (
            linkedin.submission.schema_version.as_deref(),
            linkedin.submission.aff10b5_one,
            linkedin.reporting_owners.len()
        ),
        (Some("X0305"), None, 2)
    );
}

#[test]
fn point_in_time_fields_come_from_the_sec_header_and_are_never_guessed() {
    use insider_bulk_core::domain::FilingSource;
    // A full submission: filed, accepted (13:07:22 Eastern daylight time)
    // and the owner's file number, all from its header.
    let f = parse("form4_0000842517-24-000086.txt");
    assert_eq!(f.submission.source, FilingSource::EdgarSubmission);
    assert_eq!(f.submission.filing_date, Some(date!(2024 - 05 - 01)));
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["accepted_at"], "2024-05-01T17:07:22Z");
    assert_eq!(json["source"], "edgar_submission");
    assert_eq!(f.reporting_owners[0].file_number.as_deref(), Some("000-18415"));
    // Eight owners, each with the file number of its own header section.
    let softbank = parse("form4_0001493152-25-009612.txt");
    assert_eq!(softbank.reporting_owners.len(), 8);
    assert!(softbank.reporting_owners.iter().all(|o| o.file_number.as_deref() == Some("001-40143")));
    // The dissemination feed has a filing date and file numbers, no acceptance time.
    let feed = parse("form4_0001562180-25-000280.nc");
    assert_eq!((feed.submission.source, feed.submission.accepted_at), (FilingSource::EdgarSubmission, None));
    assert_eq!(feed.reporting_owners[0].file_number.as_deref(), Some("001-40791"));
    // A bare document has none of them: null, not a guess.
    let bare = parse("form4_0000899243-21-044060.xml");
    assert_eq!(bare.submission.source, FilingSource::EdgarDocument);
    let json = serde_json::to_value(&bare).unwrap();
    assert!(json["accepted_at"].is_null() && json["filing_date"].is_null(), "{json}");
    assert!(bare.reporting_owners.iter().all(|o| o.file_number.is_none()));
}
