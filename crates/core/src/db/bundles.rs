//! The index rows: which months have a file, where it is, and what it was
//! built from. Written by the packer only after the file is durable.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::bundles;
use super::{superseded, DbConnection, DbError};
use crate::domain::{BundleStatus, FormType, JobId, Month, StorageTier};

#[derive(Queryable, Selectable, Insertable, AsChangeset, Debug, Clone, PartialEq)]
#[diesel(table_name = bundles)]
#[diesel(treat_none_as_default_value = false)]
pub struct BundleRow {
    pub form_type: FormType,
    pub period_month: Month,
    pub status: BundleStatus,
    pub storage: StorageTier,
    pub file_name: String,
    pub object_key: String,
    pub generated_at: PrimitiveDateTime,
    pub sha256: String,
    pub size_bytes: i64,
    pub filing_count: i64,
    pub row_count: i64,
    pub source_fingerprint: String,
    pub last_job_id: Option<JobId>,
    /// Built from the first-start sample, not real filings.
    pub synthetic: bool,
    /// The month's second file, its filings as JSON lines
    /// (`form-4-2026-04.jsonl.gz`), published with the tar.gz.
    pub jsonl_object_key: String,
    pub jsonl_sha256: String,
    pub jsonl_size_bytes: i64,
}

impl BundleRow {
    /// The name the index lists the month's JSON lines under.
    pub fn jsonl_file_name(&self) -> String {
        jsonl_file_name(self.form_type, self.period_month)
    }
}

/// `form-4-2026-04.jsonl.gz`: the name of a month's JSON lines, as the
/// index lists it and the download takes it.
pub fn jsonl_file_name(form: FormType, month: Month) -> String {
    format!("form-{form}-{month}.jsonl.gz")
}

/// `form-4-2026-04.tar.gz`: the name of a month's tables.
pub fn tar_file_name(form: FormType, month: Month) -> String {
    format!("form-{form}-{month}.tar.gz")
}

pub fn get(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<BundleRow>, DbError> {
    Ok(bundles::table.find((form, month)).select(BundleRow::as_select()).first(conn).optional()?)
}

pub fn list(conn: &mut DbConnection, form: FormType) -> Result<Vec<BundleRow>, DbError> {
    Ok(bundles::table
        .filter(bundles::form_type.eq(form))
        .order(bundles::period_month)
        .select(BundleRow::as_select())
        .load(conn)?)
}

/// Publishes a month's new file (or its refreshed `generated_at`). The
/// object the row pointed to before, if another, is recorded as superseded,
/// not deleted: a download may be reading it.
pub fn upsert(conn: &mut DbConnection, row: &BundleRow) -> Result<(), DbError> {
    super::write_transaction(conn, |conn| {
        let previous = current_keys(conn, row.form_type, row.period_month)?;
        crate::on_backend!(conn, c => diesel::insert_into(bundles::table)
            .values(row)
            .on_conflict((bundles::form_type, bundles::period_month))
            .do_update()
            .set(row)
            .execute(c))?;
        switched(conn, previous, (&row.object_key, &row.jsonl_object_key))
    })
}

fn current_keys(conn: &mut DbConnection, form: FormType, month: Month) -> Result<Option<(String, String)>, DbError> {
    Ok(bundles::table
        .find((form, month))
        .select((bundles::object_key, bundles::jsonl_object_key))
        .first(conn)
        .optional()?)
}

/// The row now points to `current`, so the objects it pointed to before
/// are superseded. Each write has a key of its own
/// (`bundle_store::object_key`), so `current` is never on that list.
fn switched(conn: &mut DbConnection, previous: Option<(String, String)>, current: (&str, &str)) -> Result<(), DbError> {
    let Some((old_tar, old_jsonl)) = previous else { return Ok(()) };
    for (old, new) in [(old_tar, current.0), (old_jsonl, current.1)] {
        if old != new && !old.is_empty() {
            superseded::record(conn, &old)?;
        }
    }
    Ok(())
}

/// Moves a month between tiers (a cold month shows as pending): `keys` are
/// its two files' (tar.gz, `.jsonl.gz`) copies in the new tier; those in
/// the other tier are recorded as superseded.
pub fn set_tier(
    conn: &mut DbConnection,
    form: FormType,
    month: Month,
    tier: StorageTier,
    keys: (&str, &str),
) -> Result<(), DbError> {
    let status = match tier {
        StorageTier::Hot => BundleStatus::Available,
        StorageTier::Cold => BundleStatus::Pending,
    };
    super::write_transaction(conn, |conn| {
        let previous = current_keys(conn, form, month)?;
        diesel::update(bundles::table.find((form, month)))
            .set((
                bundles::storage.eq(tier),
                bundles::status.eq(status),
                bundles::object_key.eq(keys.0),
                bundles::jsonl_object_key.eq(keys.1),
            ))
            .execute(conn)?;
        switched(conn, previous, keys)
    })
}
