//! A request id for every request: taken from a well-formed `X-Request-Id`
//! or made up, echoed in the response header and in every error body, and
//! visible to code deep in the call (errors) through a task-local.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id ("unknown" outside a request).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "unknown".into())
}

/// A random (version 4) UUID in its 32-digit form, drawn from the thread's
/// CSPRNG (`rand::rng()`, seeded from the OS) rather than from a
/// `getrandom` system call per request as `Uuid::new_v4` does.
pub fn new_id() -> String {
    use rand::Rng;
    uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid().simple().to_string()
}

fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(new_id, str::to_owned);
    // Errors are rendered here, inside the scope, so that their body carries the id.
    let scoped_id = id.clone();
    let mut response = REQUEST_ID
        .scope(id.clone(), async move {
            next.call(req).await.map_err(|e| {
                let mut response = e.error_response();
                if let Ok(value) = HeaderValue::from_str(&scoped_id) {
                    response.headers_mut().insert(HEADER, value);
                }
                actix_web::Error::from(InternalError::from_response(e.to_string(), response))
            })
        })
        .await?
        .map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}
