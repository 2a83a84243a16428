//! `insider-bulk-gateway admin`: accounts, keys and tokens, for operators.
//! Talks to the database directly; needs no running gateway.

use std::io::Write;

use clap::Subcommand;
use insider_bulk_core::db::accounts::{self, AccountRow, ApiKeyRow};
use insider_bulk_core::db::{now_utc, Database, DbError};
use insider_bulk_core::domain::{AccountId, JobId, Tier};

use crate::auth::api_key::{self, IssuedKey};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account with a tier and an opening grant of tokens, and issue its first key.
    CreateAccount {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "free")]
        tier: Tier,
        #[arg(long, default_value_t = 0)]
        tokens: i64,
    },
    /// List accounts with their tier and balance.
    Accounts,
    /// Issue a new API key for an account (shown once).
    IssueKey {
        #[arg(long)]
        account: AccountId,
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke an API key by its id (the part after `ibk_`, before the second `_`).
    RevokeKey { key_id: String },
    /// List an account's keys (ids only; secrets are never stored).
    Keys {
        #[arg(long)]
        account: AccountId,
    },
    /// Add tokens to an account.
    TopUp {
        #[arg(long)]
        account: AccountId,
        #[arg(long)]
        tokens: i64,
        #[arg(long)]
        note: Option<String>,
    },
    /// Show an account's ledger and check that it sums to the balance.
    Ledger {
        #[arg(long)]
        account: AccountId,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("no account {0}")]
    NoAccount(AccountId),
    #[error("no active key {0}")]
    NoKey(String),
    #[error("tokens must be positive, not {0}")]
    BadAmount(i64),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Creates an account and its first key.
pub async fn create_account(
    db: &Database,
    name: &str,
    tier: Tier,
    tokens: i64,
) -> Result<(AccountRow, IssuedKey), AdminError> {
    if tokens < 0 {
        return Err(AdminError::BadAmount(tokens));
    }
    let name = name.to_owned();
    let account = db.run(move |conn| accounts::create(conn, &name, tier, tokens)).await?;
    let key = issue_key(db, &account.id, Some("first key")).await?;
    Ok((account, key))
}

pub async fn issue_key(db: &Database, account_id: &AccountId, label: Option<&str>) -> Result<IssuedKey, AdminError> {
    let key = api_key::issue();
    let row = ApiKeyRow {
        id: key.id.clone(),
        account_id: account_id.clone(),
        secret_sha256: key.secret_sha256.clone(),
        label: label.map(str::to_owned),
        created_at: now_utc(),
        revoked_at: None,
    };
    let account = account_id.clone();
    let found = db
        .run(move |conn| {
            if accounts::get(conn, &row.account_id)?.is_none() {
                return Ok(false);
            }
            accounts::insert_key(conn, &row)?;
            Ok(true)
        })
        .await?;
    if !found {
        return Err(AdminError::NoAccount(account));
    }
    Ok(key)
}

pub async fn run(db: &Database, command: AdminCommand, out: &mut impl Write) -> Result<(), AdminError> {
    match command {
        AdminCommand::CreateAccount { name, tier, tokens } => {
            let (account, key) = create_account(db, &name, tier, tokens).await?;
            writeln!(out, "account {} ({}, {tier}) balance {}", account.id, account.name, account.balance)?;
            writeln!(out, "api key (shown once): {}", key.plaintext)?;
        }
        AdminCommand::Accounts => {
            for a in db.run(accounts::list).await? {
                writeln!(out, "{}  {:<10} {:>10}  {}", a.id, a.tier.as_str(), a.balance, a.name)?;
            }
        }
        AdminCommand::IssueKey { account, label } => {
            let key = issue_key(db, &account, label.as_deref()).await?;
            writeln!(out, "key {} issued; api key (shown once): {}", key.id, key.plaintext)?;
        }
        AdminCommand::RevokeKey { key_id } => {
            let id = key_id.clone();
            if !db.run(move |conn| accounts::revoke_key(conn, &id)).await? {
                return Err(AdminError::NoKey(key_id));
            }
            writeln!(out, "key {key_id} revoked (gateways stop accepting it within AUTH_CACHE_SECONDS)")?;
        }
        AdminCommand::Keys { account } => {
            for k in db.run(move |conn| accounts::list_keys(conn, &account)).await? {
                let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                writeln!(out, "{}  {state:<7}  {}  {}", k.id, k.created_at, k.label.unwrap_or_default())?;
            }
        }
        AdminCommand::TopUp { account, tokens, note } => {
            if tokens <= 0 {
                return Err(AdminError::BadAmount(tokens));
            }
            let id = account.clone();
            let balance = db.run(move |conn| accounts::grant(conn, &id, tokens, note.as_deref())).await?;
            let balance = balance.ok_or(AdminError::NoAccount(account))?;
            writeln!(out, "balance {balance}")?;
        }
        AdminCommand::Ledger { account } => {
            let id = account.clone();
            let (row, entries) =
                db.run(move |conn| Ok((accounts::get(conn, &id)?, accounts::ledger(conn, &id)?))).await?;
            let row = row.ok_or(AdminError::NoAccount(account))?;
            for e in &entries {
                writeln!(
                    out,
                    "{:>6}  {}  {:<6} {:>8} -> {:>8}  {}  {}",
                    e.id,
                    e.created_at,
                    e.entry_kind.as_str(),
                    e.amount,
                    e.balance_after,
                    e.job_id.as_ref().map_or("-", JobId::as_str),
                    e.note.as_deref().unwrap_or("")
                )?;
            }
            let sum: i64 = entries.iter().map(|e| e.amount).sum();
            let verdict = if sum == row.balance { "balanced" } else { "MISMATCH" };
            writeln!(out, "sum {sum}, balance {} ({verdict})", row.balance)?;
        }
    }
    Ok(())
}
