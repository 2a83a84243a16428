//! One poll of the feed: each form's pages, newest first, until a page
//! brings nothing new. What is new is written down before any document is
//! fetched, so that nothing seen is lost to a restart.

use std::collections::HashSet;

use insider_bulk_core::db::watch::{self, SeenFiling};
use insider_bulk_core::db::{now_utc, Database, DbError};
use reqwest::StatusCode;

use super::crash_point;
use super::feed::{feed_path, parse_feed, FeedError, PAGE_SIZE};
use super::metrics::WatchMetrics;
use crate::edgar::{EdgarClient, EdgarError};

/// The forms asked for: EDGAR's `type` parameter.
const FORMS: [u8; 3] = [3, 4, 5];

/// Accessions of other forms remembered between polls, so that a page of
/// them already read counts as read. Beyond this the memory starts over.
const OTHERS_KEPT: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("{0}")]
    Edgar(#[from] EdgarError),
    #[error("{url}: {source}")]
    Feed { url: String, source: FeedError },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl PollError {
    /// EDGAR said to slow down (429 after the client's retries, or 403).
    pub fn is_throttled(&self) -> bool {
        match self {
            PollError::Edgar(EdgarError::Status { status, .. }) => *status == StatusCode::FORBIDDEN,
            PollError::Edgar(e @ EdgarError::RetriesExhausted { .. }) => e.to_string().contains("429"),
            _ => false,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            _ if self.is_throttled() => "throttled",
            PollError::Feed { source, .. } => source.kind(),
            _ => "http",
        }
    }
}

/// What a poll did.
#[derive(Debug, Default)]
pub struct Polled {
    pub new: usize,
    pub errors: Vec<PollError>,
}

impl Polled {
    pub fn throttled(&self) -> bool {
        self.errors.iter().any(PollError::is_throttled)
    }
}

pub struct Poller {
    client: EdgarClient,
    db: Database,
    max_pages: usize,
    others: HashSet<String>,
    unreadable: HashSet<String>,
}

impl Poller {
    pub fn new(client: EdgarClient, db: Database, max_pages: usize) -> Self {
        Poller { client, db, max_pages, others: HashSet::new(), unreadable: HashSet::new() }
    }

    /// Reads every form's feed; a form that fails is logged and counted and
    /// the others are still read.
    pub async fn poll(&mut self, metrics: &WatchMetrics) -> Polled {
        let mut polled = Polled::default();
        for form in FORMS {
            match self.poll_form(form, metrics).await {
                Ok(new) => polled.new += new,
                Err(e) => {
                    metrics.feed_errors.with_label_values(&[e.kind()]).inc();
                    // A 429 is counted by the client, on each answer.
                    if matches!(&e, PollError::Edgar(EdgarError::Status { status: StatusCode::FORBIDDEN, .. })) {
                        metrics.throttled.inc();
                    }
                    tracing::warn!(form, error = %e, "the feed could not be read this poll; its filings are picked up by the next one");
                    polled.errors.push(e);
                }
            }
        }
        polled
    }

    async fn poll_form(&mut self, form: u8, metrics: &WatchMetrics) -> Result<usize, PollError> {
        let mut new = 0;
        for page_no in 0..self.max_pages {
            let path = feed_path(form, page_no * PAGE_SIZE);
            let body = self.client.fetch_page(&path).await?;
            let page = parse_feed(&body)
                .map_err(|source| PollError::Feed { url: format!("{}{path}", self.client.base_url()), source })?;
            // The feed lists an entry for hours: it is logged and counted once.
            for reason in page.unreadable.iter().filter(|r| self.unreadable.insert((*r).clone())) {
                metrics.entries_unreadable.inc();
                tracing::warn!(
                    form,
                    reason,
                    "a feed entry was skipped: the nightly reconciliation loads its filing from the day's index"
                );
            }
            let accessions: Vec<String> = page.filings.iter().map(|f| f.accession.as_str().to_owned()).collect();
            let known = self.db.run(move |conn| watch::known(conn, &accessions)).await?;
            let fresh: Vec<SeenFiling> = page
                .filings
                .iter()
                .filter(|f| !known.contains(f.accession.as_str()))
                .map(|f| SeenFiling {
                    accession_number: f.accession.as_str().to_owned(),
                    document_type: f.document_type.to_string(),
                    archive_path: f.archive_path(),
                })
                .collect();
            if self.others.len() > OTHERS_KEPT {
                self.others.clear();
                self.unreadable.clear();
            }
            let other_news = page.other_accessions.iter().filter(|a| self.others.insert((*a).clone())).count();
            let news = fresh.len() + other_news;
            if !fresh.is_empty() {
                let recorded = self.db.run(move |conn| watch::record_seen(conn, &fresh, now_utc())).await?;
                metrics.seen.inc_by(recorded as u64);
                new += recorded;
                tracing::info!(form, new = recorded, start = page_no * PAGE_SIZE, "new filings in the feed");
                crash_point("seen");
            }
            // A page of nothing but accessions already seen: the rest is older.
            if news == 0 || page.entries < PAGE_SIZE {
                return Ok(new);
            }
        }
        metrics.page_limit.inc();
        tracing::warn!(
            form,
            pages = self.max_pages,
            "paged EDGAR_WATCH_MAX_PAGES pages of the feed and still found news: older entries are left to the nightly reconciliation"
        );
        Ok(new)
    }
}
