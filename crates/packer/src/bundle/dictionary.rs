//! `metadata.json`, the bundle's data dictionary in the CSV-on-the-Web form
//! of SEC's `FORM_345_metadata.json`, made from `columns::TABLES`; and the
//! bundle's `README.txt`.
//!
//! Each column also says where its value is in a line of the month's
//! `.jsonl.gz` (the per-filing record, `core::record`), in the
//! non-standard property `insider-bulk:jsonField` (CSVW readers ignore
//! properties they do not know): a path into one JSON line, `.` between
//! object keys and `[]` for "each element of this array"; an array of
//! paths when the column is made from several fields; the row's own path
//! (`derivativeTable.holdings[]`) for a `*_SK` key, which numbers rows.

use insider_bulk_core::domain::{FilingSource, FormType, Month};
use serde_json::{json, Value};

use super::columns::{Column, Kind, Source, Table, TABLES};
use super::FORMAT_VERSION;

const JSON_FIELD: &str = "insider-bulk:jsonField";

/// The CSVW datatype of a kind, and the list separator where a cell holds
/// several values.
fn datatype(kind: Kind) -> (Value, Option<&'static str>) {
    let pattern = |length: u32, format: &str| json!({ "base": "string", "length": length, "format": format });
    match kind {
        Kind::Accession => (pattern(20, "^[0-9]{10}-[0-9]{2}-[0-9]{6}$"), None),
        Kind::Cik => (pattern(10, "^[0-9]{10}$"), None),
        Kind::Date => (json!({ "base": "date", "format": "dd-MMM-yyyy" }), None),
        Kind::Number => (json!({ "base": "number" }), None),
        Kind::Key => (json!({ "base": "integer", "minimum": 1 }), None),
        Kind::Flag => (json!({ "base": "string", "format": "^(0|1|false|true)$" }), None),
        Kind::DocumentType => (json!({ "base": "string", "format": "^[345](/A)?$" }), None),
        Kind::Footnotes => (json!({ "base": "string" }), Some(", ")),
        Kind::Roles => (json!({ "base": "string", "format": "^(Director|Officer|TenPercentOwner|Other)$" }), Some(",")),
        Kind::Text => (json!({ "base": "string" }), None),
    }
}

/// The `.jsonl.gz` record path(s) a column comes from (see the module doc).
pub fn json_field(table: &Table, column: &Column) -> Value {
    let path = |field: &str| match (column.kind, table.rows) {
        (Kind::Accession, _) | (_, "") => field.to_owned(),
        (_, rows) => format!("{rows}.{field}"),
    };
    let paths = |fields: &[&str], suffix: &str| -> Value {
        match fields {
            [one] => path(&format!("{one}{suffix}")).into(),
            many => many.iter().map(|f| Value::from(path(&format!("{f}{suffix}")))).collect(),
        }
    };
    match column.source {
        Source::Field(field) => path(field).into(),
        Source::Fields(fields) => paths(fields, ""),
        Source::Footnotes(elements) => paths(elements, ".footnoteIds"),
        Source::Row => table.rows.into(),
    }
}

fn column(table: &Table, c: &Column) -> Value {
    let (datatype, separator) = datatype(c.kind);
    let mut col = json!({
        "name": c.name,
        "titles": c.name.replace('_', " "),
        "datatype": datatype,
        "required": c.required,
        "dc:description": c.description,
        JSON_FIELD: json_field(table, c),
    });
    if let Some(separator) = separator {
        col["separator"] = separator.into();
    }
    col
}

fn table(t: &Table) -> Value {
    let key = t.key_columns();
    let mut schema = json!({
        "primaryKey": if key.len() == 1 { Value::from(key[0]) } else { key.into() },
        "columns": t.columns.iter().map(|c| column(t, c)).collect::<Vec<_>>(),
    });
    if t.file != "SUBMISSION.tsv" {
        schema["foreignKeys"] = json!([{
            "columnReference": "ACCESSION_NUMBER",
            "reference": { "resource": "SUBMISSION.tsv", "columnReference": "ACCESSION_NUMBER" },
        }]);
    }
    json!({ "url": t.file, "dc:description": t.description, "tableSchema": schema })
}

/// The whole of `metadata.json`: the same in every bundle of a format
/// version.
pub fn metadata_json() -> Vec<u8> {
    let doc = json!({
        "@context": "http://www.w3.org/ns/csvw",
        "dc:title": "insider-bulk monthly bundle of SEC Forms 3, 4 and 5",
        "dc:description": "SEC's eight Insider Transactions Data Sets tables for one form type and month, \
            as SEC writes them: tab-separated, one header row, UTF-8, LF line ends; an empty cell is null; \
            a value holding a double quote is wrapped in quotes with inner quotes doubled; dates \
            DD-MON-YYYY with the month in capitals (27-SEP-2024); flags as the filer wrote them \
            (0, 1, false, true). Each column's insider-bulk:jsonField is where its value is in a line of \
            the month's .jsonl.gz (form-{t}-{YYYY}-{MM}.jsonl.gz, beside this archive): a path with '.' between keys and '[]' for each element of an array; a list \
            when the column is made from several fields; the row itself for a *_SK key.",
        "insider-bulk:formatVersion": FORMAT_VERSION,
        "dialect": {
            "delimiter": "\t",
            "header": true,
            "headerRowCount": 1,
            "quoteChar": "\"",
            "doubleQuote": true,
            "encoding": "utf-8",
            "lineTerminators": ["\n"],
        },
        "tables": TABLES.iter().map(table).collect::<Vec<_>>(),
        "insider-bulk:jsonl": super::jsonl_doc::describe(),
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value always serializes");
    bytes.push(b'\n');
    bytes
}

/// The bundle's `README.txt`.
pub fn readme_txt(form: FormType, month: Month, synthetic: bool) -> Vec<u8> {
    let sources = FilingSource::ALL.map(|s| s.as_str()).join(", ");
    let sample = if synthetic {
        "YES: this bundle holds the made-up first-start sample, not real filings."
    } else {
        "no: real filings."
    };
    format!(
        "insider-bulk: SEC Form {form} filings for {month}, bundle format version {FORMAT_VERSION}

A filing is in the month EDGAR filed it in (FILING_DATE, the business day EDGAR
assigned, US Eastern), as in SEC's data sets: amendments too, so a {form}/A filed
in {month} is here whatever period it reports, and one filed later is in its own
month's bundle. This bundle is what was public by the end of {month}, plus later
corrections of these same filings. In the .jsonl.gz an amendment names the filing
it amends (originalAccessionNo) and a filing names its latest amendment filed by
the end of {month} (supersededByAccessionNo): to get the latest version of every
filing, read the months in order and follow originalAccessionNo forward (a later
amendment replaces the filing it names).

Files
  SUBMISSION.tsv, REPORTINGOWNER.tsv, NONDERIV_TRANS.tsv, NONDERIV_HOLDING.tsv,
  DERIV_TRANS.tsv, DERIV_HOLDING.tsv, FOOTNOTES.tsv, OWNER_SIGNATURE.tsv
      SEC's Insider Transactions Data Sets tables, with SEC's columns and formats
      (tab-separated; dates DD-MON-YYYY; flags 0/1/false/true as filed; values
      holding a double quote are quoted CSV-style). *_SK keys count from 1
      within this bundle, in accession order.
  metadata.json   the data dictionary (CSV on the Web): each column's type, meaning
                  and the .jsonl.gz field it comes from; the .jsonl.gz's fields
  manifest.json   counts, source fingerprint, each file's sha256 and size, and
                  (\"sibling\") the sha256 and size of the month's .jsonl.gz
  README.txt      this file
Beside this archive, form-{form}-{month}.jsonl.gz: the same filings, one per line
in accession order, in the live service's per-filing record shape (the ownership
XML's element names in camelCase, each <value> as {{\"value\": ...}}, footnote ids
on the element that carries them).

isLate and businessDaysToFile (in the .jsonl.gz): for an original Form 4, the
business days from its earliest transaction date to its filing date, and whether
that is more than the two that Section 16(a) allows. Business days exclude
weekends and the US federal holidays by rule (New Year's Day, Martin Luther King
Jr. Day, Washington's Birthday, Memorial Day, Juneteenth from 2021, Independence
Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving, Christmas; a fixed-date
holiday on a Saturday is observed the Friday before, on a Sunday the Monday
after); one-off closures are not counted. Both are null for Forms 3 and 5, for
amendments, and where a date is unknown.

Where the data comes from: EDGAR ownership filings (the XML document, with the
SEC header of a full submission where one was read) and SEC's quarterly data sets;
the .jsonl.gz's \"source\" says which for each filing:
  {sources}.

Synthetic (manifest.json \"synthetic\"): {sample}

Verify: the sha256 of every other file is in manifest.json \"files\"; for example
  sha256sum SUBMISSION.tsv   and compare with its entry; and
  sha256sum form-{form}-{month}.jsonl.gz   with \"sibling\" \"sha256\".
"
    )
    .into_bytes()
}
