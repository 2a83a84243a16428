//! The bulk endpoints: generate (the seed's), index.json and the download.

use std::borrow::Cow;

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{caller, ErrorBody};
use crate::error::ApiError;
use crate::service::download::{self, Download};
use crate::service::generate::{self, GenerateResponse};
use crate::service::index::{self, IndexDocument};
use crate::service::params;
use crate::state::AppState;
use insider_bulk_core::domain::FormType;

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

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
        ("api_Token" = Option<String>, Query, description = "API key (or send a Bearer JWT)"),
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
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn generate(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (form, year, month) = path.into_inner();
    let form = params::form_type(&form)?;
    let month = params::month(&year, &month)?;
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        Some(v) => Some(v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?),
        None => None,
    };
    let caller = caller(&req)?;
    let body = generate::generate(&state, &caller, form, month, key).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(body.0))
}

/// The index of monthly files for a form type.
///
/// One entry per month of coverage (2003-01 to now; a month holds the
/// filings EDGAR filed in it) with the file's
/// name, size, row count, sha256, `generated_at` and status, plus
/// `filing_count`, `storage`, `url` and the latest `job`. Send the ETag
/// back in `If-None-Match` to get a 304 while nothing changed.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/form-{form_type}/index.json",
    tag = "bulk",
    params(
        ("form_type" = String, Path, description = "3, 4 or 5", example = "4"),
        ("api_Token" = Option<String>, Query, description = "API key (or send a Bearer JWT)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The index", body = IndexDocument,
            headers(("ETag" = String, description = "Validator for If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 400, description = "Invalid form type", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn index(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let form = params::form_type(&path.into_inner())?;
    index_answer(&state, form, req.head(), req.app_config().host()).await
}

/// The index.json answer to a GET, for [`index`] and for `index_route`,
/// which answers forms 3, 4 and 5 before the App. `default_host` is the
/// host of links when the request names none (HTTP/1.0 without Host).
pub async fn index_answer(
    state: &AppState,
    form: FormType,
    head: &RequestHead,
    default_host: &str,
) -> Result<HttpResponse, ApiError> {
    let base = base_url(state, head, default_host);
    let rendered = index::index(state, form, &base).await?;
    if matches_etag(&head.headers, &rendered.etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, rendered.etag_header.clone())).finish());
    }
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
    Ok(response.map_into_boxed_body())
}

/// Download a month's bundle (tar.gz).
///
/// `ETag` is the file's sha256 and `Repr-Digest` (RFC 9530) carries it
/// too; byte ranges resume large downloads. With an S3 store the answer
/// is a redirect to a signed URL valid for 24 hours.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/form-{form_type}/{year}/{month}.tar.gz",
    tag = "bulk",
    params(
        ("form_type" = String, Path, description = "3, 4 or 5", example = "4"),
        ("year" = String, Path, description = "4-digit year", example = "2025"),
        ("month" = String, Path, description = "Month 1-12 (01-12 also accepted)", example = "09"),
        ("api_Token" = Option<String>, Query, description = "API key (or send a Bearer JWT)"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. bytes=1048576-"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/gzip",
            headers(("ETag" = String, description = "The sha256"), ("Repr-Digest" = String, description = "sha-256 of the whole file (RFC 9530)"))),
        (status = 206, description = "The requested byte range", content_type = "application/gzip"),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 307, description = "Redirect to a signed URL (S3 store)"),
        (status = 400, description = "Invalid path parameter", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 404, description = "The month has no available bundle", body = ErrorBody),
        (status = 416, description = "The range lies outside the file", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn download(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (form, year, month) = path.into_inner();
    let form = params::form_type(&form)?;
    let month = params::month(&year, &month)?;
    match download::locate(&state, form, month).await? {
        Download::Redirect { url, sha256 } => Ok(HttpResponse::TemporaryRedirect()
            .insert_header((header::LOCATION, url))
            .insert_header((header::ETAG, format!("\"{sha256}\"")))
            .insert_header(("Repr-Digest", repr_digest(&sha256)))
            .finish()),
        Download::Stream { object_key, size, sha256, file_name } => {
            super::ranges::stream(&state, &req, &object_key, size, &sha256, &file_name).await
        }
    }
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
