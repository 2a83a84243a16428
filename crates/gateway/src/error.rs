//! Every error the API answers with, and the one place that turns them into
//! HTTP: one JSON shape, `{"error": {"code", "message", "param"?, "request_id"}}`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::request_id;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A path, query or header parameter broke a rule; `param` names it.
    #[error("{message}")]
    InvalidParameter { param: &'static str, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("insufficient token balance: this call costs {cost} tokens and the balance is {balance}")]
    PaymentRequired { balance: i64, cost: i64 },
    /// A signed download URL that is forged, altered or expired.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// An `Idempotency-Key` reused with a different request.
    #[error("the Idempotency-Key was first used with a different request")]
    IdempotencyKeyReused,
    /// A request body larger than any endpoint takes.
    #[error("the request body is {length} bytes; at most {limit} are accepted")]
    PayloadTooLarge { length: u64, limit: u64 },
    /// A path and query longer than any real request needs.
    #[error("the request target is {length} bytes; at most {limit} are accepted")]
    UriTooLong { length: usize, limit: usize },
    /// More or larger header fields than any real client sends (431).
    #[error("the request has {count} {what}; at most {limit} are accepted")]
    HeaderFieldsTooLarge { count: usize, what: &'static str, limit: usize },
    #[error("the range is outside the file of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    #[error("rate limit of policy {policy:?} exceeded; retry in {retry_after} s")]
    RateLimited { policy: String, retry_after: u64 },
    /// A dependency is down (database, rate limiter): nothing was charged.
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected: the detail goes to the log, never to the client.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<i64>,
    request_id: String,
}

impl ApiError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        ApiError::InvalidParameter { param, message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::PaymentRequired { .. } => "insufficient_balance",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UriTooLong { .. } => "uri_too_long",
            ApiError::HeaderFieldsTooLarge { .. } => "header_fields_too_large",
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::HeaderFieldsTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = request_id::current();
        match self {
            ApiError::Internal(detail) => tracing::error!(%request_id, %detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(%request_id, %detail, "dependency unavailable"),
            _ => {}
        }
        let (balance, cost) = match self {
            ApiError::PaymentRequired { balance, cost } => (Some(*balance), Some(*cost)),
            _ => (None, None),
        };
        let param = match self {
            ApiError::InvalidParameter { param, .. } => Some(*param),
            _ => None,
        };
        let body =
            Body { error: Detail { code: self.code(), message: self.to_string(), param, balance, cost, request_id } };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::RateLimited { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"insider-bulk\", X-API-Key, apiKey or api_Token also accepted",
                    ),
                ));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::RangeNotSatisfiable { size } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            }
            _ => {}
        }
        response.json(body)
    }
}

impl From<insider_bulk_core::db::DbError> for ApiError {
    fn from(e: insider_bulk_core::db::DbError) -> Self {
        use insider_bulk_core::db::DbError;
        match e {
            // The database cannot be reached: a 503 the client may retry.
            DbError::Connect { .. } | DbError::Pool(_) => ApiError::Unavailable("the database is unavailable".into()),
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            )) => ApiError::Unavailable("the database is unavailable".into()),
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                ref info,
            )) if is_connection_loss(info.message()) => ApiError::Unavailable("the database is unavailable".into()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// libpq reports a connection killed under a query (pg_terminate_backend,
/// a restart, a network cut) with these words, not always as a closed
/// connection.
fn is_connection_loss(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "terminating connection",
        "server closed the connection",
        "connection has been closed",
        "connection refused",
        "no connection",
        "could not send data",
        "could not receive data",
    ]
    .iter()
    .any(|m| message.contains(m))
}

impl From<crate::rate_limit::RateLimitError> for ApiError {
    fn from(e: crate::rate_limit::RateLimitError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::is_connection_loss;

    #[test]
    fn a_cut_connection_is_recognised_in_libpq_words() {
        for message in [
            "SSL connection has been closed unexpectedly",
            "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally",
            "terminating connection due to administrator command",
            "could not receive data from server: Connection reset by peer",
        ] {
            assert!(is_connection_loss(message), "{message}");
        }
        assert!(!is_connection_loss("duplicate key value violates unique constraint \"jobs_pkey\""));
    }
}
