//! The bulk endpoints: generate (the seed's), index.json and the download.

use std::borrow::Cow;

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use insider_bulk_core::db::billing::CallCharge;
use insider_bulk_core::domain::FormType;

use super::paths::{FormPath, MonthPath};
use super::{caller, ErrorBody};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::download::{self, DownloadAnswer, DownloadResponse, PendingResponse};
use crate::service::generate::{self, GenerateResponse};
use crate::service::index::{self, IndexDocument};
use crate::service::params::FileName;
use crate::state::AppState;

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Tokens the call took, on every answer of the three bulk endpoints, as
/// the live service's client reads it.
pub const TOKENS_CHARGED: header::HeaderName = header::HeaderName::from_static("x-tokens-charged");

/// Generate a monthly bulk data file on demand (25 tokens).
///
/// Charges the call, records a job and queues it; returns the job
/// descriptor at once. Poll index.json for the month's new `generated_at`
/// and `sha256`, or the job itself. A month that already has a queued or
/// running job returns that job and is not charged again. A job that fails
/// for good is refunded. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    post,
    path = "/api/insiders/bulk/form-{form_type}/generate/{year}/{month}",
    tag = "bulk",
    params(
        ("form_type" = String, Path, description = "SEC insider-trading form type: 3, 4 or 5", example = "4"),
        ("year" = String, Path, description = "4-digit year, 2003 to the current year", example = "2025"),
        ("month" = String, Path, description = "Calendar month 1-12, not in the future", example = "9"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST return the first response with no second charge"),
    ),
    responses(
        (status = 200, description = "Queued (or joined the month's open job)", body = GenerateResponse),
        (status = 400, description = "Invalid path parameter", body = ErrorBody),
        (status = 401, description = "Missing or invalid api_Token / Bearer JWT", body = ErrorBody),
        (status = 402, description = "Insufficient token balance; the body gives balance and cost", body = ErrorBody),
        (status = 413, description = "A request body over 64 KiB (the call takes none)", body = ErrorBody),
        (status = 422, description = "Idempotency-Key reused with a different request", body = ErrorBody),
        (status = 429, description = "Rate limit of the caller's tier exceeded", body = ErrorBody),
        (status = 503, description = "Database unavailable; nothing was charged", body = ErrorBody),
    ),
    security(("api_key_header" = []), ("api_key" = []), ("api_token" = []), ("bearer" = []))
)]
pub async fn generate(state: web::Data<AppState>, path: MonthPath, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        Some(v) => Some(v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?),
        None => None,
    };
    let caller = caller(&req)?;
    let generated = generate::generate(&state, &caller, path.form, path.month, key).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((TOKENS_CHARGED, generated.tokens_charged.to_string()))
        .body(generated.body))
}

/// The index of monthly files for a form type (25 tokens; a 304 is free).
///
/// `files` has one entry per month of coverage, newest first (the current
/// month back to 2003-01; a month holds the filings EDGAR filed in it):
/// the `.jsonl.gz` file's name, `row_count` (lines = filings), `size_bytes`,
/// `sha256`, `generated_at` and `status` (`available`, or `pending`: built
/// on first download), with ours beside them: `bundle` (the month's tar.gz
/// of SEC's eight tables), `filing_count`, `storage`, `url` and the latest
/// `job`. Send the ETag back in `If-None-Match` to get a free 304 while
/// nothing changed.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/form-{form_type}/index.json",
    tag = "bulk",
    params(
        ("form_type" = String, Path, description = "3, 4 or 5", example = "4"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The index", body = IndexDocument,
            headers(("ETag" = String, description = "Validator for If-None-Match"),
                ("X-Tokens-Charged" = String, description = "Tokens this call took"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 400, description = "Invalid form type", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 402, description = "Insufficient token balance", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ),
    security(("api_key_header" = []), ("api_key" = []), ("api_token" = []), ("bearer" = []))
)]
pub async fn index(state: web::Data<AppState>, path: FormPath, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req)?;
    index_answer(&state, &caller, path.0, req.head(), req.app_config().host()).await
}

/// The index.json answer to a GET. `default_host` is the host of links
/// when the request names none (HTTP/1.0 without Host).
/// A 304 is free; a 200 is charged `COST_INDEX`.
pub async fn index_answer(
    state: &AppState,
    caller: &Caller,
    form: FormType,
    head: &RequestHead,
    default_host: &str,
) -> Result<HttpResponse, ApiError> {
    let base = base_url(state, head, default_host);
    let rendered = index::index(state, form, &base).await?;
    if matches_etag(&head.headers, &rendered.etag) {
        let mut response =
            HttpResponse::NotModified().insert_header((header::ETAG, rendered.etag_header.clone())).finish();
        response.headers_mut().insert(TOKENS_CHARGED, HeaderValue::from_static("0"));
        return Ok(response);
    }
    let note = match form {
        FormType::Form3 => "index form 3",
        FormType::Form4 => "index form 4",
        FormType::Form5 => "index form 5",
    };
    let tokens = charge(state, caller, state.config.costs.index, note).await?;
    let gzip = accepts_gzip(&head.headers);
    let body = if gzip { rendered.gzipped.clone() } else { rendered.body.clone() };
    // The header map directly: the builder's conversions cost more than
    // the inserts on the most requested answer.
    let mut response = HttpResponse::with_body(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::ETAG, rendered.etag_header.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(TOKENS_CHARGED, HeaderValue::from(tokens));
    Ok(response.map_into_boxed_body())
}

/// Charges one call; a 402 when the balance is short.
async fn charge(state: &AppState, caller: &Caller, cost: i64, note: &'static str) -> Result<i64, ApiError> {
    if cost <= 0 {
        return Ok(0);
    }
    match state.meter.charge(&state.db, &caller.account_id, cost, note).await? {
        CallCharge::InsufficientBalance { balance, cost } => Err(ApiError::PaymentRequired { balance, cost }),
        CallCharge::UnknownAccount => Err(ApiError::Unauthorized("the account no longer exists".into())),
        charged => {
            state.metrics.tokens_charged.inc_by(charged.tokens() as u64);
            Ok(charged.tokens())
        }
    }
}

/// A signed URL to one of a month's files (25 tokens).
///
/// `filename` is a name index.json lists: `form-4-2026-04.jsonl.gz` (the
/// filings, one JSON record a line) or `form-4-2026-04.tar.gz` (SEC's
/// eight tables). The answer is JSON with a `download_url` that needs no
/// key and works for `DOWNLOAD_URL_SECONDS` (24 hours by default); a repeat
/// call for the same file while its URL is valid is not charged. A month
/// whose status is `pending` is built on this first download: the call
/// waits up to `DOWNLOAD_WAIT_SECONDS` (10 s) and then answers 200, or 202
/// with the job and `Retry-After` (not charged) while the build goes on.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/form-{form_type}/{year}/{filename}",
    tag = "bulk",
    params(
        ("form_type" = String, Path, description = "3, 4 or 5", example = "4"),
        ("year" = String, Path, description = "4-digit year of coverage (2003 on)", example = "2026"),
        ("filename" = String, Path, description = "A file name from index.json", example = "form-4-2026-04.jsonl.gz"),
    ),
    responses(
        (status = 200, description = "A signed URL to the file", body = DownloadResponse,
            headers(("X-Tokens-Charged" = String, description = "Tokens this call took (0 for a repeat)"))),
        (status = 202, description = "The month is being built; call again after Retry-After", body = PendingResponse,
            headers(("Retry-After" = String, description = "Seconds"))),
        (status = 400, description = "Invalid form type or year", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 402, description = "Insufficient token balance", body = ErrorBody),
        (status = 404, description = "No such file in the index, or a year outside coverage", body = ErrorBody),
        (status = 503, description = "Database unavailable; nothing was charged", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
    ),
    security(("api_key_header" = []), ("api_key" = []), ("api_token" = []), ("bearer" = []))
)]
pub async fn download(state: web::Data<AppState>, file: FileName, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req)?;
    let base = base_url(&state, req.head(), req.app_config().host());
    Ok(match download::download(&state, &caller, file, &base).await? {
        DownloadAnswer::Ready { body, tokens_charged } => HttpResponse::Ok()
            .insert_header((TOKENS_CHARGED, tokens_charged.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
        DownloadAnswer::Building(pending) => HttpResponse::Accepted()
            .insert_header((TOKENS_CHARGED, "0"))
            .insert_header((header::RETRY_AFTER, pending.retry_after_seconds.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(pending),
    })
}

/// `sha-256=:<base64>:` from a hex sha256 (RFC 9530).
pub fn repr_digest(sha256_hex: &str) -> String {
    let raw = hex::decode(sha256_hex).unwrap_or_default();
    format!("sha-256=:{}:", STANDARD.encode(raw))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

pub fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    let Some(sent) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else { return false };
    sent.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*")
}

/// The scheme and host that download URLs in the index start with:
/// `GATEWAY_PUBLIC_URL` when set; else what a trusted proxy forwarded;
/// else the request's own Host header and the connection's scheme.
fn base_url<'a>(state: &'a AppState, head: &RequestHead, default_host: &str) -> Cow<'a, str> {
    if let Some(url) = &state.config.public_url {
        return Cow::Borrowed(url);
    }
    let own_host = || {
        head.headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| head.uri.authority().map(|a| a.as_str()))
            .unwrap_or(default_host)
    };
    // Any client can send X-Forwarded-Host or Forwarded: believed only from
    // a proxy the operator listed, else a client could point the index's
    // links (and a shared cache's copy of it) at a host of its choosing.
    let trusted = head.peer_addr.is_some_and(|peer| state.config.trusted_proxies.trusts(peer.ip()));
    if trusted {
        let (scheme, host) = forwarded(head);
        let https = scheme.or(head.uri.scheme_str()) == Some("https");
        return Cow::Owned(assemble_base_url(https, host.unwrap_or_else(own_host)));
    }
    // The gateway itself speaks plain HTTP; TLS ends at a proxy.
    Cow::Owned(assemble_base_url(false, own_host()))
}

/// The scheme and host a proxy forwarded, read as actix-web's
/// `ConnectionInfo` reads them: the first `proto` and `host` of
/// `Forwarded` (RFC 7239), else the first value of `X-Forwarded-Proto` and
/// `X-Forwarded-Host`.
fn forwarded(head: &RequestHead) -> (Option<&str>, Option<&str>) {
    let (mut scheme, mut host) = (None, None);
    let pairs = head
        .headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([';', ',']))
        .filter_map(|pair| pair.trim().split_once('='));
    for (name, value) in pairs {
        let value = value.trim().trim_matches('"');
        match name.trim() {
            n if n.eq_ignore_ascii_case("proto") => scheme = scheme.or(Some(value)),
            n if n.eq_ignore_ascii_case("host") => host = host.or(Some(value)),
            _ => {}
        }
    }
    let first = |name: &str| {
        head.headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim)
    };
    (scheme.or_else(|| first("x-forwarded-proto")), host.or_else(|| first("x-forwarded-host")))
}

/// `scheme://host`, in one allocation. The host is the client's (or its
/// proxy's) to choose: anything odd becomes a safe default.
fn assemble_base_url(https: bool, host: &str) -> String {
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let host = if host_ok { host } else { "localhost" };
    let scheme = if https { "https://" } else { "http://" };
    let mut url = String::with_capacity(scheme.len() + host.len());
    url.push_str(scheme);
    url.push_str(host);
    url
}

pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}
