//! The API's front door, as middleware around `/api/...`: authenticate,
//! apply the caller's tier budgets, and put the IETF `RateLimit-Policy` and
//! `RateLimit` fields on the answer.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::auth::{Caller, Credentials};
use crate::error::ApiError;
use crate::rate_limit::{limit_header, policy_header, Decision, Policy};
use crate::state::AppState;

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// No endpoint takes a body (generate's parameters are in the path), so a
/// large one is refused before it costs a database round trip.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// The longest path and query answered: every real one is under 200 bytes
/// (nginx's default limit is 8 KiB too).
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("application state missing"));
    };
    let target = req.path().len() + req.query_string().len();
    if target > MAX_TARGET_BYTES {
        return Ok(req.error_response(ApiError::UriTooLong { length: target, limit: MAX_TARGET_BYTES }));
    }
    if let Some(length) = declared_length(&req).filter(|&n| n > MAX_BODY_BYTES) {
        return Ok(req.error_response(ApiError::PayloadTooLarge { length, limit: MAX_BODY_BYTES }));
    }
    let caller = match authenticate(&state, &req).await {
        Ok(caller) => caller,
        Err(e) => return Ok(req.error_response(e)),
    };
    let (requests, generate) = state.config.limits.for_tier(caller.tier).clone();
    let is_generate = req.method() == Method::POST && req.path().contains("/generate/");
    let mut checked: Vec<(Policy, Decision)> = Vec::with_capacity(2);
    let mut refused: Option<(Policy, Decision)> = None;
    let policies = if is_generate { vec![requests, generate] } else { vec![requests] };
    for policy in policies {
        let decision = match state.limiter.check(&caller.account_id, &policy).await {
            Ok(d) => d,
            Err(e) => return Ok(req.error_response(ApiError::from(e))),
        };
        checked.push((policy.clone(), decision));
        if !decision.allowed {
            state.metrics.rate_limited.with_label_values(&[&policy.name, caller.tier.as_str()]).inc();
            refused = Some((policy, decision));
            break;
        }
    }
    let policy_value = policy_header(&checked.iter().map(|(p, _)| p).collect::<Vec<_>>());
    let limit_value = checked.iter().map(|(p, d)| limit_header(p, d)).collect::<Vec<_>>().join(", ");
    let mut response = match refused {
        Some((policy, decision)) => {
            let error = ApiError::RateLimited { policy: policy.name, retry_after: decision.reset_seconds.max(1) };
            req.error_response(error)
        }
        None => {
            req.extensions_mut().insert(caller);
            next.call(req).await?.map_into_boxed_body()
        }
    };
    let headers = response.headers_mut();
    if let (Ok(policy), Ok(limit)) = (HeaderValue::from_str(&policy_value), HeaderValue::from_str(&limit_value)) {
        headers.insert(RATELIMIT_POLICY, policy);
        headers.insert(RATELIMIT, limit);
    }
    Ok(response)
}

fn declared_length(req: &ServiceRequest) -> Option<u64> {
    req.headers().get(actix_web::http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

async fn authenticate(state: &AppState, req: &ServiceRequest) -> Result<Caller, ApiError> {
    let api_key = req.query_string().split('&').find_map(|pair| pair.strip_prefix("api_Token="));
    let bearer = match req.headers().get(AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| ApiError::Unauthorized("unreadable Authorization header".into()))?;
            let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
                return Err(ApiError::Unauthorized("the Authorization header must be `Bearer <JWT>`".into()));
            }
            Some(token.trim())
        }
    };
    state.auth.authenticate(Credentials { api_key, bearer }).await
}
