//! Charges for index.json, the call scripts poll most, metered in memory
//! and settled in the ledger in batches (`METER_FLUSH_MILLIS`), so that an
//! answer costs a lock and an addition, not a database write.
//!
//! Each account's tab holds the balance last read from the database and the
//! tokens charged since. A call is admitted while the balance covers what
//! the tab has charged plus its cost; when it would not, the tab is settled
//! first and the balance read again, so a 402 is answered only on a fresh
//! balance. The trade-offs, said in the README: a process that dies loses
//! at most one interval of index charges (under-billing, never a double
//! charge), and two gateways draining one account in the same interval may
//! admit calls its balance no longer covers; the ledger then charges what
//! is left, never below zero, and counts the rest as shortfall.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use insider_bulk_core::db::billing::{self, CallCharge, MeteredCalls, Settled};
use insider_bulk_core::db::{Database, DbError};
use insider_bulk_core::domain::AccountId;

#[derive(Debug, Default)]
struct Tab {
    /// The balance as of the last settlement or read.
    balance: i64,
    /// Charged since, not yet in the ledger: tokens and calls per kind
    /// (a fixed note, so that a call allocates nothing).
    pending: HashMap<&'static str, (u64, i64)>,
    /// The tokens in `pending`, kept rather than summed on every call.
    owed: i64,
}

impl Tab {
    fn admit(&mut self, cost: i64, note: &'static str) -> Option<CallCharge> {
        let left = self.balance - self.owed - cost;
        if left < 0 {
            return None;
        }
        self.owe(note, 1, cost);
        Some(CallCharge::Charged { cost, balance: left })
    }

    fn owe(&mut self, note: &'static str, calls: u64, tokens: i64) {
        let entry = self.pending.entry(note).or_default();
        entry.0 += calls;
        entry.1 += tokens;
        self.owed += tokens;
    }

    /// Takes what is owed, leaving the tab's balance as it was.
    fn drain(&mut self) -> Vec<(&'static str, (u64, i64))> {
        self.owed = 0;
        self.pending.drain().collect()
    }
}

#[derive(Default)]
pub struct Meter {
    tabs: Mutex<HashMap<Arc<AccountId>, Tab>>,
    /// Settlements run one at a time, so a tab's calls are written once.
    settling: tokio::sync::Mutex<()>,
}

impl Meter {
    /// Charges one call of `cost` tokens, noted `note` in the ledger.
    pub async fn charge(
        &self,
        db: &Database,
        account: &Arc<AccountId>,
        cost: i64,
        note: &'static str,
    ) -> Result<CallCharge, DbError> {
        if cost <= 0 {
            return Ok(CallCharge::Free);
        }
        if let Some(charged) = self.lock().get_mut(account).and_then(|tab| tab.admit(cost, note)) {
            return Ok(charged);
        }
        // A new tab, or one that looks short: settle it and read the balance.
        self.settle(db, Some(account)).await?;
        let id = account.clone();
        let Some(balance) = db.run(move |conn| billing::balance(conn, &id)).await? else {
            return Ok(CallCharge::UnknownAccount);
        };
        let mut tabs = self.lock();
        let tab = tabs.entry(account.clone()).or_default();
        tab.balance = balance;
        Ok(tab.admit(cost, note).unwrap_or(CallCharge::InsufficientBalance { balance: tab.balance, cost }))
    }

    /// Writes what the tabs owe to the ledger (only `account`'s when given)
    /// and keeps their balances; returns the tokens that could not be
    /// charged.
    pub async fn settle(&self, db: &Database, account: Option<&Arc<AccountId>>) -> Result<i64, DbError> {
        let _turn = self.settling.lock().await;
        let batches: Vec<(&'static str, MeteredCalls)> = {
            let mut tabs = self.lock();
            tabs.iter_mut()
                .filter(|(id, _)| account.is_none_or(|a| a == *id))
                .flat_map(|(id, tab)| {
                    tab.drain().into_iter().map(move |(note, (calls, tokens))| {
                        (note, MeteredCalls { account_id: AccountId::clone(id), note: note.to_owned(), calls, tokens })
                    })
                })
                .collect()
        };
        if batches.is_empty() {
            return Ok(0);
        }
        let written: Vec<MeteredCalls> = batches.iter().map(|(_, batch)| batch.clone()).collect();
        let settled = match db.run(move |conn| billing::settle_metered(conn, &written)).await {
            Ok(settled) => settled,
            Err(e) => {
                // Back on the tabs, for the next settlement.
                let mut tabs = self.lock();
                for (note, batch) in batches {
                    let tab = tabs.entry(Arc::new(batch.account_id)).or_default();
                    tab.owe(note, batch.calls, batch.tokens);
                }
                return Err(e);
            }
        };
        let mut tabs = self.lock();
        let mut shortfall = 0;
        for (id, Settled { balance, shortfall: short }) in settled {
            shortfall += short;
            if let Some(tab) = tabs.get_mut(&id) {
                // Calls admitted while the settlement ran stay owed.
                tab.balance = balance;
            }
        }
        // Tabs with nothing owed go: an account's next call reads its
        // balance afresh, so grants and other charges are seen within an
        // interval.
        tabs.retain(|_, tab| !tab.pending.is_empty());
        Ok(shortfall)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<AccountId>, Tab>> {
        self.tabs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_admits_calls_its_balance_covers() {
        let mut tab = Tab { balance: 60, ..Tab::default() };
        assert_eq!(tab.admit(25, "index form 4"), Some(CallCharge::Charged { cost: 25, balance: 35 }));
        assert_eq!(tab.admit(25, "index form 3"), Some(CallCharge::Charged { cost: 25, balance: 10 }));
        assert_eq!(tab.admit(25, "index form 4"), None);
        assert_eq!(tab.owed, 50);
        assert_eq!(tab.pending["index form 4"], (1, 25));
    }
}
