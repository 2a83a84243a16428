//! `index.json`: every month of coverage for a form type, newest first,
//! with the live service's fields and ours beside them. Built from four queries and kept for a short
//! while (`INDEX_CACHE_MILLIS`), so that polling clients cost one hash
//! lookup each; its ETag lets them poll for a 304. A busy index is rebuilt
//! in the background shortly before it expires ([`IndexCache`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderValue;
use bytes::Bytes;
use insider_bulk_core::db::{bundles, edgar_days, filings, jobs, month_stats};
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
    /// One entry per month of coverage, newest first: the current month
    /// back to 2003-01.
    pub files: Vec<IndexEntry>,
    /// The last EDGAR business day fully loaded (`YYYY-MM-DD`), if any.
    #[schema(example = "2026-04-30")]
    pub ingested_through: Option<String>,
    /// When EDGAR accepted the newest filing of this form loaded (UTC):
    /// how fresh the data is between complete days, as the feed watcher
    /// loads filings within minutes of their acceptance.
    #[schema(example = "2026-05-01T20:55:12.000Z")]
    pub latest_accepted_at: Option<String>,
}

/// One month's file, with the live service's fields first and ours beside them.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexEntry {
    pub year: i32,
    pub month: u32,
    /// The name to download (`form-4-2026-04.jsonl.gz`); take it from here
    /// rather than building it.
    #[schema(example = "form-4-2025-09.jsonl.gz")]
    pub filename: String,
    /// Lines of the `.jsonl.gz`, one per filing; null before the first build.
    #[schema(example = 28432)]
    pub row_count: Option<i64>,
    /// Bytes of the `.jsonl.gz`; null before the first build.
    #[schema(example = 4128000)]
    pub size_bytes: Option<i64>,
    /// sha256 of the `.jsonl.gz` (hex); null before the first build.
    pub sha256: Option<String>,
    #[schema(example = "2026-05-01T00:30:12.000Z")]
    pub generated_at: Option<String>,
    /// `available`: built and ready; `pending`: built on first download
    /// (not yet built, or in cold storage).
    #[schema(example = "available")]
    pub status: &'static str,
    /// The month's other file: SEC's eight tables as a tar.gz.
    pub bundle: Option<BundleFile>,
    /// Filings loaded for the month, shown before its first build too.
    pub filing_count: i64,
    /// `hot` or `cold`; null before the first build.
    pub storage: Option<String>,
    /// The download call for `filename` (it answers with a signed URL).
    pub url: String,
    /// The month's latest job.
    pub job: Option<JobRef>,
    /// True when the month's file was built from the first-start sample
    /// (made-up filings, for trying the service), false for real filings
    /// and before the first build. A file is never a mix of the two.
    pub synthetic: bool,
}

/// The tar.gz of a month: name, size and sha256 (hex).
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleFile {
    #[schema(example = "form-4-2025-09.tar.gz")]
    pub filename: String,
    pub size_bytes: i64,
    pub sha256: String,
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
    /// `etag` as a header value, made once rather than on every answer.
    pub etag_header: HeaderValue,
    /// When the queries it was built from started: its age is that of its data.
    built: Instant,
}

/// The rendered indexes, per request base URL and form type.
///
/// An index is served while younger than `INDEX_CACHE_MILLIS`. So that a
/// busy index never expires under its callers (each of them waiting for
/// the rebuild, the tail of the latency), the first request to find it
/// near the end of its time starts a rebuild in the background and is
/// answered from the cached copy, still fresh; the new copy replaces it
/// before it expires. An index nobody asks for just expires, and the next
/// request rebuilds it while waiting, as before.
pub struct IndexCache {
    /// Base URL -> one slot per form type. Read on every request, written a
    /// few times a second: a read lock, and no allocated key for the lookup.
    /// foldhash: hosts are the client's to choose, but at most 64 are kept.
    rendered: RwLock<foldhash::HashMap<String, [Option<Arc<RenderedIndex>>; 3]>>,
    /// One rebuild at a time, so an expiry under load is one set of queries.
    rebuilding: Arc<tokio::sync::Mutex<()>>,
    /// How long the last rebuild took, in microseconds: how early the next
    /// one starts.
    last_build_micros: AtomicU64,
}

impl Default for IndexCache {
    fn default() -> Self {
        IndexCache { rendered: RwLock::default(), rebuilding: Arc::default(), last_build_micros: AtomicU64::new(0) }
    }
}

fn slot(form: FormType) -> usize {
    match form {
        FormType::Form3 => 0,
        FormType::Form4 => 1,
        FormType::Form5 => 2,
    }
}

impl IndexCache {
    fn get(&self, form: FormType, base_url: &str) -> Option<Arc<RenderedIndex>> {
        let rendered = self.rendered.read().unwrap_or_else(|p| p.into_inner());
        rendered.get(base_url).and_then(|slots| slots[slot(form)].clone())
    }

    fn fresh(&self, form: FormType, base_url: &str, max_age: Duration) -> Option<Arc<RenderedIndex>> {
        self.get(form, base_url).filter(|r| r.built.elapsed() < max_age)
    }

    fn store(&self, form: FormType, base_url: &str, index: Arc<RenderedIndex>) {
        let mut rendered = self.rendered.write().unwrap_or_else(|p| p.into_inner());
        // Keys carry the request's host when no public URL is configured: bound them.
        if rendered.len() >= 64 && !rendered.contains_key(base_url) {
            rendered.clear();
        }
        rendered.entry(base_url.to_owned()).or_default()[slot(form)] = Some(index);
    }

    /// The age past which a request starts the next rebuild: four times the
    /// last rebuild's time before expiry, at least a fifth of `max_age`
    /// before it and at most half.
    fn refresh_after(&self, max_age: Duration) -> Duration {
        let last = Duration::from_micros(self.last_build_micros.load(Ordering::Relaxed));
        max_age - (last * 4).clamp(max_age / 5, max_age / 2)
    }
}

/// The index of `form`, with download URLs under `base_url`.
pub async fn index(state: &AppState, form: FormType, base_url: &str) -> Result<Arc<RenderedIndex>, ApiError> {
    let cache = &state.index_cache;
    let max_age = state.config.index_cache;
    if let Some(hit) = cache.get(form, base_url) {
        let age = hit.built.elapsed();
        if age < max_age {
            if age >= cache.refresh_after(max_age) {
                refresh_in_background(state, form, base_url);
            }
            return Ok(hit);
        }
    }
    let _turn = cache.rebuilding.lock().await;
    if let Some(hit) = cache.fresh(form, base_url, max_age) {
        return Ok(hit);
    }
    state.metrics.index_rebuilds.with_label_values(&["waiting"]).inc();
    render(state, form, base_url).await
}

/// Starts a rebuild unless one is under way; the cached copy serves meanwhile.
fn refresh_in_background(state: &AppState, form: FormType, base_url: &str) {
    let Ok(turn) = state.index_cache.rebuilding.clone().try_lock_owned() else { return };
    let (state, base_url) = (state.clone(), base_url.to_owned());
    tokio::spawn(async move {
        let _turn = turn;
        let max_age = state.config.index_cache;
        // Another refresh may have finished between the look and the lock.
        let refresh_after = state.index_cache.refresh_after(max_age);
        if state.index_cache.fresh(form, &base_url, refresh_after).is_some() {
            return;
        }
        state.metrics.index_rebuilds.with_label_values(&["background"]).inc();
        if let Err(e) = render(&state, form, &base_url).await {
            // The cached copy serves until it expires; then a request rebuilds and sees the error.
            tracing::warn!(form = %form, error = %e, "background rebuild of index.json failed");
        }
    });
}

/// Builds, serialises and gzips the index, and caches it. The caller holds
/// `rebuilding`. The CPU work runs on the blocking pool, not on the worker
/// thread that answers the other connections.
async fn render(state: &AppState, form: FormType, base_url: &str) -> Result<Arc<RenderedIndex>, ApiError> {
    let started = Instant::now();
    let document = build(state, form, base_url).await?;
    let previous = state.index_cache.get(form, base_url);
    let rendered = tokio::task::spawn_blocking(move || encode(&document, previous.as_deref(), started))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let rendered = Arc::new(rendered);
    state.index_cache.store(form, base_url, rendered.clone());
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state.index_cache.last_build_micros.store(micros, Ordering::Relaxed);
    Ok(rendered)
}

/// The document serialised, hashed and gzipped. Most rebuilds find what the
/// last one found: then its gzip and ETag are kept, since compressing is
/// the larger part of a rebuild, which runs four times a second under load
/// beside the workers answering requests.
fn encode(
    document: &IndexDocument,
    previous: Option<&RenderedIndex>,
    built: Instant,
) -> Result<RenderedIndex, ApiError> {
    let body = serde_json::to_vec(document).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(previous) = previous.filter(|p| p.body == body) {
        return Ok(RenderedIndex {
            body: previous.body.clone(),
            gzipped: previous.gzipped.clone(),
            etag: previous.etag.clone(),
            etag_header: previous.etag_header.clone(),
            built,
        });
    }
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let etag_header = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let gzipped = gzip(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(RenderedIndex { body: Bytes::from(body), gzipped: Bytes::from(gzipped), etag, etag_header, built })
}

async fn build(state: &AppState, form: FormType, base_url: &str) -> Result<IndexDocument, ApiError> {
    let (stats, bundles, jobs, (through, latest_accepted)) = state
        .db
        .run(move |conn| {
            Ok((
                month_stats::list(conn, form)?,
                bundles::list(conn, form)?,
                jobs::latest_per_month(conn, form)?,
                (edgar_days::ingested_through(conn)?, filings::latest_accepted_at(conn, form)?),
            ))
        })
        .await?;
    let filing_counts: HashMap<Month, i64> = stats.into_iter().map(|s| (s.period_month, s.filing_count)).collect();
    let mut bundles: HashMap<Month, bundles::BundleRow> = bundles.into_iter().map(|b| (b.period_month, b)).collect();
    let mut jobs: HashMap<Month, jobs::JobRow> = jobs.into_iter().map(|j| (j.period_month, j)).collect();
    let files = Month::current()
        .coverage_through()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|month| {
            let bundle = bundles.remove(&month);
            let available = bundle.as_ref().is_some_and(|b| b.status == BundleStatus::Available);
            let filename = bundles::jsonl_file_name(form, month);
            IndexEntry {
                year: month.year(),
                month: month.month(),
                url: download_url(base_url, form, month, &filename),
                filename,
                row_count: bundle.as_ref().map(|b| b.filing_count),
                size_bytes: bundle.as_ref().map(|b| b.jsonl_size_bytes),
                sha256: bundle.as_ref().map(|b| b.jsonl_sha256.clone()),
                generated_at: bundle.as_ref().map(|b| timestamp(b.generated_at)),
                status: if available { BundleStatus::Available.as_str() } else { BundleStatus::Pending.as_str() },
                filing_count: filing_counts.get(&month).copied().unwrap_or(0),
                synthetic: bundle.as_ref().is_some_and(|b| b.synthetic),
                storage: bundle.as_ref().map(|b| b.storage.to_string()),
                bundle: bundle.map(|b| BundleFile {
                    filename: b.file_name,
                    size_bytes: b.size_bytes,
                    sha256: b.sha256,
                }),
                job: jobs.remove(&month).map(|j| JobRef { id: j.id.into(), state: j.state.to_string() }),
            }
        })
        .collect();
    Ok(IndexDocument {
        form_type: form.to_string(),
        files,
        ingested_through: through.map(|d| d.to_string()),
        latest_accepted_at: latest_accepted.map(timestamp),
    })
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), flate2::Compression::new(6));
    encoder.write_all(body)?;
    encoder.finish()
}

/// The download call of one of a month's files.
pub fn download_url(base_url: &str, form: FormType, month: Month, filename: &str) -> String {
    format!("{base_url}/api/insiders/bulk/form-{form}/{:04}/{filename}", month.year())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn document(ingested_through: Option<&str>) -> IndexDocument {
        IndexDocument {
            form_type: "4".into(),
            files: vec![],
            ingested_through: ingested_through.map(str::to_owned),
            latest_accepted_at: None,
        }
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn an_unchanged_rebuild_keeps_its_gzip_and_a_changed_one_gets_new_bytes() {
        let first = encode(&document(Some("2026-11-30")), None, Instant::now()).unwrap();
        let again = encode(&document(Some("2026-11-30")), Some(&first), Instant::now()).unwrap();
        assert_eq!(again.etag, first.etag);
        assert_eq!(again.gzipped.as_ptr(), first.gzipped.as_ptr(), "the same gzip, not compressed again");
        assert!(again.built > first.built, "the age is the new build's");

        let changed = encode(&document(Some("2026-12-01")), Some(&first), Instant::now()).unwrap();
        assert_ne!(changed.etag, first.etag);
        assert_eq!(gunzip(&changed.gzipped), changed.body.to_vec());
        assert!(String::from_utf8_lossy(&changed.body).contains("2026-12-01"));
    }
}
