//! `--max-tokens`: every charged call of the run (index.json, download,
//! generate) is counted as the service reports it in `X-Tokens-Charged`,
//! and a call whose price would take the run past the bound is not made;
//! from then on no charged call is (so a cheaper one cannot jump the queue).

use reqwest::{Response, StatusCode};
use serde::Deserialize;

use super::client::{chain, error_detail, failure, tokens_charged, Client};
use super::error::SyncError;
use super::progress::Progress;

/// The documented price of each call, used when the service does not say.
const DOCUMENTED_COST: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Index,
    Download,
    Generate,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::Index => "an index.json call",
            Call::Download => "a download call",
            Call::Generate => "a generate call",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    pub index: u64,
    pub download: u64,
    pub generate: u64,
}

impl Default for Costs {
    fn default() -> Self {
        Costs { index: DOCUMENTED_COST, download: DOCUMENTED_COST, generate: DOCUMENTED_COST }
    }
}

impl Costs {
    fn of(&self, call: Call) -> u64 {
        match call {
            Call::Index => self.index,
            Call::Download => self.download,
            Call::Generate => self.generate,
        }
    }
}

/// The account's prices; an older service lists only `generate_cost`.
#[derive(Deserialize)]
struct Account {
    generate_cost: Option<i64>,
    index_cost: Option<i64>,
    download_cost: Option<i64>,
}

pub struct Budget {
    max: Option<u64>,
    costs: Costs,
    spent: u64,
    /// Why charged calls stopped, once they did.
    stopped: Option<String>,
}

impl Budget {
    /// No bound: calls are only counted.
    pub fn unbounded() -> Budget {
        Budget { max: None, costs: Costs::default(), spent: 0, stopped: None }
    }

    pub fn bounded(max: u64, costs: Costs) -> Budget {
        Budget { max: Some(max), costs, spent: 0, stopped: None }
    }

    /// `max` tokens at the account's prices (`/account`; the documented
    /// price where it has none).
    pub async fn with_account_costs(client: &Client, max: u64, progress: &Progress) -> Result<Budget, SyncError> {
        Ok(Budget::bounded(max, costs(client, progress).await?))
    }

    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// Whether a call of this kind may be made: `Err` says why not.
    pub fn allow(&mut self, call: Call) -> Result<(), String> {
        if let Some(reason) = &self.stopped {
            return Err(reason.clone());
        }
        let Some(max) = self.max else { return Ok(()) };
        let cost = self.costs.of(call);
        if self.spent + cost > max {
            let reason = format!(
                "--max-tokens {max} leaves {} tokens, {} costs {cost}: no more charged calls",
                max.saturating_sub(self.spent),
                call.name()
            );
            self.stopped = Some(reason.clone());
            return Err(reason);
        }
        Ok(())
    }

    /// Whether a call may be made and still leave `reserve` tokens for
    /// the calls it is made for (the downloads after a generate call).
    /// Refusing it does not stop the other calls: the reserve is theirs.
    pub fn allow_reserving(&mut self, call: Call, reserve: u64) -> Result<(), String> {
        self.allow(call)?;
        let Some(max) = self.max else { return Ok(()) };
        let cost = self.costs.of(call);
        if self.spent + cost + reserve > max {
            return Err(format!(
                "--max-tokens {max} leaves {} tokens, {} costs {cost} and the downloads after it {reserve}",
                max - self.spent,
                call.name()
            ));
        }
        Ok(())
    }

    /// The price of a call, as far as the budget knows it.
    pub fn cost(&self, call: Call) -> u64 {
        self.costs.of(call)
    }

    /// Counts what an answered call took: `X-Tokens-Charged`, else (an
    /// older service) the call's price for a 200 and nothing otherwise.
    pub fn count(&mut self, response: &Response, call: Call) {
        let taken = tokens_charged(response).unwrap_or_else(|| {
            if response.status() == StatusCode::OK {
                self.costs.of(call)
            } else {
                0
            }
        });
        self.spent += taken;
    }

    /// A 402 as an error with the balance and the price; the balance is
    /// short, so every further charged call would be refused too.
    pub async fn refused(&mut self, what: &str, call: Call, response: Response) -> SyncError {
        let detail = error_detail(response).await;
        let shown = |v: Option<i64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        let message = format!(
            "insufficient balance: {} tokens left, {} costs {} ({}); no more charged calls",
            shown(detail.balance),
            call.name(),
            shown(detail.cost),
            detail.message
        );
        self.stopped.get_or_insert_with(|| "not called: an earlier call found the balance short (402)".to_owned());
        SyncError::Status { what: what.to_owned(), status: 402, message }
    }
}

/// What the account's calls cost.
async fn costs(client: &Client, progress: &Progress) -> Result<Costs, SyncError> {
    let path = "/api/insiders/bulk/account";
    let url = client.api_url(path);
    let response = client.send("account", &client.shown(path), || client.api_get(url.clone())).await?;
    match response.status() {
        StatusCode::OK => {
            let account: Account = response.json().await.map_err(|e| SyncError::protocol("account", chain(e)))?;
            let price = |cost: Option<i64>| cost.map_or(DOCUMENTED_COST, |c| u64::try_from(c).unwrap_or(0));
            Ok(Costs {
                index: price(account.index_cost),
                download: price(account.download_cost),
                generate: price(account.generate_cost),
            })
        }
        StatusCode::NOT_FOUND => {
            progress.line(&format!(
                "the service has no account endpoint: counting each charged call at the documented {DOCUMENTED_COST} tokens"
            ));
            Ok(Costs::default())
        }
        _ => Err(failure("account", response).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_first_call_that_does_not_fit_and_stays_stopped() {
        let mut budget = Budget::bounded(40, Costs { index: 5, download: 30, generate: 15 });
        assert_eq!(budget.allow(Call::Index), Ok(()));
        budget.spent += 5;
        assert_eq!(budget.allow(Call::Download), Ok(()));
        budget.spent += 30;
        let refused = budget.allow(Call::Generate).unwrap_err();
        assert_eq!(refused, "--max-tokens 40 leaves 5 tokens, a generate call costs 15: no more charged calls");
        assert_eq!(budget.allow(Call::Index), Err(refused), "a cheaper call does not jump the queue");
        assert_eq!(Budget::unbounded().allow(Call::Download), Ok(()));
    }

    #[test]
    fn a_reserve_refuses_the_call_but_not_the_calls_it_was_kept_for() {
        let mut budget = Budget::bounded(30, Costs { index: 5, download: 7, generate: 15 });
        budget.spent = 5;
        assert_eq!(budget.allow_reserving(Call::Generate, 7), Ok(()));
        let refused = budget.allow_reserving(Call::Generate, 14).unwrap_err();
        assert_eq!(refused, "--max-tokens 30 leaves 25 tokens, a generate call costs 15 and the downloads after it 14");
        assert_eq!(budget.allow(Call::Download), Ok(()), "the downloads still go");
    }
}
