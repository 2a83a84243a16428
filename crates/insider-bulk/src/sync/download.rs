//! One file to disk. The download call (with the key) answers a signed
//! URL with the file's sha256 and size, or a 202 while the server builds
//! the month. The signed URL is fetched without the key into a hidden
//! partial file named after the sha256, resumed with `Range` (and
//! `If-Range` where the server's ETag is the sha256), checked against the
//! sha256 and size and the server's `ETag` and `Repr-Digest`, fsynced and
//! only then renamed to the file's own name.

use std::fs::{File, OpenOptions};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use insider_bulk_core::domain::{FormType, Month};
use reqwest::{header, Response, StatusCode, Url};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::budget::{Budget, Call};
use super::client::{chain, error_detail, failure, retry_after, Client};
use super::error::SyncError;
use super::index::sha256;
use super::progress::Progress;
use super::state::{hash_into, stat, sync_dir, FileState};

/// Failures are reported under their file already: this names the step.
const WHAT: &str = "download";
/// A 202 without `Retry-After` is called again after this long.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// The longest wait between two calls for a file being built, whatever
/// the server says: the total is bounded by `--pending-wait` anyway.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Fresh signed URLs asked for after a 403 or 404 (an expired URL), per file.
const FRESH_URLS: u32 = 2;

/// The file to fetch: one the index lists.
pub struct Want<'a> {
    pub form: FormType,
    pub month: Month,
    /// The server's name of the file, also its name here.
    pub filename: &'a str,
}

pub enum Fetched {
    File(FileState),
    /// The server was still building the month when `--pending-wait` ran
    /// out: its job, as the last 202 described it.
    Building(String),
    /// The budget left no room for the download call.
    NotCalled(String),
}

/// The download call's answer: where the bytes are and what they must be.
#[derive(Deserialize)]
struct Grant {
    download_url: String,
    filename: String,
    size_bytes: u64,
    sha256: String,
}

/// A 202: the month is being built.
#[derive(Deserialize, Default)]
struct Building {
    #[serde(default)]
    job_id: String,
    #[serde(default)]
    status: String,
    retry_after_seconds: Option<u64>,
}

impl Building {
    /// `job ID, running`; a job that ended just before the answer has no ID.
    fn describe(&self) -> String {
        let status = if self.status.is_empty() { "queued" } else { &self.status };
        if self.job_id.is_empty() {
            status.to_owned()
        } else {
            format!("job {}, {status}", self.job_id)
        }
    }
}

enum Asked {
    Granted(Grant, Url),
    Building(Building),
    NotCalled(String),
}

enum Transferred {
    File(FileState),
    /// The signed URL answered 403 or 404: expired, or its file replaced.
    Refused(String),
}

/// The partial file bytes toward `sha256` collect in: another sha256's
/// partial is another file, so bytes of two versions never mix.
fn partial_path(dir: &Path, name: &str, sha256: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.partial", &sha256[..16]))
}

/// A partial file being filled, with the hash of what it holds so far.
struct Partial {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    len: u64,
}

impl Partial {
    fn open(path: PathBuf) -> Result<Partial, SyncError> {
        let io = SyncError::io(&path);
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        let mut hasher = Sha256::new();
        // Leaves the cursor at the end, where resumed bytes go.
        let len = hash_into(&mut file, &mut hasher).map_err(SyncError::io(&path))?;
        Ok(Partial { path, file, hasher, len })
    }

    fn restart(&mut self) -> Result<(), SyncError> {
        self.file.set_len(0).and_then(|()| self.file.rewind()).map_err(SyncError::io(&self.path))?;
        self.hasher = Sha256::new();
        self.len = 0;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SyncError> {
        self.file.write_all(bytes).map_err(SyncError::io(&self.path))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    fn sync(&self) -> Result<(), SyncError> {
        self.file.sync_all().map_err(SyncError::io(&self.path))
    }

    fn sha256(&self) -> String {
        hex::encode(self.hasher.clone().finalize())
    }
}

/// Fetches `want`, calling the download endpoint again while the server
/// builds it (up to `pending_wait` in all) and after a signed URL expires.
pub async fn fetch(
    client: &Client,
    dir: &Path,
    want: &Want<'_>,
    budget: &mut Budget,
    pending_wait: Duration,
    progress: &Progress,
) -> Result<Fetched, SyncError> {
    let mut fresh_urls = 0;
    loop {
        let (grant, url) = match ask(client, want, budget, pending_wait, progress).await? {
            Asked::Granted(grant, url) => (grant, url),
            Asked::Building(building) => return Ok(Fetched::Building(building.describe())),
            Asked::NotCalled(reason) => return Ok(Fetched::NotCalled(reason)),
        };
        match transfer(client, dir, &grant, &url, progress).await? {
            Transferred::File(file) => return Ok(Fetched::File(file)),
            Transferred::Refused(reason) if fresh_urls < FRESH_URLS => {
                fresh_urls += 1;
                progress
                    .line(&format!("{}: the signed URL was refused ({reason}); asking for a fresh one", want.filename));
            }
            Transferred::Refused(reason) => {
                return Err(SyncError::protocol(
                    WHAT,
                    format!("{} signed URLs in a row were refused: {reason}", FRESH_URLS + 1),
                ));
            }
        }
    }
}

/// The download call, made again after each 202's `Retry-After` while
/// `pending_wait` lasts. A 202 is not charged; a 200 is, unless it repeats
/// a URL still valid.
async fn ask(
    client: &Client,
    want: &Want<'_>,
    budget: &mut Budget,
    pending_wait: Duration,
    progress: &Progress,
) -> Result<Asked, SyncError> {
    let path = format!("/api/insiders/bulk/form-{}/{}/{}", want.form, want.month.year(), want.filename);
    let url = client.api_url(&path);
    let shown = client.shown(&path);
    let began = Instant::now();
    loop {
        if let Err(reason) = budget.allow(Call::Download) {
            return Ok(Asked::NotCalled(reason));
        }
        let response = client.send(WHAT, &shown, || client.api_get(url.clone())).await?;
        budget.count(&response, Call::Download);
        match response.status() {
            StatusCode::OK => {
                let grant: Grant = response.json().await.map_err(|e| SyncError::protocol(WHAT, chain(e)))?;
                return checked(grant, want).map(|(grant, url)| Asked::Granted(grant, url));
            }
            StatusCode::ACCEPTED => {
                let said = retry_after(&response);
                let building: Building = response.json().await.unwrap_or_default();
                let wait = said
                    .or(building.retry_after_seconds.map(Duration::from_secs))
                    .unwrap_or(DEFAULT_RETRY_AFTER)
                    .clamp(Duration::from_secs(1), MAX_RETRY_AFTER);
                if began.elapsed() + wait > pending_wait {
                    return Ok(Asked::Building(building));
                }
                progress.line(&format!(
                    "{}: the server is building it ({}); calling again in {} s",
                    want.filename,
                    building.describe(),
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
            }
            StatusCode::PAYMENT_REQUIRED => return Err(budget.refused(WHAT, Call::Download, response).await),
            _ => return Err(failure(WHAT, response).await),
        }
    }
}

/// The answer must be about the file asked for, with a sha256 and a URL.
fn checked(grant: Grant, want: &Want<'_>) -> Result<(Grant, Url), SyncError> {
    if grant.filename != want.filename {
        return Err(SyncError::protocol(WHAT, format!("asked for {}, answered {:?}", want.filename, grant.filename)));
    }
    let sha256 = sha256(grant.sha256).map_err(|reason| SyncError::protocol(WHAT, reason))?;
    let url = Url::parse(&grant.download_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        // Not the URL itself: its query is a credential.
        .ok_or_else(|| SyncError::protocol(WHAT, "the download_url is not an http(s) URL"))?;
    Ok((Grant { sha256, ..grant }, url))
}

/// Fetches a granted file into its partial and renames it into place.
async fn transfer(
    client: &Client,
    dir: &Path,
    grant: &Grant,
    url: &Url,
    progress: &Progress,
) -> Result<Transferred, SyncError> {
    let name = grant.filename.as_str();
    let path = partial_path(dir, name, &grant.sha256);
    remove_other_partials(dir, name, &path)?;
    let mut partial = Partial::open(path)?;
    if partial.len >= grant.size_bytes {
        // A run that stopped between the last byte and the rename.
        if partial.len == grant.size_bytes && partial.sha256() == grant.sha256 {
            return finish(dir, name, partial).map(Transferred::File);
        }
        partial.restart()?;
    }
    let mut response = open(client, grant, url, partial.len).await?;
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE && partial.len > 0 {
        partial.restart()?;
        response = open(client, grant, url, 0).await?;
    }
    let total = match response.status() {
        StatusCode::PARTIAL_CONTENT => {
            let (start, total) = content_range(&response).ok_or_else(|| {
                SyncError::protocol(WHAT, "a 206 without a Content-Range of the form bytes START-END/SIZE")
            })?;
            if start != partial.len {
                partial.restart()?;
                return Err(SyncError::protocol(WHAT, format!("asked for bytes {}- and got {start}-", partial.len)));
            }
            total
        }
        StatusCode::OK => {
            // The file changed since the partial began (If-Range), or no range was asked.
            partial.restart()?;
            response.content_length().unwrap_or(grant.size_bytes)
        }
        // Expired (403), or its object gone since (404): the download call knows the current one.
        status @ (StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            let detail = error_detail(response).await;
            return Ok(Transferred::Refused(format!("{}: {}", status.as_u16(), detail.message)));
        }
        _ => return Err(failure(WHAT, response).await),
    };
    if total != grant.size_bytes {
        return Err(SyncError::protocol(
            WHAT,
            format!("the signed URL serves {total} bytes, the download call said {}", grant.size_bytes),
        ));
    }
    let bar = progress.bar(name, Some(total), partial.len);
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                partial.write(&bytes)?;
                bar.inc(bytes.len() as u64);
            }
            Ok(None) => break,
            Err(e) => {
                // Kept, fsynced, for the next run to resume from.
                partial.sync()?;
                let reason =
                    format!("cut off after {} of {total} bytes (kept for resuming): {}", partial.len, chain(e));
                return Err(SyncError::protocol(WHAT, reason));
            }
        }
    }
    drop(bar);
    partial.sync()?;
    if partial.len < total {
        return Err(SyncError::protocol(
            WHAT,
            format!("ended after {} of {total} bytes (kept for resuming)", partial.len),
        ));
    }
    let got = partial.sha256();
    if partial.len != total || got != grant.sha256 {
        let _ = std::fs::remove_file(&partial.path);
        return Err(SyncError::Mismatch { what: WHAT.to_owned(), want: grant.sha256.clone(), got });
    }
    finish(dir, name, partial).map(Transferred::File)
}

/// The partial, whole and verified, becomes the file.
fn finish(dir: &Path, name: &str, partial: Partial) -> Result<FileState, SyncError> {
    partial.sync()?;
    let sha256 = partial.sha256();
    let target = dir.join(name);
    drop(partial.file);
    std::fs::rename(&partial.path, &target).map_err(SyncError::io(&target))?;
    sync_dir(dir)?;
    let (size, mtime_ns) = stat(&target).map_err(SyncError::io(&target))?.ok_or_else(|| SyncError::Io {
        path: target.clone(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "vanished after the rename"),
    })?;
    Ok(FileState { sha256, size, mtime_ns })
}

/// GETs the signed URL, without the API key, from byte `from` on.
async fn open(client: &Client, grant: &Grant, url: &Url, from: u64) -> Result<Response, SyncError> {
    // The signed URL's query is a credential: messages name its host only.
    let shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    let if_range = serves_sha256_etag(url, &grant.sha256).then(|| format!("\"{}\"", grant.sha256));
    let response = client
        .send(WHAT, &shown, || {
            // The bytes are gzip already: no transfer coding on top, so ranges count file bytes.
            let request = client.get(url.clone()).header(header::ACCEPT_ENCODING, "identity");
            if from == 0 {
                return request;
            }
            let request = request.header(header::RANGE, format!("bytes={from}-"));
            match &if_range {
                Some(etag) => request.header(header::IF_RANGE, etag),
                None => request,
            }
        })
        .await
        // The store being down, or refusing, is this file's failure, not the service's or the key's.
        .map_err(|e| match e {
            SyncError::Unreachable { url, reason } => {
                SyncError::protocol(WHAT, format!("cannot reach {url}: {reason}"))
            }
            SyncError::Unauthorized(message) => SyncError::Status { what: WHAT.to_owned(), status: 401, message },
            e => e,
        })?;
    if response.status().is_redirection() {
        return Err(SyncError::protocol(WHAT, format!("the signed URL answers a redirect ({})", response.status())));
    }
    if response.status().is_success() {
        check_validators(&response, &grant.sha256)?;
    }
    Ok(response)
}

/// Whether the URL's server is known to answer with the sha256 as its
/// ETag, so that `If-Range` can carry it: the gateway's own signed URLs
/// name the sha256 they serve. A store's ETag is its own (S3: an MD5),
/// so it gets no `If-Range`; its objects never change under a key (the
/// key carries the sha256), and the whole file is hashed at the end anyway.
fn serves_sha256_etag(url: &Url, sha256: &str) -> bool {
    url.path().contains("/files/") && url.query_pairs().any(|(k, v)| k == "sha256" && v.eq_ignore_ascii_case(sha256))
}

/// An `ETag` that is a sha256, and a `Repr-Digest`, must name the sha256
/// expected (a store's own ETag, an MD5, says nothing about it).
fn check_validators(response: &Response, want: &str) -> Result<(), SyncError> {
    let headers = response.headers();
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
    let digest = headers.get("repr-digest").and_then(|v| v.to_str().ok());
    if let Some(etag) = etag {
        let served = etag.trim().trim_start_matches("W/").trim_matches('"');
        if served.len() == 64 && served.bytes().all(|b| b.is_ascii_hexdigit()) && !served.eq_ignore_ascii_case(want) {
            return Err(changed(want, served));
        }
    }
    if let Some(digest) = digest {
        let served = repr_sha256(digest)
            .ok_or_else(|| SyncError::protocol(WHAT, format!("Repr-Digest {digest:?} has no sha-256")))?;
        if served != want {
            return Err(changed(want, &served));
        }
    }
    Ok(())
}

fn changed(want: &str, served: &str) -> SyncError {
    SyncError::protocol(WHAT, format!("the signed URL serves sha256 {served}, not {want}; run again"))
}

/// The `sha-256` member of a `Repr-Digest` dictionary (RFC 9530), in hex.
fn repr_sha256(value: &str) -> Option<String> {
    value.split(',').find_map(|member| {
        let (key, bytes) = member.trim().split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("sha-256") {
            return None;
        }
        let raw = STANDARD.decode(bytes.trim().strip_prefix(':')?.strip_suffix(':')?).ok()?;
        (raw.len() == 32).then(|| hex::encode(raw))
    })
}

/// `bytes START-END/SIZE` → (START, SIZE).
fn content_range(response: &Response) -> Option<(u64, u64)> {
    let value = response.headers().get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (span, size) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = span.split_once('-')?;
    Some((start.trim().parse().ok()?, size.trim().parse().ok()?))
}

/// Partials of this file toward another sha256 can never complete.
fn remove_other_partials(dir: &Path, name: &str, keep: &Path) -> Result<(), SyncError> {
    let prefix = format!(".{name}.");
    for entry in std::fs::read_dir(dir).map_err(SyncError::io(dir))? {
        let path = entry.map_err(SyncError::io(dir))?.path();
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if file.starts_with(&prefix) && file.ends_with(".partial") && path != keep {
            std::fs::remove_file(&path).map_err(SyncError::io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_range_only_where_the_etag_is_the_sha256() {
        let sha = "ab".repeat(32);
        let gateway = Url::parse(&format!("http://h/files/hot/form-4/x.jsonl.gz?sha256={sha}&expires=1&signature=s"));
        assert!(serves_sha256_etag(&gateway.unwrap(), &sha));
        let other = Url::parse(&format!("http://h/files/x?sha256={}&expires=1", "cd".repeat(32))).unwrap();
        assert!(!serves_sha256_etag(&other, &sha), "another file's URL");
        let s3 = Url::parse("http://s3/bulk/hot/form-4/x.jsonl.gz?X-Amz-Signature=s").unwrap();
        assert!(!serves_sha256_etag(&s3, &sha));
    }

    #[test]
    fn reads_the_sha256_of_a_repr_digest() {
        let sha = hex::encode(Sha256::digest(b"x"));
        let b64 = STANDARD.encode(Sha256::digest(b"x"));
        assert_eq!(repr_sha256(&format!("sha-256=:{b64}:")), Some(sha.clone()));
        assert_eq!(repr_sha256(&format!("sha-512=:AAAA:, sha-256=:{b64}:")), Some(sha));
        assert_eq!(repr_sha256("sha-256=:AAAA:"), None, "not 32 bytes");
        assert_eq!(repr_sha256("md5=:AAAA:"), None);
    }
}
