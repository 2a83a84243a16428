use actix_web::{web, HttpRequest, HttpResponse};

use super::{caller, ErrorBody};
use crate::error::ApiError;
use crate::service::jobs::{self, JobView};
use crate::service::params;
use crate::state::AppState;

/// One job's state and progress.
///
/// Visible to the account that started it (and, for nightly and warm-up
/// jobs, to every account); any other id answers 404.
#[utoipa::path(
    get,
    path = "/api/insiders/bulk/jobs/{job_id}",
    tag = "jobs",
    params(
        ("job_id" = String, Path, description = "The job_id a generate call returned", example = "8f1a2b30-c4d5-46e7-9f01-23456789abcd"),
    ),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "job_id is not a UUID", body = ErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such job for this account", body = ErrorBody),
        (status = 429, description = "Rate limit exceeded", body = ErrorBody),
    ),
    security(("api_key_header" = []), ("api_key" = []), ("api_token" = []), ("bearer" = []))
)]
pub async fn job(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = params::job_id(&path.into_inner())?;
    let view = jobs::job(&state, &caller(&req)?, id).await?;
    Ok(HttpResponse::Ok().json(view))
}
