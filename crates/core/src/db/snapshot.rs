//! One PostgreSQL snapshot read over several connections, so that a month
//! can be read on two at once and still be one consistent picture: the
//! first connection's transaction exports its snapshot, and the others
//! adopt it (`SET TRANSACTION SNAPSHOT`) before their first query. The
//! exported snapshot lives as long as the exporting transaction.

use diesel::sql_types::Text;
use diesel::RunQueryDsl;

use super::{DbConnection, DbError};

/// Makes the current transaction a read-only REPEATABLE READ one, which
/// keeps one snapshot for all its queries. On SQLite a transaction is one
/// snapshot already; nothing is sent.
///
/// Its queries also plan generically: a month is read by lists of 1,000
/// keys, and the planner's plan for the list itself (what the first five
/// runs of a prepared query get) reads a small table whole and sorts it,
/// where the generic plan's index scan is right at every size.
pub fn read_only(conn: &mut DbConnection) -> Result<(), DbError> {
    if conn.is_postgres() {
        diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        diesel::sql_query("SET LOCAL plan_cache_mode = force_generic_plan").execute(conn)?;
    }
    Ok(())
}

/// The current transaction's snapshot, for [`adopt`] on other connections
/// while this transaction is open; `None` on SQLite, which cannot share one.
pub fn export(conn: &mut DbConnection) -> Result<Option<String>, DbError> {
    if !conn.is_postgres() {
        return Ok(None);
    }
    #[derive(diesel::QueryableByName)]
    struct Exported {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let exported: Exported = diesel::sql_query("SELECT pg_export_snapshot() AS id").get_result(conn)?;
    Ok(Some(exported.id))
}

/// Makes the current transaction, which has run no query yet, read-only
/// and reading the snapshot `id` exported by another connection.
pub fn adopt(conn: &mut DbConnection, id: &str) -> Result<(), DbError> {
    // A utility statement takes no bind parameter; the id is checked to be
    // what PostgreSQL exports (hex digits and dashes), so quoting is safe.
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(DbError::Corrupt(format!("not an exported snapshot id: {id:?}")));
    }
    read_only(conn)?;
    diesel::sql_query(format!("SET TRANSACTION SNAPSHOT '{id}'")).execute(conn)?;
    Ok(())
}
