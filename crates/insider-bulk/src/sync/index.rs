//! Polling a form's `index.json` with `If-None-Match`: a 304 (free) means
//! the state's copy of the index still holds; a 200 is a charged call.

use insider_bulk_core::domain::{FormType, Month};
use reqwest::{header, StatusCode};
use serde::Deserialize;

use super::budget::{Budget, Call};
use super::client::{chain, failure, Client};
use super::error::SyncError;
use super::state::{FormState, SeenEntry, SeenFile};

#[derive(Deserialize)]
struct IndexDocument {
    files: Vec<IndexEntry>,
}

/// The fields of an index entry that sync acts on.
#[derive(Deserialize)]
struct IndexEntry {
    year: i32,
    month: u32,
    filename: String,
    size_bytes: Option<u64>,
    sha256: Option<String>,
    status: String,
    storage: Option<String>,
    bundle: Option<BundleFile>,
}

#[derive(Deserialize)]
struct BundleFile {
    filename: String,
    size_bytes: Option<u64>,
    sha256: String,
}

/// What a poll found.
pub enum Polled {
    /// The form's index, fresh.
    Fresh(FormState),
    /// A 304: the state's copy holds.
    Unchanged,
    /// Not called: the budget would not cover a charged answer.
    NotCalled(String),
}

/// The form's index, unless it is unchanged since `etag`.
pub async fn poll(
    client: &Client,
    form: FormType,
    etag: Option<&str>,
    budget: &mut Budget,
) -> Result<Polled, SyncError> {
    // A 304 is free, but the answer may be a 200: it must fit.
    if let Err(reason) = budget.allow(Call::Index) {
        return Ok(Polled::NotCalled(reason));
    }
    let path = format!("/api/insiders/bulk/form-{form}/index.json");
    let what = format!("index of form {form}");
    let url = client.api_url(&path);
    let response = client
        .send(&what, &client.shown(&path), || {
            let request = client.api_get(url.clone());
            match etag {
                Some(etag) => request.header(header::IF_NONE_MATCH, etag),
                None => request,
            }
        })
        .await?;
    budget.count(&response, Call::Index);
    match response.status() {
        StatusCode::NOT_MODIFIED if etag.is_some() => return Ok(Polled::Unchanged),
        StatusCode::OK => {}
        StatusCode::PAYMENT_REQUIRED => return Err(budget.refused(&what, Call::Index, response).await),
        _ => return Err(failure(&what, response).await),
    }
    let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let document: IndexDocument = response.json().await.map_err(|e| SyncError::protocol(&what, chain(e)))?;
    let mut months = std::collections::BTreeMap::new();
    for entry in document.files {
        // A server whose clock is in the next month lists a month no range can name.
        let Ok(month) = Month::new(entry.year, entry.month) else { continue };
        let bad = |reason: String| SyncError::protocol(&what, format!("{month}: {reason}"));
        let file = SeenFile {
            filename: plain_name(entry.filename).map_err(bad)?,
            // Empty before the month's first build, as null is.
            sha256: entry.sha256.filter(|s| !s.is_empty()).map(sha256).transpose().map_err(bad)?,
            size: entry.size_bytes,
        };
        let bundle = match entry.bundle {
            Some(b) => Some(SeenFile {
                filename: plain_name(b.filename).map_err(bad)?,
                sha256: Some(sha256(b.sha256).map_err(bad)?),
                size: b.size_bytes,
            }),
            None => None,
        };
        months.insert(month.to_string(), SeenEntry { status: entry.status, file, bundle, storage: entry.storage });
    }
    Ok(Polled::Fresh(FormState { etag, months }))
}

/// A sha256 in lowercase hex.
pub fn sha256(value: String) -> Result<String, String> {
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{value:?} is not a sha256"));
    }
    Ok(value.to_ascii_lowercase())
}

/// A server's file name, used as a local one: one path component, not
/// hidden (partial files are), of the characters its names are made of.
pub fn plain_name(name: String) -> Result<String, String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !plain {
        return Err(format!("{name:?} is not a plain file name"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_plain_names_and_hex_sha256s() {
        assert_eq!(plain_name("form-4-2026-04.jsonl.gz".into()).unwrap(), "form-4-2026-04.jsonl.gz");
        for bad in ["", "../x", "a/b", ".hidden", "a\\b", "x y", "..", "é"] {
            assert!(plain_name(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(sha256("AB".repeat(32)).unwrap(), "ab".repeat(32));
        assert!(sha256("ab".into()).is_err());
        assert!(sha256("zz".repeat(32)).is_err());
    }
}
