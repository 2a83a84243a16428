//! Polling a form's `index.json` with `If-None-Match`: a 304 means the
//! state's copy of the index still holds.

use insider_bulk_core::domain::{FormType, Month};
use reqwest::{header, StatusCode};
use serde::Deserialize;

use super::client::{chain, failure, Client};
use super::error::SyncError;
use super::state::{FormState, SeenEntry};

#[derive(Deserialize)]
struct IndexDocument {
    months: Vec<IndexEntry>,
}

/// The fields of an index entry that sync acts on.
#[derive(Deserialize)]
struct IndexEntry {
    year: i32,
    month: u32,
    size: Option<u64>,
    sha256: Option<String>,
    status: String,
    storage: Option<String>,
}

/// The form's index, or `None` when it is unchanged since `etag`.
pub async fn poll(client: &Client, form: FormType, etag: Option<&str>) -> Result<Option<FormState>, SyncError> {
    let path = format!("/api/insiders/bulk/form-{form}/index.json");
    let what = format!("index of form {form}");
    let url = client.api_url(&path);
    let response = client
        .send(&what, &client.shown(&path), || {
            let request = client.get(url.clone());
            match etag {
                Some(etag) => request.header(header::IF_NONE_MATCH, etag),
                None => request,
            }
        })
        .await?;
    match response.status() {
        StatusCode::NOT_MODIFIED if etag.is_some() => return Ok(None),
        StatusCode::OK => {}
        _ => return Err(failure(&what, response).await),
    }
    let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let document: IndexDocument = response.json().await.map_err(|e| SyncError::protocol(&what, chain(e)))?;
    let mut months = std::collections::BTreeMap::new();
    for entry in document.months {
        let Some(sha256) = entry.sha256 else { continue };
        // A server whose clock is in the next month lists a month no range can name.
        let Ok(month) = Month::new(entry.year, entry.month) else { continue };
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SyncError::protocol(&what, format!("{month}: {sha256:?} is not a sha256")));
        }
        months.insert(
            month.to_string(),
            SeenEntry {
                status: entry.status,
                sha256: sha256.to_ascii_lowercase(),
                size: entry.size,
                storage: entry.storage,
            },
        );
    }
    Ok(Some(FormState { etag, months }))
}
