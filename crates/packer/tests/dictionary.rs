//! metadata.json against the TSVs we write, SEC's own metadata, and the
//! per-filing record of the month's `.jsonl.gz`.

use std::collections::BTreeSet;

use insider_bulk_core::domain::{FormType, Month};
use insider_bulk_core::filing::*;
use insider_bulk_core::record::FilingRecord;
use insider_bulk_ingest::synth::synth_month;
use insider_bulk_packer::bundle::dictionary::metadata_json;
use insider_bulk_packer::bundle::sec_tables::{SecTables, TABLES};
use insider_bulk_testing::fixtures_dir;
use serde_json::Value;

fn ours() -> Value {
    serde_json::from_slice(&metadata_json()).unwrap()
}

fn sec() -> Value {
    let path = fixtures_dir().join("dataset_2024q3_FORM_345_metadata.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn table<'a>(meta: &'a Value, url: &str) -> &'a Value {
    meta["tables"].as_array().unwrap().iter().find(|t| t["url"] == url).unwrap_or_else(|| panic!("{url}"))
}

fn columns(table: &Value) -> &Vec<Value> {
    table["tableSchema"]["columns"].as_array().unwrap()
}

#[test]
fn every_header_column_has_exactly_one_metadata_column_in_order() {
    let meta = ours();
    let mut sinks: [Vec<u8>; 8] = Default::default();
    let tables = SecTables::new(std::mem::take(&mut sinks)).unwrap();
    let urls: Vec<&str> = meta["tables"].as_array().unwrap().iter().map(|t| t["url"].as_str().unwrap()).collect();
    assert_eq!(urls, TABLES.iter().map(|t| t.file).collect::<Vec<_>>());
    for (sink, t) in tables.into_sinks().iter().zip(&TABLES) {
        let header = std::str::from_utf8(sink).unwrap().trim_end().to_owned();
        let described: Vec<&str> = columns(table(&meta, t.file)).iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(header.split('\t').collect::<Vec<_>>(), described, "{}", t.file);
    }
}

/// SEC's type family of a CSVW datatype: SEC writes `string`, `NUMBER` and
/// `date (DD-MON-YYYY)`.
fn family(datatype: &Value) -> &'static str {
    match datatype["base"].as_str().unwrap() {
        "string" => "string",
        "NUMBER" | "number" | "integer" => "number",
        b if b.starts_with("date") => "date",
        other => panic!("unexpected datatype {other}"),
    }
}

#[test]
fn names_titles_types_and_keys_agree_with_secs_metadata() {
    let (ours, sec) = (ours(), sec());
    for t in &TABLES {
        let (mine, theirs) = (table(&ours, t.file), table(&sec, t.file));
        // Known differences (fixtures' SOURCES.md): SEC's SUBMISSION.tsv has
        // 13 of the 17 columns its metadata lists, and SEC's TSVs call the
        // NONDERIV_TRANS equity-swap footnote column EQUITY_SWAP_TRANS_CD_FN.
        let absent = ["CONTACT_NAME", "CONTACT_PHONE_NUMBER", "CONTACT_EMAIL_ADDRESS", "NOTIFICATION_EMAIL_ADDRESS"];
        let theirs_cols: Vec<&Value> =
            columns(theirs).iter().filter(|c| !absent.contains(&c["name"].as_str().unwrap())).collect();
        assert_eq!(columns(mine).len(), theirs_cols.len(), "{}", t.file);
        for (m, s) in columns(mine).iter().zip(theirs_cols) {
            let sec_name = s["name"].as_str().unwrap().replace("EQUITY_SWAP_INVOLVED_FN", "EQUITY_SWAP_TRANS_CD_FN");
            assert_eq!(m["name"], sec_name.as_str(), "{}", t.file);
            if sec_name == s["name"] {
                assert_eq!(m["titles"], s["titles"], "{}", t.file);
            }
            assert_eq!(family(&m["datatype"]), family(&s["datatype"]), "{} {}", t.file, m["name"]);
            assert!(m["dc:description"].as_str().is_some_and(|d| !d.is_empty()));
            assert!(m["insider-bulk:jsonField"].is_string() || m["insider-bulk:jsonField"].is_array());
        }
        assert_eq!(mine["tableSchema"]["primaryKey"], theirs["tableSchema"]["primaryKey"], "{}", t.file);
    }
}

fn record(filing: &Filing) -> Value {
    serde_json::to_value(FilingRecord::new(filing, None)).unwrap()
}

/// Every path of a JSON value, `.` between keys and `[]` into arrays; an
/// array of plain values (`footnoteIds`) counts as one field.
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                let plain_list = v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|i| !i.is_object()));
                if plain_list || !(v.is_object() || v.is_array()) {
                    out.insert(path);
                } else {
                    paths(v, &path, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| paths(v, &format!("{prefix}[]"), out)),
        _ => {}
    }
}

#[test]
fn jsonl_record_fields_are_described_exactly() {
    let month: Month = "2024-09".parse().unwrap();
    let mut seen = BTreeSet::new();
    for form in FormType::ALL {
        for mut filing in synth_month(form, month, 50, 7) {
            fill_every_table(&mut filing);
            paths(&record(&filing), "", &mut seen);
        }
    }
    let described: BTreeSet<String> = ours()["insider-bulk:jsonl"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(described, seen);
}

/// A footnote on every field of a row that the model keys footnotes by
/// (but `absent`, which the row kind has not), and on the row.
fn every_footnote(absent: &[&str]) -> FootnoteIds {
    let keys = [
        "row",
        "security_title",
        "conversion_or_exercise_price",
        "transaction_date",
        "deemed_execution_date",
        "transaction_form_type",
        "transaction_code",
        "transaction_timeliness",
        "shares",
        "total_value",
        "price_per_share",
        "acquired_disposed_code",
        "exercise_date",
        "expiration_date",
        "underlying_security_title",
        "underlying_security_shares",
        "underlying_security_value",
        "shares_owned_following_transaction",
        "value_owned_following_transaction",
        "direct_or_indirect_ownership",
        "nature_of_ownership",
    ];
    keys.iter().filter(|k| !absent.contains(k)).map(|k| (k.to_string(), vec!["F1".to_owned()])).collect()
}

const DERIVATIVE_ONLY: &[&str] = &[
    "conversion_or_exercise_price",
    "total_value",
    "exercise_date",
    "expiration_date",
    "underlying_security_title",
    "underlying_security_shares",
    "underlying_security_value",
];
const TRANSACTION_ONLY: &[&str] = &[
    "transaction_date",
    "deemed_execution_date",
    "transaction_code",
    "transaction_timeliness",
    "shares",
    "total_value",
    "price_per_share",
    "acquired_disposed_code",
];

/// One row of each table with every field given, so that every path shows.
fn fill_every_table(f: &mut Filing) {
    let (text, day, n) = (Some("x".to_owned()), Some(time::macros::date!(2024 - 09 - 03)), Some(1.5));
    let flag = Some(insider_bulk_core::domain::Flag::digit(true));
    f.non_derivative_transactions.push(NonDerivativeTransaction {
        security_title: text.clone(),
        transaction_date: day,
        deemed_execution_date: day,
        transaction_form_type: text.clone(),
        transaction_code: text.clone(),
        equity_swap_involved: flag,
        transaction_timeliness: text.clone(),
        shares: n,
        price_per_share: n,
        acquired_disposed_code: text.clone(),
        shares_owned_following_transaction: n,
        value_owned_following_transaction: n,
        direct_or_indirect_ownership: text.clone(),
        nature_of_ownership: text.clone(),
        footnote_ids: every_footnote(DERIVATIVE_ONLY),
    });
    f.non_derivative_holdings.push(NonDerivativeHolding {
        security_title: text.clone(),
        transaction_form_type: text.clone(),
        shares_owned_following_transaction: n,
        value_owned_following_transaction: n,
        direct_or_indirect_ownership: text.clone(),
        nature_of_ownership: text.clone(),
        footnote_ids: every_footnote(&[DERIVATIVE_ONLY, TRANSACTION_ONLY].concat()),
    });
    f.derivative_transactions.push(DerivativeTransaction {
        security_title: text.clone(),
        conversion_or_exercise_price: n,
        transaction_date: day,
        deemed_execution_date: day,
        transaction_form_type: text.clone(),
        transaction_code: text.clone(),
        equity_swap_involved: flag,
        transaction_timeliness: text.clone(),
        shares: n,
        total_value: n,
        price_per_share: n,
        acquired_disposed_code: text.clone(),
        exercise_date: day,
        expiration_date: day,
        underlying_security_title: text.clone(),
        underlying_security_shares: n,
        underlying_security_value: n,
        shares_owned_following_transaction: n,
        value_owned_following_transaction: n,
        direct_or_indirect_ownership: text.clone(),
        nature_of_ownership: text.clone(),
        footnote_ids: every_footnote(&[]),
    });
    f.derivative_holdings.push(DerivativeHolding {
        security_title: text.clone(),
        conversion_or_exercise_price: n,
        transaction_form_type: text.clone(),
        exercise_date: day,
        expiration_date: day,
        underlying_security_title: text.clone(),
        underlying_security_shares: n,
        underlying_security_value: n,
        shares_owned_following_transaction: n,
        value_owned_following_transaction: n,
        direct_or_indirect_ownership: text.clone(),
        nature_of_ownership: text,
        footnote_ids: every_footnote(TRANSACTION_ONLY),
    });
    f.footnotes.push(Footnote { id: "F1".into(), text: "t".into() });
    f.owner_signatures.push(OwnerSignature { signature_name: "n".into(), signature_date: None });
}

/// A cell as the TSV writes a JSON value of `kind` (the synthetic filings
/// hold no tab, newline or double quote, so text is written as it is).
fn cell(kind: &str, v: &Value) -> String {
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    match (kind, v) {
        (_, Value::Null) => String::new(),
        ("date", Value::String(d)) => {
            let month: usize = d[5..7].parse().unwrap();
            format!("{}-{}-{}", &d[8..10], MONTHS[month - 1], &d[..4])
        }
        (_, Value::Bool(b)) => if *b { "1" } else { "0" }.to_owned(),
        (_, Value::Number(n)) => format!("{:?}", n.as_f64().unwrap()),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(ids)) => ids.iter().map(|i| i.as_str().unwrap()).collect::<Vec<_>>().join(", "),
        other => panic!("unexpected {other:?}"),
    }
}

fn lookup<'a>(mut v: &'a Value, path: &str) -> &'a Value {
    for key in path.split('.') {
        v = v.get(key).unwrap_or(&Value::Null);
    }
    v
}

/// Each cell the writer wrote equals the value its `insider-bulk:jsonField`
/// points at: the dictionary's field mapping is the writer's.
#[test]
fn every_cell_is_its_json_field() {
    let month: Month = "2024-09".parse().unwrap();
    let filings: Vec<Filing> = FormType::ALL.iter().flat_map(|f| synth_month(*f, month, 40, 3)).collect();
    let mut tables = SecTables::new(<[Vec<u8>; 8]>::default()).unwrap();
    filings.iter().for_each(|f| tables.write_filing(f).unwrap());
    let meta = ours();
    let roles = [("isDirector", "Director"), ("isOfficer", "Officer"), ("isTenPercentOwner", "TenPercentOwner")];
    let mut cells = 0;
    for (sink, t) in tables.into_sinks().iter().zip(&TABLES) {
        let described = columns(table(&meta, t.file));
        let rows: Vec<(Value, Value)> = filings
            .iter()
            .map(record)
            .flat_map(|f| match t.rows.strip_suffix("[]") {
                None => vec![(f.clone(), f)],
                Some(array) => lookup(&f, array).as_array().unwrap().iter().map(|r| (f.clone(), r.clone())).collect(),
            })
            .collect();
        let lines: Vec<&str> = std::str::from_utf8(sink).unwrap().lines().skip(1).collect();
        assert_eq!(lines.len(), rows.len(), "{}", t.file);
        for (line, (filing, row)) in lines.iter().zip(&rows) {
            for (value, c) in line.split('\t').zip(described) {
                let field = &c["insider-bulk:jsonField"];
                let relative = |p: &str| p.strip_prefix(&format!("{}.", t.rows)).map(str::to_owned);
                let get = |p: &str| match relative(p) {
                    Some(rest) if !t.rows.is_empty() => lookup(row, &rest).clone(),
                    _ => lookup(filing, p).clone(),
                };
                let kind = c["datatype"]["base"].as_str().unwrap();
                let expected = match (c["name"].as_str().unwrap(), field) {
                    (_, Value::String(p)) if p == t.rows => continue, // a *_SK key
                    ("RPTOWNER_RELATIONSHIP", _) => {
                        let on = |k: &str| row["relationship"][k].as_bool() == Some(true);
                        let mut names: Vec<&str> = roles.iter().filter(|(k, _)| on(k)).map(|(_, n)| *n).collect();
                        names.extend(on("isOther").then_some("Other"));
                        names.join(",")
                    }
                    // The record reads a box the filer left out as unticked.
                    (_, Value::String(p)) if value.is_empty() && get(p) == Value::Bool(false) => String::new(),
                    (_, Value::String(p)) => cell(kind, &get(p)),
                    (_, Value::Array(ps)) => {
                        let ids: Vec<String> = ps.iter().map(|p| cell(kind, &get(p.as_str().unwrap()))).collect();
                        ids.into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
                    }
                    other => panic!("{other:?}"),
                };
                assert_eq!(value, expected, "{} {}", t.file, c["name"]);
                cells += 1;
            }
        }
    }
    assert!(cells > 1000, "{cells} cells compared");
}
