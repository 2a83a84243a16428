//! PostgreSQL's binary `COPY ... FROM STDIN` for the rows that the store
//! would otherwise send as multi-row INSERTs. A multi-row INSERT of a
//! thousand filings is a statement of tens of thousands of parameters that
//! the server parses and plans anew each time (it cannot be cached); COPY
//! streams the same values with no statement to plan.
//!
//! The rows stay what they are for INSERT (tuples of column assignments and
//! borrowed model structs, see [`super::FilingRows`]): each row's values are
//! serialized by diesel's own `ToSql` (the bind collector of the INSERT),
//! and the column list is the INSERT's, so a new column needs nothing here.
//! diesel's `from_insertable` cannot take these rows: it wants one flat
//! struct per table, and the model's structs are nested in the row tuples.

use std::cell::RefCell;
use std::marker::PhantomData;

use diesel::pg::{
    CopyFormat, CopyTarget, FailedToLookupTypeError, Pg, PgConnection, PgMetadataCacheKey, PgMetadataLookup,
    PgTypeMetadata,
};
use diesel::prelude::*;
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::{AsQuery, AstPass, QueryFragment};
use diesel::result::Error;

/// The signature of PostgreSQL's binary COPY format, then the flags and the
/// length of the header extension (both 0).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

thread_local! {
    /// `"table" ("column", …)` of the COPY being built on this thread; see
    /// [`InsertColumns`].
    static TARGET: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The COPY target of a table with the columns that its INSERT would name.
/// diesel asks a COPY target for its SQL without an instance, so the column
/// list, known only once a row is at hand, is handed over in [`TARGET`]
/// just before the statement is built, on the same thread.
struct InsertColumns<T>(PhantomData<T>);

impl<T> CopyTarget for InsertColumns<T>
where
    T: Table,
    <T as AsQuery>::SqlType: diesel::sql_types::SqlType,
{
    type Table = T;
    type SqlType = <T as AsQuery>::SqlType;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        TARGET.with(|target| pass.push_sql(&target.borrow()));
        Ok(())
    }
}

fn serialization_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::SerializationError(Box::new(e))
}

/// `"table" ("column", …)` from the INSERT diesel would run for `row`.
fn insert_target<T, R>(table: T, row: R) -> QueryResult<String>
where
    T: Table,
    R: Insertable<T>,
    diesel::query_builder::InsertStatement<T, R::Values>: QueryFragment<Pg>,
{
    let insert = diesel::insert_into(table).values(row);
    let sql = diesel::debug_query::<Pg, _>(&insert).to_string();
    sql.strip_prefix("INSERT INTO ")
        .and_then(|rest| rest.split_once(" VALUES "))
        .map(|(target, _)| target.to_owned())
        .ok_or_else(|| Error::QueryBuilderError(format!("unexpected INSERT for COPY: {sql}").into()))
}

/// Type lookups for the encoder: the binary COPY format carries no type
/// OIDs, and the model has no type that must be looked up (a custom SQL
/// type would fail here, loudly, rather than be sent wrong).
struct NoLookup;

impl PgMetadataLookup for NoLookup {
    fn lookup_type(&mut self, type_name: &str, schema: Option<&str>) -> PgTypeMetadata {
        let key = PgMetadataCacheKey::new(schema.map(|s| s.to_owned().into()), type_name.to_owned().into());
        PgTypeMetadata::from_result(Err(FailedToLookupTypeError::new(key)))
    }
}

/// Bytes handed to the connection at a time: the server parses one chunk
/// while the next is encoded.
const CHUNK: usize = 256 * 1024;

/// Copies `rows` into `table`. Returns the number of rows copied.
pub fn copy_rows<T, R>(conn: &mut PgConnection, table: T, rows: &[R]) -> QueryResult<usize>
where
    T: Table + Copy + 'static,
    <T as AsQuery>::SqlType: diesel::sql_types::SqlType,
    R: Insertable<T> + Clone,
    R::Values: QueryFragment<Pg>,
    diesel::query_builder::InsertStatement<T, R::Values>: QueryFragment<Pg>,
{
    let Some(first) = rows.first() else { return Ok(0) };
    let target = insert_target(table, first.clone())?;
    // `"table" ("a", "b", …)`: quoted names hold no ", ".
    let columns = target.split_once(" (").map_or(0, |(_, list)| list.split(", ").count());
    let columns = i16::try_from(columns).map_err(serialization_error)?;

    let encode = |out: &mut dyn std::io::Write| -> QueryResult<()> {
        let mut data = Vec::with_capacity(CHUNK + 64 * 1024);
        data.extend_from_slice(HEADER);
        let mut binds = RawBytesBindCollector::<Pg>::new();
        for row in rows {
            row.clone().values().collect_binds(&mut binds, &mut NoLookup, &Pg)?;
            if binds.binds.len() != columns as usize {
                return Err(Error::QueryBuilderError(
                    format!("COPY {}: a row has {} values", TARGET.with(|t| t.borrow().clone()), binds.binds.len())
                        .into(),
                ));
            }
            data.extend_from_slice(&columns.to_be_bytes());
            for value in binds.binds.drain(..) {
                match value {
                    None => data.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(bytes) => {
                        let len = i32::try_from(bytes.len()).map_err(serialization_error)?;
                        data.extend_from_slice(&len.to_be_bytes());
                        data.extend_from_slice(&bytes);
                    }
                }
            }
            binds.metadata.clear();
            if data.len() >= CHUNK {
                out.write_all(&data).map_err(serialization_error)?;
                data.clear();
            }
        }
        data.extend_from_slice(&(-1i16).to_be_bytes());
        out.write_all(&data).map_err(serialization_error)
    };

    TARGET.with(|t| *t.borrow_mut() = target);
    let copied = diesel::copy_from(table)
        .from_raw_data(InsertColumns::<T>(PhantomData), encode)
        .with_format(CopyFormat::Binary)
        .execute(conn);
    TARGET.with(|t| t.borrow_mut().clear());
    copied
}
