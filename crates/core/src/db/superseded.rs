//! Bundle objects the index no longer points to, kept for a while because
//! downloads under way and signed URLs already handed out may still read
//! them; the nightly run deletes them once the retention has passed.

use std::collections::HashSet;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::{bundles, superseded_objects};
use super::{now_utc, DbConnection, DbError};

pub fn record(conn: &mut DbConnection, object_key: &str) -> Result<(), DbError> {
    crate::on_backend!(conn, c => diesel::insert_into(superseded_objects::table)
        .values((superseded_objects::object_key.eq(object_key), superseded_objects::superseded_at.eq(now_utc())))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Keys superseded before `before` that no index row points to.
pub fn due(conn: &mut DbConnection, before: PrimitiveDateTime) -> Result<Vec<String>, DbError> {
    let referenced = bundles::table.select(bundles::object_key);
    let referenced_jsonl = bundles::table.select(bundles::jsonl_object_key);
    Ok(superseded_objects::table
        .filter(superseded_objects::superseded_at.lt(before))
        .filter(superseded_objects::object_key.ne_all(referenced))
        .filter(superseded_objects::object_key.ne_all(referenced_jsonl))
        .order(superseded_objects::superseded_at)
        .select(superseded_objects::object_key)
        .load(conn)?)
}

/// Every object key the database knows: those the index points to and
/// those waiting out their retention here. An object under any other key
/// is an orphan.
pub fn known_keys(conn: &mut DbConnection) -> Result<HashSet<String>, DbError> {
    let indexed: Vec<(String, String)> =
        bundles::table.select((bundles::object_key, bundles::jsonl_object_key)).load(conn)?;
    let mut keys: HashSet<String> = indexed.into_iter().flat_map(|(tar, jsonl)| [tar, jsonl]).collect();
    keys.extend(superseded_objects::table.select(superseded_objects::object_key).load::<String>(conn)?);
    Ok(keys)
}

/// Takes a key off the list once its object is deleted.
pub fn remove(conn: &mut DbConnection, object_key: &str) -> Result<(), DbError> {
    diesel::delete(superseded_objects::table.find(object_key)).execute(conn)?;
    Ok(())
}
