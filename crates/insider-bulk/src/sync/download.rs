//! One bundle to disk: streamed into a hidden partial file named after the
//! sha256 it should have, resumed with `Range` + `If-Range`, checked
//! against the expected sha256 and the server's `ETag` and `Repr-Digest`,
//! fsynced and only then renamed to the bundle's own name.

use std::fs::{File, OpenOptions};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use insider_bulk_core::domain::{FormType, Month};
use reqwest::{header, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::client::{chain, failure, Client};
use super::error::SyncError;
use super::progress::Progress;
use super::state::{hash_into, stat, sync_dir, FileState};

/// Failures are reported under their month already: this names the step.
const WHAT: &str = "download";

/// What the file must be.
pub struct Want<'a> {
    pub form: FormType,
    pub month: Month,
    pub sha256: &'a str,
    pub size: Option<u64>,
}

pub fn file_name(form: FormType, month: Month) -> String {
    format!("form-{form}-{month}.tar.gz")
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

pub async fn fetch(client: &Client, dir: &Path, want: &Want<'_>, progress: &Progress) -> Result<FileState, SyncError> {
    let name = file_name(want.form, want.month);
    let path = partial_path(dir, &name, want.sha256);
    remove_other_partials(dir, &name, &path)?;
    let mut partial = Partial::open(path)?;
    if want.size.is_some_and(|size| partial.len > size) {
        partial.restart()?;
    }
    // A run that stopped between the last byte and the rename.
    if partial.len > 0 && want.size == Some(partial.len) && partial.sha256() == want.sha256 {
        return finish(dir, &name, partial);
    }
    let mut response = open(client, want, partial.len).await?;
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE && partial.len > 0 {
        partial.restart()?;
        response = open(client, want, 0).await?;
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
            Some(total)
        }
        StatusCode::OK => {
            // The file changed since the partial began (If-Range), or no range was asked.
            partial.restart()?;
            response.content_length()
        }
        _ => return Err(failure(WHAT, response).await),
    }
    .or(want.size);
    let bar = progress.bar(&name, total, partial.len);
    if let Some(total) = total {
        bar.set_length(total);
    }
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
                let had = total.map_or_else(String::new, |t| format!(" of {t}"));
                let reason = format!("cut off after {}{had} bytes (kept for resuming): {}", partial.len, chain(e));
                return Err(SyncError::protocol(WHAT, reason));
            }
        }
    }
    drop(bar);
    partial.sync()?;
    if let Some(total) = total.filter(|&t| partial.len < t) {
        return Err(SyncError::protocol(
            WHAT,
            format!("ended after {} of {total} bytes (kept for resuming)", partial.len),
        ));
    }
    let got = partial.sha256();
    if got != want.sha256 {
        let _ = std::fs::remove_file(&partial.path);
        return Err(SyncError::Mismatch { what: WHAT.to_owned(), want: want.sha256.to_owned(), got });
    }
    finish(dir, &name, partial)
}

/// The partial, whole and verified, becomes the bundle.
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

/// Sends the download request; answers a redirect by checking its ETag and
/// `Repr-Digest` against the expected sha256 and then fetching the signed
/// URL, without the API key and without `If-Range` (the store's ETag is not
/// the sha256; its object key carries the sha256, so it cannot change under
/// the same URL, and the whole file is hashed at the end anyway).
async fn open(client: &Client, want: &Want<'_>, from: u64) -> Result<Response, SyncError> {
    let path = format!("/api/insiders/bulk/form-{}/{}/{:02}.tar.gz", want.form, want.month.year(), want.month.month());
    let url = client.api_url(&path);
    let etag = format!("\"{}\"", want.sha256);
    let shown = client.shown(&path);
    let response = client
        .send(WHAT, &shown, || {
            // The bytes on disk are already gzip: no transfer coding on top, so ranges count file bytes.
            let request = client.get(url.clone()).header(header::ACCEPT_ENCODING, "identity");
            if from == 0 {
                return request;
            }
            request.header(header::RANGE, format!("bytes={from}-")).header(header::IF_RANGE, &etag)
        })
        .await?;
    if !response.status().is_redirection() {
        if response.status().is_success() {
            check_validators(&response, want, false)?;
        }
        return Ok(response);
    }
    check_validators(&response, want, true)?;
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| SyncError::protocol(WHAT, format!("a {} without a Location", response.status())))?;
    let target = url.join(location).map_err(|e| SyncError::protocol(WHAT, format!("a bad Location: {e}")))?;
    let shown_target = format!("{}://{}", target.scheme(), target.host_str().unwrap_or(""));
    let followed = client
        .send(WHAT, &shown_target, || {
            let request = client.get(target.clone()).header(header::ACCEPT_ENCODING, "identity");
            if from == 0 {
                return request;
            }
            request.header(header::RANGE, format!("bytes={from}-"))
        })
        .await
        // The store being down is this file's failure, not the service's.
        .map_err(|e| match e {
            SyncError::Unreachable { url, reason } => {
                SyncError::protocol(WHAT, format!("cannot reach {url}: {reason}"))
            }
            e => e,
        })?;
    if followed.status().is_redirection() {
        return Err(SyncError::protocol(WHAT, "the signed URL redirects again"));
    }
    Ok(followed)
}

/// The server's `ETag` and `Repr-Digest` must name the sha256 expected;
/// on a redirect they are required, as nothing else vouches for its target.
fn check_validators(response: &Response, want: &Want<'_>, required: bool) -> Result<(), SyncError> {
    let headers = response.headers();
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
    let digest = headers.get("repr-digest").and_then(|v| v.to_str().ok());
    if required && (etag.is_none() || digest.is_none()) {
        return Err(SyncError::protocol(WHAT, "a redirect without ETag and Repr-Digest"));
    }
    if let Some(etag) = etag {
        let served = etag.trim().trim_start_matches("W/").trim_matches('"');
        if !served.eq_ignore_ascii_case(want.sha256) {
            return Err(changed(want, served));
        }
    }
    if let Some(digest) = digest {
        let served = repr_sha256(digest)
            .ok_or_else(|| SyncError::protocol(WHAT, format!("Repr-Digest {digest:?} has no sha-256")))?;
        if served != want.sha256 {
            return Err(changed(want, &served));
        }
    }
    Ok(())
}

fn changed(want: &Want<'_>, served: &str) -> SyncError {
    SyncError::protocol(WHAT, format!("the server now serves sha256 {served}, not {}; run again", want.sha256))
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

/// Partials of this bundle toward another sha256 can never complete.
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
    fn reads_the_sha256_of_a_repr_digest() {
        let sha = hex::encode(Sha256::digest(b"x"));
        let b64 = STANDARD.encode(Sha256::digest(b"x"));
        assert_eq!(repr_sha256(&format!("sha-256=:{b64}:")), Some(sha.clone()));
        assert_eq!(repr_sha256(&format!("sha-512=:AAAA:, sha-256=:{b64}:")), Some(sha));
        assert_eq!(repr_sha256("sha-256=:AAAA:"), None, "not 32 bytes");
        assert_eq!(repr_sha256("md5=:AAAA:"), None);
    }
}
