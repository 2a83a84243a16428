//! The signed download URLs of a local store: `/files/{object_key}` with
//! the `sha256`, `expires` and `signature` the download call put there.
//! No API key: the signature is the authorization. The bytes are served
//! with `ETag`, `Repr-Digest` and byte ranges.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::service::signed_url::SignedObject;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Signature {
    sha256: String,
    expires: i64,
    signature: String,
}

/// The file behind a signed URL.
pub async fn file(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<Signature>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Signature { sha256, expires, signature } = query.into_inner();
    let object = SignedObject { object_key: path.into_inner(), sha256, expires };
    if !state.url_signer.verifies(&object, &signature) {
        return Err(ApiError::Forbidden(
            "the download URL's signature does not match: ask the download endpoint for a new URL".into(),
        ));
    }
    if time::OffsetDateTime::now_utc().unix_timestamp() >= object.expires {
        return Err(ApiError::Forbidden(
            "the download URL has expired: ask the download endpoint for a new URL".into(),
        ));
    }
    let size = state.store.size(&object.object_key).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(size) = size else {
        return Err(ApiError::NotFound("the file of this URL is gone: ask the download endpoint for a new URL".into()));
    };
    let mut response =
        super::ranges::stream(&state, &req, &object.object_key, size, &object.sha256, &public_name(&object.object_key))
            .await?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, max-age=86400, immutable"));
    Ok(response)
}

/// `form-4-2026-04.jsonl.gz` from `hot/form-4/2026/form-4-2026-04.<version>.<write>.jsonl.gz`.
fn public_name(object_key: &str) -> String {
    let base = object_key.rsplit('/').next().unwrap_or(object_key);
    let stem = base.split('.').next().unwrap_or(base);
    let extension = if base.ends_with(".jsonl.gz") { "jsonl.gz" } else { "tar.gz" };
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_public_name_drops_the_version_and_write() {
        assert_eq!(super::public_name("hot/form-4/2026/form-4-2026-04.0123.abcd.jsonl.gz"), "form-4-2026-04.jsonl.gz");
        assert_eq!(super::public_name("cold/form-3/2003/form-3-2003-01.0123.abcd.tar.gz"), "form-3-2003-01.tar.gz");
    }
}
