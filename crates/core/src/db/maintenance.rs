//! When scheduled duties last completed (the nightly run), for the alert
//! that fires when one stops running.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::maintenance_runs;
use super::{now_utc, DbConnection, DbError};

pub const NIGHTLY: &str = "nightly";

pub fn record_run(conn: &mut DbConnection, name: &str) -> Result<(), DbError> {
    let now = now_utc();
    crate::on_backend!(conn, c => diesel::insert_into(maintenance_runs::table)
        .values((maintenance_runs::name.eq(name), maintenance_runs::last_run_at.eq(now)))
        .on_conflict(maintenance_runs::name)
        .do_update()
        .set(maintenance_runs::last_run_at.eq(now))
        .execute(c))?;
    Ok(())
}

pub fn last_run(conn: &mut DbConnection, name: &str) -> Result<Option<PrimitiveDateTime>, DbError> {
    Ok(maintenance_runs::table.find(name).select(maintenance_runs::last_run_at).first(conn).optional()?)
}
