//! The HTTP side: one reqwest client, the API key on every API call (in
//! `X-API-Key`, the docs' header: a query parameter would put it in access
//! logs) and on nothing else, the service's JSON errors read into one
//! line, and 429s waited out as `Retry-After` says.

use std::time::Duration;

use reqwest::{Response, StatusCode, Url};
use serde::Deserialize;

use super::error::SyncError;

/// The header the service reads the key from, and the one it reports each
/// call's price in.
const API_KEY: &str = "X-API-Key";
const TOKENS_CHARGED: &str = "x-tokens-charged";

/// A 429 is retried this many times before it counts as a failure.
const RATE_LIMIT_RETRIES: u32 = 8;
/// The longest `Retry-After` honoured; a longer one is a failure, not a hang.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub message: String,
    pub balance: Option<i64>,
    pub cost: Option<i64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

impl Client {
    pub fn new(url: &str, key: String) -> Result<Self, SyncError> {
        let bad = |reason: &str| SyncError::BadUrl { url: url.to_owned(), reason: reason.to_owned() };
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("expected http://host[:port] or https://host[:port]"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("give the service's base URL, without a query"));
        }
        let http = reqwest::Client::builder()
            // No redirect is followed: the API answers signed URLs in JSON,
            // and a redirect must never carry the API key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(60))
            .user_agent(concat!("insider-bulk-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| bad(&chain(e)))?;
        Ok(Client { http, base: parsed.as_str().trim_end_matches('/').to_owned(), key })
    }

    /// `path` under the base URL, without the key: for messages.
    pub fn shown(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `path` under the base URL.
    pub fn api_url(&self, path: &str) -> Url {
        Url::parse(&self.shown(path)).expect("a base URL that parsed, and an ASCII path")
    }

    /// A GET of the API, with the key.
    pub fn api_get(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.get(url).header(API_KEY, &self.key)
    }

    /// A POST to the API, with the key.
    pub fn api_post(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.post(url).header(API_KEY, &self.key)
    }

    /// A GET without the key: for signed URLs, whose signature is the authorization.
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.get(url)
    }

    /// Sends what `build` makes, again after each 429's `Retry-After`. A 401
    /// is an error here, since no request of the run can succeed after one.
    pub async fn send(
        &self,
        what: &str,
        shown: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Response, SyncError> {
        let mut attempt = 0;
        loop {
            let response = build().send().await.map_err(|e| transport(what, shown, e))?;
            match response.status() {
                StatusCode::UNAUTHORIZED => {
                    let detail = error_detail(response).await;
                    return Err(SyncError::Unauthorized(detail.message));
                }
                StatusCode::TOO_MANY_REQUESTS if attempt < RATE_LIMIT_RETRIES => {
                    let wait = retry_after(&response).unwrap_or(Duration::from_secs(1));
                    if wait > MAX_RETRY_AFTER {
                        return Err(failure(what, response).await);
                    }
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => return Ok(response),
            }
        }
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, what: &str, path: &str) -> Result<T, SyncError> {
        let url = self.api_url(path);
        let response = self.send(what, &self.shown(path), || self.api_get(url.clone())).await?;
        if !response.status().is_success() {
            return Err(failure(what, response).await);
        }
        response.json().await.map_err(|e| SyncError::protocol(what, chain(e)))
    }
}

/// The service's JSON error, or what there is of it.
pub async fn error_detail(response: Response) -> ErrorDetail {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => body.error,
        Err(_) => ErrorDetail {
            message: text.lines().next().filter(|l| !l.trim().is_empty()).map_or_else(
                || status.canonical_reason().unwrap_or("no message").to_owned(),
                |l| l.chars().take(200).collect(),
            ),
            ..ErrorDetail::default()
        },
    }
}

/// An unsuccessful answer as an error carrying the server's message.
pub async fn failure(what: &str, response: Response) -> SyncError {
    let status = response.status().as_u16();
    let detail = error_detail(response).await;
    SyncError::Status { what: what.to_owned(), status, message: detail.message }
}

/// Connection-level failures: the server is not there (fatal), or the
/// exchange broke off (this request only).
pub fn transport(what: &str, shown: &str, e: reqwest::Error) -> SyncError {
    if e.is_connect() {
        SyncError::Unreachable { url: shown.to_owned(), reason: chain(e) }
    } else {
        SyncError::protocol(what, chain(e))
    }
}

/// What the call took, as the service reports it (`X-Tokens-Charged`).
pub fn tokens_charged(response: &Response) -> Option<u64> {
    response.headers().get(TOKENS_CHARGED)?.to_str().ok()?.trim().parse().ok()
}

pub fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// An error and its causes on one line, without the URL (a signed URL's query is a credential).
pub fn chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_base_url_and_keeps_the_key_out_of_what_it_shows() {
        for bad in ["foo", "ftp://host", "http://host/?api_Token=x", "http://"] {
            assert!(matches!(Client::new(bad, "k".into()), Err(SyncError::BadUrl { .. })), "{bad}");
        }
        let client = Client::new("https://host:8443/prefix/", "ibk_a_b".into()).unwrap();
        assert_eq!(client.shown("/x.json"), "https://host:8443/prefix/x.json");
        assert_eq!(client.api_url("/x.json").as_str(), "https://host:8443/prefix/x.json");
        let request = client.api_get(client.api_url("/x.json")).build().unwrap();
        assert_eq!(request.headers()[API_KEY], "ibk_a_b");
        assert_eq!(request.url().query(), None, "the key is not in the URL");
        let signed = client.get(Url::parse("https://store.example/o?X-Amz-Signature=s").unwrap()).build().unwrap();
        assert!(signed.headers().get(API_KEY).is_none(), "a signed URL gets no key");
    }
}
