//! `--generate-pending`: generate calls within a token bound, then waiting
//! for their jobs as the service's estimate says.

use std::time::{Duration, Instant};

use insider_bulk_core::domain::{FormType, Month};
use reqwest::StatusCode;
use serde::Deserialize;

use super::client::{chain, error_detail, failure, Client};
use super::error::SyncError;
use super::progress::Progress;

/// The seed's price, used only when the service has no account endpoint.
const DOCUMENTED_COST: u64 = 25;
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

#[derive(Deserialize)]
struct Account {
    generate_cost: i64,
}

#[derive(Deserialize)]
struct Queued {
    job_id: String,
    estimated_seconds: i64,
}

#[derive(Deserialize)]
struct JobView {
    state: String,
    sha256: Option<String>,
    error: Option<String>,
}

pub struct Job {
    pub id: String,
    estimated: Duration,
    queued: Instant,
}

pub enum Started {
    Job(Job),
    Failed(SyncError),
    /// Not called: the bound or an earlier 402.
    NotCalled(String),
}

/// What one generate call costs this account.
pub async fn cost(client: &Client, progress: &Progress) -> Result<u64, SyncError> {
    let path = "/api/insiders/bulk/account";
    let url = client.api_url(path);
    let response = client.send("account", &client.shown(path), || client.get(url.clone())).await?;
    match response.status() {
        StatusCode::OK => {
            let account: Account = response.json().await.map_err(|e| SyncError::protocol("account", chain(e)))?;
            Ok(u64::try_from(account.generate_cost).unwrap_or(0))
        }
        StatusCode::NOT_FOUND => {
            progress.line(&format!(
                "the service has no account endpoint: counting each generate call at the documented {DOCUMENTED_COST} tokens"
            ));
            Ok(DOCUMENTED_COST)
        }
        _ => Err(failure("account", response).await),
    }
}

/// Calls generate for each month in turn while the next call fits in
/// `max_tokens`. Every answered call counts at the full cost, a free join
/// too, since the client cannot tell one from a charge.
pub async fn start_all(
    client: &Client,
    months: &[(FormType, Month)],
    cost: u64,
    max_tokens: u64,
    run_id: &str,
    progress: &Progress,
) -> Result<Vec<Started>, SyncError> {
    let mut spent = 0u64;
    let mut stopped: Option<String> = None;
    let mut started = Vec::new();
    for &(form, month) in months {
        if let Some(reason) = &stopped {
            started.push(Started::NotCalled(reason.clone()));
            continue;
        }
        if spent + cost > max_tokens {
            started.push(Started::NotCalled(format!(
                "not generated: --max-tokens {max_tokens} leaves {} tokens, a call costs {cost}",
                max_tokens - spent
            )));
            continue;
        }
        let what = "generate".to_owned();
        let path = format!("/api/insiders/bulk/form-{form}/generate/{}/{}", month.year(), month.month());
        let url = client.api_url(&path);
        // One key per form, month and run: a retried call of this run is not charged twice.
        let key = format!("insider-bulk-sync-{run_id}-form-{form}-{month}");
        let response = match client
            .send(&what, &client.shown(&path), || client.post(url.clone()).header(IDEMPOTENCY_KEY, &key))
            .await
        {
            Ok(response) => response,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                started.push(Started::Failed(e));
                continue;
            }
        };
        match response.status() {
            StatusCode::OK => {
                spent += cost;
                let queued: Queued = match response.json().await {
                    Ok(queued) => queued,
                    Err(e) => {
                        started.push(Started::Failed(SyncError::protocol(&what, chain(e))));
                        continue;
                    }
                };
                let estimated = Duration::from_secs(u64::try_from(queued.estimated_seconds).unwrap_or(0));
                progress.line(&format!(
                    "generating form-{form} {month}: job {}, about {} s",
                    queued.job_id,
                    estimated.as_secs()
                ));
                started.push(Started::Job(Job { id: queued.job_id, estimated, queued: Instant::now() }));
            }
            StatusCode::PAYMENT_REQUIRED => {
                let detail = error_detail(response).await;
                let shown = |v: Option<i64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
                let message = format!(
                    "insufficient balance: {} tokens left, a generate call costs {} ({}); generating stopped",
                    shown(detail.balance),
                    shown(detail.cost),
                    detail.message
                );
                started.push(Started::Failed(SyncError::Status { what, status: 402, message }));
                stopped = Some("not generated: generating stopped after a 402".to_owned());
            }
            _ => started.push(Started::Failed(failure(&what, response).await)),
        }
    }
    Ok(started)
}

/// Waits for `job`, polling first when its estimate is up and then at a
/// pace set by the estimate; returns the bundle's sha256.
pub async fn wait(client: &Client, job: &Job) -> Result<String, SyncError> {
    let what = format!("job {}", job.id);
    let path = format!("/api/insiders/bulk/jobs/{}", job.id);
    let pace = (job.estimated / 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
    let give_up = (job.estimated * 10).max(Duration::from_secs(600));
    let first = job.estimated.max(Duration::from_secs(1));
    tokio::time::sleep(first.saturating_sub(job.queued.elapsed())).await;
    loop {
        let view: JobView = client.get_json(&what, &path).await?;
        match view.state.as_str() {
            "succeeded" => {
                return view
                    .sha256
                    .filter(|s| s.len() == 64)
                    .map(|s| s.to_ascii_lowercase())
                    .ok_or_else(|| SyncError::protocol(&what, "succeeded without a sha256"));
            }
            "failed" => {
                let reason = view.error.unwrap_or_else(|| "no reason given".to_owned());
                return Err(SyncError::protocol(&what, format!("failed (its tokens are refunded): {reason}")));
            }
            state if job.queued.elapsed() > give_up => {
                return Err(SyncError::protocol(
                    &what,
                    format!("still {state} after {} s; a later run picks up its file", give_up.as_secs()),
                ));
            }
            _ => tokio::time::sleep(pace).await,
        }
    }
}
