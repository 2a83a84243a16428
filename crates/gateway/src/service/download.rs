//! Where a month's file is: a signed URL on S3, or bytes the gateway
//! streams from the local store. The object key is built from the
//! validated form and month, never from the request path, so no path a
//! client sends can point outside the store.

use insider_bulk_core::db::bundles;
use insider_bulk_core::domain::{BundleStatus, FormType, Month};

use crate::error::ApiError;
use crate::state::AppState;

pub enum Download {
    Redirect { url: String, sha256: String },
    Stream { object_key: String, size: u64, sha256: String, file_name: String },
}

pub async fn locate(state: &AppState, form: FormType, month: Month) -> Result<Download, ApiError> {
    let bundle = state.db.run(move |conn| bundles::get(conn, form, month)).await?;
    let Some(bundle) = bundle else {
        return Err(ApiError::NotFound(format!(
            "form {form} {month} has no bundle yet: POST /api/insiders/bulk/form-{form}/generate/{}/{} to build it",
            month.year(),
            month.month()
        )));
    };
    if bundle.status != BundleStatus::Available {
        return Err(ApiError::NotFound(format!(
            "form {form} {month} is in cold storage: POST /api/insiders/bulk/form-{form}/generate/{}/{} to warm it",
            month.year(),
            month.month()
        )));
    }
    let signed = state
        .store
        .signed_url(&bundle.object_key, state.signed_url_validity)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(match signed {
        Some(url) => Download::Redirect { url, sha256: bundle.sha256 },
        None => Download::Stream {
            object_key: bundle.object_key,
            size: u64::try_from(bundle.size_bytes).unwrap_or(0),
            sha256: bundle.sha256,
            file_name: bundle.file_name,
        },
    })
}
