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

use insider_bulk_core::domain::FormType;

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

/// index.json's route pattern, below the API scope.
const INDEX_ROUTE: &str = "/form-{form_type}/index.json";

fn static_index_path(form: FormType) -> String {
    format!("/form-{form}/index.json")
}

/// The route pattern a matched pattern is counted under in the metrics:
/// itself, except for index.json's static paths, which count as the one
/// route they are.
pub fn route_label(pattern: &str) -> &str {
    let index_of = |form| pattern.strip_prefix(API_SCOPE).is_some_and(|rest| rest == static_index_path(form));
    if FormType::ALL.into_iter().any(index_of) {
        return INDEX_LABEL;
    }
    pattern
}

const API_SCOPE: &str = "/api/insiders/bulk";
const INDEX_LABEL: &str = "/api/insiders/bulk/form-{form_type}/index.json";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let wrong_method = || web::to(|| async { Err::<(), _>(method_not_allowed()) });
    let index = |path: String| web::resource(path).route(web::get().to(bulk::index)).default_service(wrong_method());
    // index.json, the most requested answer, under one static path per form
    // type ahead of its pattern: the pattern, which then only answers a bad
    // form type's 400, cost a regex match on every call. The metrics name
    // all of them by the pattern (`route_label`).
    let mut api = web::scope(API_SCOPE).wrap(from_fn(crate::guard::middleware));
    for form in FormType::ALL {
        api = api.service(index(static_index_path(form)).app_data(paths::StaticForm(form)));
    }
    cfg.service(
        api.service(index(INDEX_ROUTE.to_owned()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_json_counts_as_one_route_whichever_path_matched() {
        assert_eq!(INDEX_LABEL, format!("{API_SCOPE}{INDEX_ROUTE}"));
        for form in FormType::ALL {
            assert_eq!(route_label(&format!("{API_SCOPE}{}", static_index_path(form))), INDEX_LABEL);
        }
        assert_eq!(route_label(INDEX_LABEL), INDEX_LABEL);
        assert_eq!(route_label("/api/insiders/bulk/account"), "/api/insiders/bulk/account");
    }
}
