//! `--generate-pending`: generate calls for the pending months within the
//! token bound, then waiting for their jobs as the service's estimate says.
//! A download call builds a pending month too, one at a time; generating
//! first has the service build them all while the others download.

use std::time::{Duration, Instant};

use insider_bulk_core::domain::{FormType, Month};
use reqwest::StatusCode;
use serde::Deserialize;

use super::budget::{Budget, Call};
use super::client::{chain, failure, Client};
use super::error::SyncError;
use super::progress::Progress;

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

#[derive(Deserialize)]
struct Queued {
    job_id: String,
    estimated_seconds: i64,
}

#[derive(Deserialize)]
struct JobView {
    state: String,
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

/// Calls generate for each month in turn while the budget lets it and
/// still leaves room for the download calls of `downloads` files (those of
/// the available months) and of the months generated so far, this one's
/// included (`months` gives each month's count): a month generated but
/// left undownloaded would be tokens spent for nothing. Each call counts
/// what `X-Tokens-Charged` says it took (a join of a month's open job is free).
pub async fn start_all(
    client: &Client,
    months: &[(FormType, Month, usize)],
    mut downloads: usize,
    budget: &mut Budget,
    run_id: &str,
    progress: &Progress,
) -> Result<Vec<Started>, SyncError> {
    let mut started = Vec::new();
    for &(form, month, files) in months {
        let reserve = budget.cost(Call::Download) * (downloads + files) as u64;
        if let Err(reason) = budget.allow_reserving(Call::Generate, reserve) {
            started.push(Started::NotCalled(format!("not generated: {reason}")));
            continue;
        }
        downloads += files;
        let what = "generate".to_owned();
        let path = format!("/api/insiders/bulk/form-{form}/generate/{}/{}", month.year(), month.month());
        let url = client.api_url(&path);
        // One key per form, month and run: a retried call of this run is not charged twice.
        let key = format!("insider-bulk-sync-{run_id}-form-{form}-{month}");
        let response = match client
            .send(&what, &client.shown(&path), || client.api_post(url.clone()).header(IDEMPOTENCY_KEY, &key))
            .await
        {
            Ok(response) => response,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                started.push(Started::Failed(e));
                continue;
            }
        };
        budget.count(&response, Call::Generate);
        match response.status() {
            StatusCode::OK => {
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
                started.push(Started::Failed(budget.refused(&what, Call::Generate, response).await));
            }
            _ => started.push(Started::Failed(failure(&what, response).await)),
        }
    }
    Ok(started)
}

/// Waits for `job`, polling first when its estimate is up and then at a
/// pace set by the estimate. The files' sha256s come with their download
/// calls.
pub async fn wait(client: &Client, job: &Job) -> Result<(), SyncError> {
    let what = format!("job {}", job.id);
    let path = format!("/api/insiders/bulk/jobs/{}", job.id);
    let pace = (job.estimated / 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
    let give_up = (job.estimated * 10).max(Duration::from_secs(600));
    let first = job.estimated.max(Duration::from_secs(1));
    tokio::time::sleep(first.saturating_sub(job.queued.elapsed())).await;
    loop {
        let view: JobView = client.get_json(&what, &path).await?;
        match view.state.as_str() {
            "succeeded" => return Ok(()),
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
