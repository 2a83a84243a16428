//! `index.json`: every month of coverage for a form type, with the live
//! service's fields and ours. Built from four queries and kept for a short
//! while (`INDEX_CACHE_MILLIS`), so that polling clients cost one hash
//! lookup each; its ETag lets them poll for a 304.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use insider_bulk_core::db::{bundles, edgar_days, jobs, month_stats};
use insider_bulk_core::domain::{BundleStatus, FormType, Month};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::timestamp;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexDocument {
    #[schema(example = "4")]
    pub form_type: String,
    /// The last EDGAR business day fully loaded (`YYYY-MM-DD`), if any.
    #[schema(example = "2026-04-30")]
    pub ingested_through: Option<String>,
    /// One entry per month, 2003-01 to the current month, oldest first.
    pub months: Vec<IndexEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexEntry {
    pub year: i32,
    pub month: u32,
    #[schema(example = "form-4-2025-09.tar.gz")]
    pub filename: String,
    /// Rows in the file (filings plus their table rows); null before the first bundle.
    pub row_count: Option<i64>,
    /// Bytes of the file.
    pub size: Option<i64>,
    pub generated_at: Option<String>,
    pub sha256: Option<String>,
    /// `available`: the file can be downloaded now; `pending`: not yet, or
    /// in cold storage until a generate call warms it.
    #[schema(example = "available")]
    pub status: &'static str,
    /// Filings loaded for the month, shown before its first bundle too.
    pub filing_count: i64,
    /// `hot` or `cold`; null before the first bundle.
    pub storage: Option<String>,
    /// Download URL when `available`.
    pub url: Option<String>,
    /// The month's latest job.
    pub job: Option<JobRef>,
    /// True when the month's file was built from the first-start sample
    /// (made-up filings, for trying the service), false for real filings
    /// and before the first bundle. A file is never a mix of the two.
    pub synthetic: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRef {
    pub id: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub state: String,
}

/// A rendered index, gzipped once for every client that accepts it, and its validator.
pub struct RenderedIndex {
    pub body: Bytes,
    pub gzipped: Bytes,
    pub etag: String,
    built: Instant,
}

#[derive(Default)]
pub struct IndexCache {
    rendered: Mutex<HashMap<(FormType, String), Arc<RenderedIndex>>>,
    /// One rebuild at a time, so an expiry under load is one set of queries.
    rebuilding: tokio::sync::Mutex<()>,
}

impl IndexCache {
    fn fresh(&self, key: &(FormType, String), max_age: Duration) -> Option<Arc<RenderedIndex>> {
        let rendered = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
        rendered.get(key).filter(|r| r.built.elapsed() < max_age).cloned()
    }

    fn store(&self, key: (FormType, String), index: Arc<RenderedIndex>) {
        let mut rendered = self.rendered.lock().unwrap_or_else(|p| p.into_inner());
        // Keys carry the request's host when no public URL is configured: bound them.
        if rendered.len() >= 64 {
            rendered.clear();
        }
        rendered.insert(key, index);
    }
}

/// The index of `form`, with download URLs under `base_url`.
pub async fn index(state: &AppState, form: FormType, base_url: &str) -> Result<Arc<RenderedIndex>, ApiError> {
    let key = (form, base_url.to_owned());
    let max_age = state.config.index_cache;
    if let Some(hit) = state.index_cache.fresh(&key, max_age) {
        return Ok(hit);
    }
    let _turn = state.index_cache.rebuilding.lock().await;
    if let Some(hit) = state.index_cache.fresh(&key, max_age) {
        return Ok(hit);
    }
    let document = build(state, form, base_url).await?;
    let body = serde_json::to_vec(&document).map_err(|e| ApiError::Internal(e.to_string()))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let gzipped = gzip(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let rendered =
        Arc::new(RenderedIndex { body: Bytes::from(body), gzipped: Bytes::from(gzipped), etag, built: Instant::now() });
    state.index_cache.store(key, rendered.clone());
    Ok(rendered)
}

async fn build(state: &AppState, form: FormType, base_url: &str) -> Result<IndexDocument, ApiError> {
    let (stats, bundles, jobs, through) = state
        .db
        .run(move |conn| {
            Ok((
                month_stats::list(conn, form)?,
                bundles::list(conn, form)?,
                jobs::latest_per_month(conn, form)?,
                edgar_days::ingested_through(conn)?,
            ))
        })
        .await?;
    let filing_counts: HashMap<String, i64> = stats.into_iter().map(|s| (s.period_month, s.filing_count)).collect();
    let mut bundles: HashMap<Month, bundles::BundleRow> = bundles.into_iter().map(|b| (b.period_month, b)).collect();
    let mut jobs: HashMap<Month, jobs::JobRow> = jobs.into_iter().map(|j| (j.period_month, j)).collect();
    let months = Month::current()
        .coverage_through()
        .map(|month| {
            let name = month.to_string();
            let bundle = bundles.remove(&month);
            let available = bundle.as_ref().is_some_and(|b| b.status == BundleStatus::Available);
            IndexEntry {
                year: month.year(),
                month: month.month(),
                filename: format!("form-{form}-{month}.tar.gz"),
                row_count: bundle.as_ref().map(|b| b.row_count),
                size: bundle.as_ref().map(|b| b.size_bytes),
                generated_at: bundle.as_ref().map(|b| timestamp(b.generated_at)),
                sha256: bundle.as_ref().map(|b| b.sha256.clone()),
                status: if available { BundleStatus::Available.as_str() } else { BundleStatus::Pending.as_str() },
                filing_count: filing_counts.get(&name).copied().unwrap_or(0),
                synthetic: bundle.as_ref().is_some_and(|b| b.synthetic),
                storage: bundle.map(|b| b.storage.to_string()),
                url: available.then(|| download_url(base_url, form, month)),
                job: jobs.remove(&month).map(|j| JobRef { id: j.id, state: j.state.to_string() }),
            }
        })
        .collect();
    Ok(IndexDocument { form_type: form.to_string(), ingested_through: through.map(|d| d.to_string()), months })
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), flate2::Compression::new(6));
    encoder.write_all(body)?;
    encoder.finish()
}

pub fn download_url(base_url: &str, form: FormType, month: Month) -> String {
    format!("{base_url}/api/insiders/bulk/form-{form}/{:04}/{:02}.tar.gz", month.year(), month.month())
}
