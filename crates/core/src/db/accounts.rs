//! Accounts, their API keys and their token ledger. Every change to a
//! balance goes through [`append_entry`], which writes the ledger row and
//! the new balance together, so the balance always equals the ledger's sum.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::schema::{accounts, api_keys, ledger};
use super::{now_utc, write_transaction, DbConnection, DbError};
use crate::domain::{AccountId, JobId, LedgerKind, Tier};

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: AccountId,
    pub name: String,
    pub tier: Tier,
    pub balance: i64,
    pub created_at: PrimitiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = api_keys)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApiKeyRow {
    pub id: String,
    pub account_id: AccountId,
    pub secret_sha256: String,
    pub label: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = ledger)]
pub struct LedgerEntry {
    pub id: i64,
    pub account_id: AccountId,
    pub entry_kind: LedgerKind,
    pub amount: i64,
    pub balance_after: i64,
    pub job_id: Option<JobId>,
    pub note: Option<String>,
    pub created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = ledger)]
struct NewLedgerEntry<'a> {
    account_id: &'a AccountId,
    entry_kind: LedgerKind,
    amount: i64,
    balance_after: i64,
    job_id: Option<&'a JobId>,
    note: Option<&'a str>,
    created_at: PrimitiveDateTime,
}

/// Creates an account, granting `tokens` through the ledger.
pub fn create(conn: &mut DbConnection, name: &str, tier: Tier, tokens: i64) -> Result<AccountRow, DbError> {
    let row = AccountRow { id: AccountId::random(), name: name.to_owned(), tier, balance: 0, created_at: now_utc() };
    write_transaction(conn, |conn| {
        diesel::insert_into(accounts::table).values(&row).execute(conn)?;
        if tokens > 0 {
            append_entry(conn, &row.id, LedgerKind::Grant, tokens, None, Some("initial grant"))?;
        }
        Ok(())
    })?;
    get(conn, &row.id)?.ok_or_else(|| DbError::Corrupt(format!("account {} vanished", row.id)))
}

pub fn get(conn: &mut DbConnection, id: &AccountId) -> Result<Option<AccountRow>, DbError> {
    Ok(accounts::table.find(id).select(AccountRow::as_select()).first(conn).optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<AccountRow>, DbError> {
    Ok(accounts::table.order(accounts::created_at).select(AccountRow::as_select()).load(conn)?)
}

/// Adds tokens (a top-up); returns the new balance, or `None` for an unknown account.
pub fn grant(conn: &mut DbConnection, id: &AccountId, tokens: i64, note: Option<&str>) -> Result<Option<i64>, DbError> {
    write_transaction(conn, |conn| {
        if get(conn, id)?.is_none() {
            return Ok(None);
        }
        append_entry(conn, id, LedgerKind::Grant, tokens, None, note).map(Some)
    })
}

/// Moves a balance by `amount` and records why. Charges only succeed when
/// the balance covers them: `Ok(None)` means it did not, and nothing changed.
/// Must run inside a write transaction.
pub(crate) fn append_entry(
    conn: &mut DbConnection,
    account_id: &AccountId,
    kind: LedgerKind,
    amount: i64,
    job_id: Option<&JobId>,
    note: Option<&str>,
) -> Result<i64, DbError> {
    try_append_entry(conn, account_id, kind, amount, job_id, note)?
        .ok_or_else(|| DbError::Corrupt(format!("account {account_id}: balance would go negative")))
}

pub(crate) fn try_append_entry(
    conn: &mut DbConnection,
    account_id: &AccountId,
    kind: LedgerKind,
    amount: i64,
    job_id: Option<&JobId>,
    note: Option<&str>,
) -> Result<Option<i64>, DbError> {
    // The conditional update is the over-draft guard: concurrent debits
    // serialize on the row lock and each sees the balance the last one left.
    let changed = diesel::update(accounts::table.find(account_id).filter(accounts::balance.ge(-amount)))
        .set(accounts::balance.eq(accounts::balance + amount))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    let balance_after = accounts::table.find(account_id).select(accounts::balance).first(conn)?;
    let entry =
        NewLedgerEntry { account_id, entry_kind: kind, amount, balance_after, job_id, note, created_at: now_utc() };
    diesel::insert_into(ledger::table).values(&entry).execute(conn)?;
    Ok(Some(balance_after))
}

/// An account's ledger, oldest first.
pub fn ledger(conn: &mut DbConnection, account_id: &AccountId) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(ledger::table
        .filter(ledger::account_id.eq(account_id))
        .order(ledger::id)
        .select(LedgerEntry::as_select())
        .load(conn)?)
}

/// An account's latest `limit` ledger entries, newest first (one index range).
pub fn recent_ledger(conn: &mut DbConnection, account_id: &AccountId, limit: i64) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(ledger::table
        .filter(ledger::account_id.eq(account_id))
        .order(ledger::id.desc())
        .limit(limit)
        .select(LedgerEntry::as_select())
        .load(conn)?)
}

pub fn insert_key(conn: &mut DbConnection, key: &ApiKeyRow) -> Result<(), DbError> {
    diesel::insert_into(api_keys::table).values(key).execute(conn)?;
    Ok(())
}

/// A key by its public id, with its account, revoked or not.
pub fn find_key(conn: &mut DbConnection, key_id: &str) -> Result<Option<(ApiKeyRow, AccountRow)>, DbError> {
    Ok(api_keys::table
        .inner_join(accounts::table)
        .filter(api_keys::id.eq(key_id))
        .select((ApiKeyRow::as_select(), AccountRow::as_select()))
        .first(conn)
        .optional()?)
}

pub fn list_keys(conn: &mut DbConnection, account_id: &AccountId) -> Result<Vec<ApiKeyRow>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::account_id.eq(account_id))
        .order(api_keys::created_at)
        .select(ApiKeyRow::as_select())
        .load(conn)?)
}

/// Revokes a key; false when it does not exist or was already revoked.
pub fn revoke_key(conn: &mut DbConnection, key_id: &str) -> Result<bool, DbError> {
    let changed = diesel::update(api_keys::table.find(key_id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(Some(now_utc())))
        .execute(conn)?;
    Ok(changed > 0)
}
