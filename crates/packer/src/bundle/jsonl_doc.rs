//! The description of the month's `.jsonl.gz` lines (the per-filing
//! record, `core::record`) inside `metadata.json`. Fields that a TSV
//! column also carries take their type and meaning from that column
//! (`columns::TABLES`); only the fields no column has are written here. A
//! test checks that this covers every field of a record, and no more.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::columns::{Kind, Source, TABLES};

/// Record-only fields: (path, type, nullable, meaning).
const EXTRA: &[(&str, &str, bool, &str)] = &[
    ("schemaVersion", "string", true, "The ownership XML schema version (X0306, X0508…)."),
    (
        "acceptedAt",
        "datetime",
        true,
        "When EDGAR accepted the filing (when it became public), UTC, YYYY-MM-DDTHH:MM:SS.sssZ; null where no \
         SEC header was read (bare XML, SEC's data sets).",
    ),
    ("aff10b5One", "boolean", true, "Rule 10b5-1 plan box (schema X0407 on); null where the filing has none."),
    ("isAmendment", "boolean", false, "documentType is 3/A, 4/A or 5/A."),
    (
        "originalAccessionNo",
        "string",
        true,
        "For an amendment, the accession number of the filing it amends when that is known (it may be in an \
         earlier month's file); else null.",
    ),
    (
        "supersededByAccessionNo",
        "string",
        true,
        "The latest amendment of this filing filed by the end of this month (in this same file), else null. An \
         amendment filed in a later month is in that month's file, naming this filing in originalAccessionNo; \
         this file does not change for it.",
    ),
    ("isSuperseded", "boolean", false, "supersededByAccessionNo is not null."),
    (
        "businessDaysToFile",
        "integer",
        true,
        "Form 4 (not amendments): business days from the earliest transaction date to filedAt (weekends and US \
         federal holidays by rule do not count, Juneteenth from 2021); null for other forms, amendments, or a \
         filing without a filing or transaction date.",
    ),
    ("isLate", "boolean", true, "businessDaysToFile > 2 (a Form 4 is due two business days after the trade)."),
    ("ownerSignatureName", "string", true, "The first signature's name."),
    ("ownerSignatureDate", "date", true, "The first signature's date."),
    (
        "indexUrl",
        "string",
        true,
        "EDGAR's index page of the filing, under the issuer's CIK; null only without an accession number.",
    ),
    ("xmlUrl", "string", true, "The XML document's URL: always null (the document's name is not kept)."),
    (
        "source",
        "string",
        false,
        "Where it was read from: edgar_submission (full submission with SEC header), edgar_document (bare \
         ownership XML), sec_dataset (SEC's quarterly data sets, amounts rounded to two decimals), synthetic \
         (made up, the first-start sample).",
    ),
    ("reportingOwners[].relationship.isDirector", "boolean", false, "Director box (false when left out)."),
    ("reportingOwners[].relationship.isOfficer", "boolean", false, "Officer box (false when left out)."),
    ("reportingOwners[].relationship.isTenPercentOwner", "boolean", false, "10% owner box (false when left out)."),
    ("reportingOwners[].relationship.isOther", "boolean", false, "Other box (false when left out)."),
];

/// The four tables' rows, which may carry footnotes on the row itself.
const ROWS: &[&str] = &[
    "nonDerivativeTable.transactions[]",
    "nonDerivativeTable.holdings[]",
    "derivativeTable.transactions[]",
    "derivativeTable.holdings[]",
];

fn json_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Date => "date",
        Kind::Number => "number",
        Kind::Flag => "boolean",
        Kind::Key => "integer",
        _ => "string",
    }
}

fn field(name: String, ty: &str, nullable: bool, description: &str, column: Option<String>) -> Value {
    let mut f = json!({ "name": name, "type": ty, "nullable": nullable, "dc:description": description });
    if let Some(column) = column {
        f["insider-bulk:column"] = column.into();
    }
    f
}

/// Every field of a `.jsonl.gz` line, by path (see `dictionary`).
pub fn fields() -> Vec<Value> {
    let mut out = Vec::new();
    let mut footnoted = BTreeSet::new();
    let mut tables: Vec<_> = TABLES.iter().collect();
    tables.sort_by_key(|t| !t.rows.is_empty());
    for t in tables {
        let within = |name: &str| if t.rows.is_empty() { name.to_owned() } else { format!("{}.{name}", t.rows) };
        for c in t.columns {
            match c.source {
                Source::Field(_) if c.kind == Kind::Accession && !t.rows.is_empty() => {}
                Source::Field(name) => {
                    let column = format!("{}.{}", t.file.trim_end_matches(".tsv"), c.name);
                    out.push(field(within(name), json_type(c.kind), !c.required, c.description, Some(column)));
                }
                Source::Footnotes(elements) => footnoted.extend(elements.iter().map(|e| within(e))),
                Source::Fields(_) | Source::Row => {}
            }
        }
    }
    for (name, ty, nullable, description) in EXTRA {
        out.push(field((*name).to_owned(), ty, *nullable, description, None));
    }
    let on_element = "Ids of the footnotes on this element (footnotes[].id), in document order; absent when none.";
    for element in footnoted {
        out.push(field(format!("{element}.footnoteIds"), "array", false, on_element, None));
    }
    let on_row = "Ids of the footnotes on the row as a whole; absent when none.";
    for rows in ROWS {
        out.push(field(format!("{rows}.footnoteIds"), "array", false, on_row, None));
    }
    out
}

pub fn describe() -> Value {
    json!({
        "url": "form-{t}-{YYYY}-{MM}.jsonl.gz",
        "dc:description": "The month's filings beside this archive, gzip-compressed JSON lines: one filing per line, \
            in accession order, in the live service's per-filing record shape. Keys are the ownership XML's element \
            names in camelCase; an element's <value> is {\"value\": ...} and the footnotes on it its \
            \"footnoteIds\"; an element with neither is left out, and a footnote on an element this record does \
            not model is kept as {\"footnoteIds\": [...]} under that element's name. Every top-level key is \
            present (null when unknown) and nonDerivativeTable and derivativeTable always have both transactions \
            and holdings arrays. Dates are YYYY-MM-DD, flags booleans, amounts JSON numbers, CIKs ten-digit \
            strings. `name` is a path: '.' between keys, '[]' for each element of an array. insider-bulk:column \
            names the TSV column with the same value.",
        "fields": fields(),
    })
}
