//! HTTP routes, kept thin: each reads its inputs, calls the service layer
//! and shapes the answer. Errors render in [`crate::error`].

pub mod account;
pub mod bulk;
pub mod files;
pub mod jobs;
pub mod meta;
pub mod paths;
pub mod ranges;

use actix_web::{middleware::from_fn, web, HttpMessage, HttpRequest};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::guard::Admission;

/// The one error shape of every endpoint.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: invalid_parameter, unauthorized, insufficient_balance, not_found,
    /// rate_limited, unavailable, internal_error, ...
    #[schema(example = "invalid_parameter")]
    pub code: String,
    #[schema(example = "month must be between 1 and 12, not 13")]
    pub message: String,
    /// The offending parameter, for 400.
    #[schema(example = "month")]
    pub param: Option<String>,
    /// For 402: the balance and the cost of the call.
    pub balance: Option<i64>,
    pub cost: Option<i64>,
    /// Quote it in a support request; it is in the server's log too.
    pub request_id: String,
}

/// The caller the guard authenticated.
pub fn caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    Ok(admission(req)?.caller)
}

/// What the guard admitted the request as.
pub fn admission(req: &HttpRequest) -> Result<Admission, ApiError> {
    req.extensions().get::<Admission>().cloned().ok_or_else(|| ApiError::Internal("route outside the guard".into()))
}

pub(crate) fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("method not allowed here".into())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let wrong_method = || web::to(|| async { Err::<(), _>(method_not_allowed()) });
    cfg.service(
        web::scope("/api/insiders/bulk")
            .wrap(from_fn(crate::guard::middleware))
            .service(
                web::resource("/form-{form_type}/index.json")
                    .route(web::get().to(bulk::index))
                    .default_service(wrong_method()),
            )
            .service(
                web::resource("/form-{form_type}/generate/{year}/{month}")
                    .route(web::post().to(bulk::generate).wrap(from_fn(crate::guard::generate_budget)))
                    .default_service(wrong_method()),
            )
            .service(web::resource("/account").route(web::get().to(account::account)).default_service(wrong_method()))
            .service(web::resource("/jobs/{job_id}").route(web::get().to(jobs::job)).default_service(wrong_method()))
            .service(
                web::resource("/form-{form_type}/{year}/{filename}")
                    .route(web::get().to(bulk::download))
                    .default_service(wrong_method()),
            ),
    )
    .service(web::resource("/files/{object_key:.+}").route(web::get().to(files::file)).default_service(wrong_method()))
    .route("/", web::get().to(meta::root))
    .route("/openapi.json", web::get().to(meta::openapi))
    .route("/docs", web::get().to(meta::docs))
    .route("/metrics", web::get().to(meta::metrics))
    .route("/healthz", web::get().to(meta::healthz))
    .route("/readyz", web::get().to(meta::readyz));
}
