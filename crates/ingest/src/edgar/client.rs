//! Polite EDGAR HTTP client: declared User-Agent, a shared request-rate
//! limit, and retries with backoff for the errors SEC's servers do recover from.

use std::error::Error as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use time::Date;

use super::form_index::IndexFormatError;
use super::form_index::{daily_index_path, filing_archive_path, parse_form_index, FormIndex, IndexEntry};
use super::rate_limit::RateLimiter;

pub const DEFAULT_BASE_URL: &str = "https://www.sec.gov/";
/// SEC's published fair-access ceiling; the client refuses to be configured above it.
pub const MAX_REQUESTS_PER_SECOND: u32 = 10;
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(500);
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// A misbehaving server must not be able to park a download for an hour.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// A quarter's data-set zip is up to ~100 MB: at 1 MB/s that is minutes.
const LARGE_FILE_TIMEOUT: Duration = Duration::from_secs(1800);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum EdgarError {
    #[error("a declared User-Agent is required by SEC, e.g. \"Example Corp admin@example.com\"")]
    MissingUserAgent,
    #[error("User-Agent {0:?} is not a valid HTTP header value")]
    InvalidUserAgent(String),
    #[error("invalid EDGAR base URL {url:?}: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    #[error("max requests per second must be 1..={MAX_REQUESTS_PER_SECOND}, got {0}")]
    InvalidRate(u32),
    #[error("max attempts must be at least 1")]
    InvalidAttempts,
    #[error("could not build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("not found (HTTP 404): {url}")]
    NotFound { url: String },
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: StatusCode },
    #[error("gave up on {url} after {attempts} attempts; last: {last}")]
    RetriesExhausted { url: String, attempts: u32, last: String },
    /// No attempt got an HTTP answer: a wrong host, DNS, a network down.
    #[error("cannot reach {url}: no answer in {attempts} attempts; last: {last}")]
    Unreachable { url: String, attempts: u32, last: String },
    #[error("{url} is not a daily form index: {source}")]
    NotAnIndex { url: String, source: IndexFormatError },
}

/// Anything naming a filing: an [`IndexEntry`] or its index path (`edgar/data/...`).
pub trait FilingRef {
    fn index_path(&self) -> &str;
}

impl FilingRef for IndexEntry {
    fn index_path(&self) -> &str {
        &self.path
    }
}

impl FilingRef for str {
    fn index_path(&self) -> &str {
        self
    }
}

impl FilingRef for String {
    fn index_path(&self) -> &str {
        self
    }
}

/// Cheap to clone; clones share one rate limit.
#[derive(Debug, Clone)]
pub struct EdgarClient {
    http: reqwest::Client,
    base: Url,
    limiter: Arc<RateLimiter>,
    retry_base: Duration,
    max_attempts: u32,
    throttled: Arc<AtomicU64>,
}

#[derive(Debug, Clone)]
pub struct EdgarClientBuilder {
    user_agent: String,
    base_url: String,
    max_requests_per_second: u32,
    retry_base: Duration,
    max_attempts: u32,
}

impl EdgarClientBuilder {
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    pub fn max_requests_per_second(mut self, n: u32) -> Self {
        self.max_requests_per_second = n;
        self
    }

    /// First backoff delay; doubles with each retry. Tests shorten it.
    pub fn retry_base(mut self, base: Duration) -> Self {
        self.retry_base = base;
        self
    }

    /// Attempts per request, the first one included.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    pub fn build(self) -> Result<EdgarClient, EdgarError> {
        let user_agent = self.user_agent.trim();
        if user_agent.is_empty() {
            return Err(EdgarError::MissingUserAgent);
        }
        let header = HeaderValue::from_str(user_agent).map_err(|_| EdgarError::InvalidUserAgent(user_agent.into()))?;
        if !(1..=MAX_REQUESTS_PER_SECOND).contains(&self.max_requests_per_second) {
            return Err(EdgarError::InvalidRate(self.max_requests_per_second));
        }
        if self.max_attempts == 0 {
            return Err(EdgarError::InvalidAttempts);
        }
        let base = parse_base(&self.base_url)?;
        let http = reqwest::Client::builder()
            .user_agent(header)
            .gzip(true)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(EdgarError::Client)?;
        Ok(EdgarClient {
            http,
            base,
            limiter: Arc::new(RateLimiter::per_second(self.max_requests_per_second)),
            retry_base: self.retry_base,
            max_attempts: self.max_attempts,
            throttled: Arc::default(),
        })
    }
}

fn parse_base(raw: &str) -> Result<Url, EdgarError> {
    let invalid = |reason: &str| EdgarError::InvalidBaseUrl { url: raw.into(), reason: reason.into() };
    // Without the trailing slash, `join` would replace the last path segment instead of appending.
    let with_slash = if raw.ends_with('/') { raw.to_owned() } else { format!("{raw}/") };
    let url = Url::parse(&with_slash).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(url)
}

/// A final answer: success, or a status not worth retrying.
struct Fetched {
    url: Url,
    status: StatusCode,
    body: Vec<u8>,
}

impl EdgarClient {
    /// A client for `https://www.sec.gov/` at 10 requests per second.
    pub fn new(user_agent: impl Into<String>) -> Result<Self, EdgarError> {
        Self::builder(user_agent).build()
    }

    pub fn builder(user_agent: impl Into<String>) -> EdgarClientBuilder {
        EdgarClientBuilder {
            user_agent: user_agent.into(),
            base_url: DEFAULT_BASE_URL.into(),
            max_requests_per_second: MAX_REQUESTS_PER_SECOND,
            retry_base: DEFAULT_RETRY_BASE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The spacing of requests under the rate limit: what a plan's time estimate rests on.
    pub fn request_interval(&self) -> Duration {
        self.limiter.interval()
    }

    /// The day's form index, reduced to ownership filings; `None` when EDGAR
    /// has no index for that day (weekends, holidays, days not yet published).
    pub async fn daily_form_index(&self, date: Date) -> Result<Option<FormIndex>, EdgarError> {
        let fetched = self.get(&daily_index_path(date)).await?;
        match fetched.status {
            // EDGAR's archive answers 403, not 404, for some files that do not exist.
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => return Ok(None),
            s if !s.is_success() => return Err(EdgarError::Status { url: fetched.url.into(), status: s }),
            _ => {}
        }
        // Lossy: a stray Latin-1 byte in one company name must not lose the whole day.
        let text = String::from_utf8_lossy(&fetched.body);
        let index = parse_form_index(&text)
            .map_err(|source| EdgarError::NotAnIndex { url: fetched.url.to_string(), source })?;
        if !index.skipped.is_empty() {
            tracing::warn!(url = %fetched.url, skipped = index.skipped.len(), "unreadable ownership lines in form index");
        }
        Ok(Some(index))
    }

    /// The filing's full submission text (`Archives/edgar/data/<cik>/<accession>.txt`).
    pub async fn fetch_filing<F: FilingRef + ?Sized>(&self, filing: &F) -> Result<Vec<u8>, EdgarError> {
        let fetched = self.get(&filing_archive_path(filing.index_path())).await?;
        match fetched.status {
            s if s.is_success() => Ok(fetched.body),
            StatusCode::NOT_FOUND => Err(EdgarError::NotFound { url: fetched.url.into() }),
            status => Err(EdgarError::Status { url: fetched.url.into(), status }),
        }
    }

    /// A page under the base URL, such as the current-filings feed
    /// (`cgi-bin/browse-edgar?...`); a 404 is [`EdgarError::NotFound`].
    pub async fn fetch_page(&self, relative: &str) -> Result<Vec<u8>, EdgarError> {
        let fetched = self.get(relative).await?;
        match fetched.status {
            s if s.is_success() => Ok(fetched.body),
            StatusCode::NOT_FOUND => Err(EdgarError::NotFound { url: fetched.url.into() }),
            status => Err(EdgarError::Status { url: fetched.url.into(), status }),
        }
    }

    /// How many answers of 429 this client (and its clones) has had.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// A large file under the base URL, such as a quarter's data-set zip
    /// (`files/structureddata/...`); a 404 is [`EdgarError::NotFound`].
    pub async fn fetch_file(&self, relative: &str) -> Result<Vec<u8>, EdgarError> {
        let fetched = self.get_within(relative, LARGE_FILE_TIMEOUT).await?;
        match fetched.status {
            s if s.is_success() => Ok(fetched.body),
            StatusCode::NOT_FOUND => Err(EdgarError::NotFound { url: fetched.url.into() }),
            status => Err(EdgarError::Status { url: fetched.url.into(), status }),
        }
    }

    async fn get(&self, relative: &str) -> Result<Fetched, EdgarError> {
        self.get_within(relative, REQUEST_TIMEOUT).await
    }

    /// GET with rate limiting on every attempt and retries on 429, 5xx and transport errors.
    async fn get_within(&self, relative: &str, timeout: Duration) -> Result<Fetched, EdgarError> {
        let url = self.base.join(relative).map_err(|e| EdgarError::InvalidBaseUrl {
            url: format!("{}{relative}", self.base),
            reason: e.to_string(),
        })?;
        let mut last = String::new();
        let mut answered = false;
        for attempt in 1..=self.max_attempts {
            self.limiter.acquire().await;
            let server_wait = match self.http.get(url.clone()).timeout(timeout).send().await {
                Ok(response) => {
                    answered = true;
                    let status = response.status();
                    if status.is_success() {
                        match response.bytes().await {
                            Ok(body) => return Ok(Fetched { url, status, body: body.to_vec() }),
                            Err(e) => last = format!("body read failed: {}", error_chain(&e)),
                        }
                        None
                    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        last = format!("HTTP {status}");
                        let wait = retry_after(response.headers().get(RETRY_AFTER));
                        if status == StatusCode::TOO_MANY_REQUESTS {
                            self.throttled.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%url, attempt, retry_after = ?wait, "EDGAR throttled this client (HTTP 429): backing off before the next attempt");
                        }
                        wait
                    } else {
                        return Ok(Fetched { url, status, body: Vec::new() });
                    }
                }
                Err(e) => {
                    last = format!("request failed: {}", error_chain(&e));
                    None
                }
            };
            if attempt < self.max_attempts {
                let wait = server_wait.unwrap_or_else(|| backoff(self.retry_base, attempt));
                tracing::debug!(%url, attempt, ?wait, %last, "retrying EDGAR request");
                tokio::time::sleep(wait).await;
            }
        }
        let (url, attempts) = (url.into(), self.max_attempts);
        if answered {
            Err(EdgarError::RetriesExhausted { url, attempts, last })
        } else {
            Err(EdgarError::Unreachable { url, attempts, last })
        }
    }
}

/// `Retry-After` in seconds (the form SEC uses), capped; HTTP-date values fall back to backoff.
fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let seconds: u64 = value?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_WAIT))
}

/// `base * 2^(attempt-1)` plus up to 50% jitter, so that many clients
/// throttled at the same moment do not come back at the same moment.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1 << (attempt - 1).min(16)).min(MAX_RETRY_WAIT);
    let jitter_ms = rand::rng().random_range(0..=exp.as_millis() as u64 / 2);
    exp + Duration::from_millis(jitter_ms)
}

/// reqwest's own message is only "error sending request"; the cause is in the chain.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(500);
        for attempt in 1..=4u32 {
            let exp = base * (1 << (attempt - 1));
            let d = backoff(base, attempt);
            assert!(d >= exp && d <= exp + exp / 2, "attempt {attempt}: {d:?}");
        }
        assert!(backoff(base, 30) <= MAX_RETRY_WAIT + MAX_RETRY_WAIT / 2);
    }

    #[test]
    fn retry_after_takes_capped_seconds_only() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(retry_after(Some(&h("1"))), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(Some(&h("86400"))), Some(MAX_RETRY_WAIT));
        assert_eq!(retry_after(Some(&h("Wed, 21 Oct 2015 07:28:00 GMT"))), None);
        assert_eq!(retry_after(None), None);
    }

    #[test]
    fn validates_configuration() {
        assert!(matches!(EdgarClient::new("  "), Err(EdgarError::MissingUserAgent)));
        let ua = "Example Corp admin@example.com";
        let rate = EdgarClient::builder(ua).max_requests_per_second(11).build();
        assert!(matches!(rate, Err(EdgarError::InvalidRate(11))));
        let base = EdgarClient::builder(ua).base_url("ftp://example.com").build();
        assert!(matches!(base, Err(EdgarError::InvalidBaseUrl { .. })));
        let client = EdgarClient::builder(ua).base_url("http://127.0.0.1:9/edgar").build().unwrap();
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:9/edgar/");
    }
}
