//! HTTP routes, kept thin: each reads its inputs, calls the service layer
//! and shapes the answer. Errors render in [`crate::error`].

pub mod account;
pub mod bulk;
pub mod jobs;
pub mod meta;
pub mod ranges;

use actix_web::http::Method;
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

/// The route pattern that the requests of [`static_index`] count under.
pub const INDEX_PATTERN: &str = "/api/insiders/bulk/form-{form_type}/index.json";

/// The metrics label of a route pattern: the static index.json routes count as [`INDEX_PATTERN`].
pub fn route_label(pattern: &str) -> &str {
    match pattern {
        "/api/insiders/bulk/form-3/index.json"
        | "/api/insiders/bulk/form-4/index.json"
        | "/api/insiders/bulk/form-5/index.json" => INDEX_PATTERN,
        other => other,
    }
}

/// The index.json of one form type: a static pattern (a string compare,
/// no regex), answering GET in the handler rather than through a
/// `web::get()` route, whose method guard allocates on every request to
/// remember the methods for a 405.
fn static_index(form: &'static str) -> impl actix_web::dev::HttpServiceFactory {
    web::resource(format!("/api/insiders/bulk/form-{form}/index.json"))
        .wrap(from_fn(crate::guard::middleware))
        .default_service(web::to(move |state, req: HttpRequest| async move {
            if req.method() != Method::GET {
                return Err(method_not_allowed());
            }
            bulk::index_of(state, form, req).await
        }))
}

fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("method not allowed here".into())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let wrong_method = || web::to(|| async { Err::<(), _>(method_not_allowed()) });
    // index.json first: the most requested. The three form types as
    // static patterns (a string compare, where each pattern with a
    // parameter is a regex match) outside the scope, each behind the guard
    // of its own: one routing layer and its boxed future fewer per
    // request. In metrics they count under the scope's pattern.
    cfg.service(static_index("3")).service(static_index("4")).service(static_index("5"));
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
            .service(
                web::resource("/form-{form_type}/{year}/{month}.tar.gz")
                    .route(web::get().to(bulk::download))
                    .default_service(wrong_method()),
            )
            .service(web::resource("/account").route(web::get().to(account::account)).default_service(wrong_method()))
            .service(web::resource("/jobs/{job_id}").route(web::get().to(jobs::job)).default_service(wrong_method())),
    )
    .route("/", web::get().to(meta::root))
    .route("/openapi.json", web::get().to(meta::openapi))
    .route("/docs", web::get().to(meta::docs))
    .route("/metrics", web::get().to(meta::metrics))
    .route("/healthz", web::get().to(meta::healthz))
    .route("/readyz", web::get().to(meta::readyz));
}
