//! One schema, checked: both migration trees, run to the end, create the
//! same tables with the same columns, nullability and types, and
//! `db/schema.rs` (what diesel reads and writes through) says exactly that.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use insider_bulk_core::db::DbConnection;
use insider_bulk_testing::{Backend, TestDatabase};

/// table → column → (type as schema.rs spells it, without `Nullable`; nullable).
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Tables diesel keeps for itself.
const NOT_OURS: [&str; 1] = ["__diesel_schema_migrations"];

/// `db/schema.rs`'s `table!` blocks, read as text.
fn declared() -> Columns {
    let text = std::fs::read_to_string(format!("{}/src/db/schema.rs", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("//") || line.starts_with("///") {
            continue;
        }
        if let Some((name, rest)) = line.split_once(" (") {
            if rest.ends_with(") {") && !name.contains(' ') {
                current = Some(name.to_owned());
                tables.entry(name.to_owned()).or_default();
                continue;
            }
        }
        if line == "}" {
            current = None;
            continue;
        }
        let (Some(table), Some((column, ty))) = (&current, line.trim_end_matches(',').split_once(" -> ")) else {
            continue;
        };
        let (ty, nullable) = match ty.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
            Some(inner) => (inner, true),
            None => (ty, false),
        };
        tables.get_mut(table).unwrap().insert(column.to_owned(), (ty.to_owned(), nullable));
    }
    tables
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

/// What PostgreSQL's type is called in schema.rs.
fn diesel_type(sql: &str) -> String {
    let name = match sql {
        "text" => "Text",
        "integer" => "Integer",
        "bigint" => "BigInt",
        "smallint" => "SmallInt",
        "boolean" => "Bool",
        "date" => "Date",
        "double precision" => "Double",
        "timestamp without time zone" => "Timestamp",
        other => return format!("unknown SQL type {other}"),
    };
    name.to_owned()
}

/// SQLite's affinity of a declared column type (its rules, section 3.1 of
/// "Datatypes In SQLite").
fn affinity(declared: &str) -> &'static str {
    let d = declared.to_ascii_uppercase();
    if d.contains("INT") {
        "INTEGER"
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        "TEXT"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Whether SQLite stores a schema.rs type under `affinity` the way diesel
/// reads it back: dates and timestamps as text, booleans as integers.
fn sqlite_stores(schema_type: &str, affinity: &str) -> bool {
    match schema_type {
        "Text" => affinity == "TEXT",
        "Date" | "Timestamp" => matches!(affinity, "TEXT" | "NUMERIC"),
        "Integer" | "BigInt" | "SmallInt" => affinity == "INTEGER",
        "Bool" => matches!(affinity, "INTEGER" | "NUMERIC"),
        "Double" => affinity == "REAL",
        _ => false,
    }
}

fn created(backend: Backend) -> Columns {
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let rows: Vec<Column> = match &mut conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
             (is_nullable = 'YES')::int AS nullable FROM information_schema.columns \
             WHERE table_schema = current_schema()",
        )
        .load(pg)
        .unwrap(),
        DbConnection::Sqlite(lite) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(lite)
        .unwrap(),
    };
    let mut tables = Columns::new();
    for c in rows.into_iter().filter(|c| !NOT_OURS.contains(&c.table_name.as_str())) {
        let ty = match backend {
            Backend::Postgres => diesel_type(&c.data_type),
            Backend::Sqlite => affinity(&c.data_type).to_owned(),
        };
        tables.entry(c.table_name).or_default().insert(c.column_name, (ty, c.nullable == 1));
    }
    tables
}

/// Where two descriptions differ, one line each.
fn differences(left: &Columns, right: &Columns, names: (&str, &str)) -> Vec<String> {
    let mut out = Vec::new();
    for table in left.keys().chain(right.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (l, r) = (left.get(table), right.get(table));
        let (Some(l), Some(r)) = (l, r) else {
            let only = if l.is_some() { names.0 } else { names.1 };
            out.push(format!("table {table}: only in {only}"));
            continue;
        };
        for column in l.keys().chain(r.keys()).collect::<std::collections::BTreeSet<_>>() {
            if l.get(column) != r.get(column) {
                out.push(format!("{table}.{column}: {} {:?}, {} {:?}", names.0, l.get(column), names.1, r.get(column)));
            }
        }
    }
    out
}

#[test]
fn both_backends_and_schema_rs_describe_one_schema() {
    let schema_rs = declared();
    assert!(schema_rs.len() > 15 && schema_rs["filings"].contains_key("filing_month"), "{schema_rs:?}");
    let postgres = created(Backend::Postgres);
    let mut problems = differences(&schema_rs, &postgres, ("schema.rs", "PostgreSQL"));
    // SQLite has affinities, not types: the same columns and nullability,
    // each under the affinity its schema.rs type is stored with.
    let sqlite = created(Backend::Sqlite);
    let as_stored: Columns = sqlite
        .iter()
        .map(|(table, columns)| {
            let columns = columns
                .iter()
                .map(|(column, (affinity, nullable))| {
                    let declared = schema_rs.get(table).and_then(|c| c.get(column)).map(|(ty, _)| ty.as_str());
                    let ty = match declared {
                        Some(ty) if sqlite_stores(ty, affinity) => ty.to_owned(),
                        _ => format!("{affinity} affinity"),
                    };
                    (column.clone(), (ty, *nullable))
                })
                .collect();
            (table.clone(), columns)
        })
        .collect();
    problems.extend(differences(&schema_rs, &as_stored, ("schema.rs", "SQLite")));
    assert!(problems.is_empty(), "the schemas differ:\n{}", problems.join("\n"));
}

/// (table, column) → the names its CHECK constraint allows, read back from
/// the database the migrations built.
fn check_lists(backend: Backend) -> BTreeMap<(String, String), Vec<String>> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        definition: String,
    }
    let db = TestDatabase::new(backend);
    let mut conn = db.connect();
    let definitions: Vec<Definition> = match &mut conn {
        // `CHECK ((reason = ANY (ARRAY['on_demand'::text, …])))`
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS definition \
             FROM pg_constraint WHERE contype = 'c' AND connamespace = current_schema()::regnamespace",
        )
        .load(pg)
        .unwrap(),
        // The CREATE TABLE statement, with `CHECK (reason IN ('on_demand', …))`.
        DbConnection::Sqlite(lite) => diesel::sql_query(
            "SELECT name AS table_name, sql AS definition FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL",
        )
        .load(lite)
        .unwrap(),
    };
    let mut lists = BTreeMap::new();
    for d in definitions {
        let mut rest = d.definition.as_str();
        while let Some(at) = rest.find("CHECK (") {
            rest = &rest[at + "CHECK (".len()..];
            let body = &rest[..rest.find("))").map_or(rest.len(), |end| end + 2)];
            let column: String =
                body.trim_start_matches('(').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let names: Vec<String> = body.split('\'').skip(1).step_by(2).map(str::to_owned).collect();
            if !names.is_empty() {
                lists.insert((d.table_name.clone(), column), names);
            }
        }
    }
    lists
}

#[test]
fn check_constraints_allow_exactly_the_rust_names() {
    use insider_bulk_core::domain::{BundleStatus, FilingSource, JobReason, JobState, LedgerKind, StorageTier, Tier};
    let expected: BTreeMap<(String, String), Vec<String>> = [
        ("jobs", "reason", JobReason::NAMES),
        ("jobs", "state", JobState::NAMES),
        ("bundles", "status", BundleStatus::NAMES),
        ("bundles", "storage", StorageTier::NAMES),
        ("accounts", "tier", Tier::NAMES),
        ("ledger", "entry_kind", LedgerKind::NAMES),
        ("filings", "source", FilingSource::NAMES),
    ]
    .into_iter()
    .map(|(table, column, names)| {
        ((table.to_owned(), column.to_owned()), names.iter().map(|n| n.to_string()).collect())
    })
    .collect();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let found = check_lists(backend);
        assert_eq!(found, expected, "{backend:?}: the CHECK lists are the Rust enums' names");
    }
}
