//! The description of `filings.jsonl` inside `metadata.json`. Fields that a
//! TSV column also carries take their type and meaning from that column
//! (`columns::TABLES`); only the fields no column has are written here. A
//! test checks that this covers every field of a filing's JSON, and no more.

use serde_json::{json, Value};

use super::columns::{Kind, Source, TABLES};

/// JSON-only fields: (path, type, nullable, meaning).
const EXTRA: &[(&str, &str, bool, &str)] = &[
    ("schema_version", "string", true, "The ownership XML schema version (X0306, X0508…)."),
    (
        "accepted_at",
        "datetime",
        true,
        "When EDGAR accepted the filing (when it became public), UTC to the second, \
         YYYY-MM-DDTHH:MM:SSZ; null where no SEC header was read (bare XML, SEC's data sets).",
    ),
    ("aff10b5_one", "boolean", true, "Rule 10b5-1 plan box (aff10b5One, schema X0407 on)."),
    (
        "source",
        "string",
        false,
        "Where it was read from: edgar_submission (full submission with SEC header), edgar_document \
         (bare ownership XML), sec_dataset (SEC's quarterly data sets, amounts rounded to two decimals), \
         synthetic (made up, the first-start sample).",
    ),
    (
        "amends_accession_number",
        "string",
        true,
        "For an amendment, the accession number of the filing it amends when that is known (it may be in \
         an earlier month's file); else null.",
    ),
    (
        "superseded_by_accession_number",
        "string",
        true,
        "The latest amendment of this filing filed by the end of this month (in this same file), else null. \
         An amendment filed in a later month is in that month's file, naming this filing in \
         amends_accession_number; this file does not change for it.",
    ),
    ("reporting_owners[].is_director", "boolean", true, "Director box."),
    ("reporting_owners[].is_officer", "boolean", true, "Officer box."),
    ("reporting_owners[].is_ten_percent_owner", "boolean", true, "10% owner box."),
    ("reporting_owners[].is_other", "boolean", true, "Other box."),
];

/// Rows with `footnote_ids`: the map from a field's name to the ids of the
/// footnotes attached to it, in document order (`{"shares": ["F1"]}`).
const FOOTNOTED: &[&str] = &[
    "non_derivative_transactions[]",
    "non_derivative_holdings[]",
    "derivative_transactions[]",
    "derivative_holdings[]",
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

/// Every field of a `filings.jsonl` line, by path (see `dictionary`).
pub fn fields() -> Vec<Value> {
    let field = |name: String, ty: &str, nullable: bool, description: &str, column: Option<String>| {
        let mut f = json!({ "name": name, "type": ty, "nullable": nullable, "dc:description": description });
        if let Some(column) = column {
            f["insider-bulk:column"] = column.into();
        }
        f
    };
    let mut out = Vec::new();
    let mut tables: Vec<_> = TABLES.iter().collect();
    tables.sort_by_key(|t| !t.rows.is_empty());
    for t in tables {
        for c in t.columns {
            let Source::Field(name) = c.source else { continue };
            if c.kind == Kind::Accession && !t.rows.is_empty() {
                continue;
            }
            let path = if t.rows.is_empty() { name.to_owned() } else { format!("{}.{name}", t.rows) };
            let column = format!("{}.{}", t.file.trim_end_matches(".tsv"), c.name);
            out.push(field(path, json_type(c.kind), !c.required, c.description, Some(column)));
        }
    }
    for (name, ty, nullable, description) in EXTRA {
        out.push(field((*name).to_owned(), ty, *nullable, description, None));
    }
    for rows in FOOTNOTED {
        let description = "Footnote ids per field of the row: {\"shares\": [\"F1\", \"F2\"]}; the key `row` for a \
                           footnote on the row itself.";
        out.push(field(format!("{rows}.footnote_ids"), "object", false, description, None));
    }
    out
}

pub fn describe() -> Value {
    json!({
        "url": "filings.jsonl",
        "dc:description": "One JSON object per line, one line per filing, in accession order: the filing's own \
            fields and an array per table (reporting_owners, non_derivative_transactions, \
            non_derivative_holdings, derivative_transactions, derivative_holdings, footnotes, \
            owner_signatures) in document order. Dates are YYYY-MM-DD, flags booleans, amounts JSON numbers, \
            CIKs ten-digit strings; an absent value is null. `name` is a path: '.' between keys, '[]' for \
            each element of an array. insider-bulk:column names the TSV column with the same value.",
        "fields": fields(),
    })
}
