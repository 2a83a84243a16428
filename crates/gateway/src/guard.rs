//! The front door. [`check_limits`], run around every request by
//! `front`, refuses request shapes no real client sends before any work is
//! done; [`middleware`], around `/api/...`, [`admit`]s the request
//! (authenticates it and applies the caller's request budget) and puts the
//! IETF `RateLimit-Policy` and `RateLimit` fields on the answer;
//! [`generate_budget`], around the generate route alone, applies the
//! generate budget too.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{RequestHead, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use insider_bulk_core::domain::Tier;

use crate::auth::{presented, Caller};
use crate::config::TierLimits;
use crate::error::ApiError;
use crate::rate_limit::{policy_header, push_limit_header, Decision, Policy};
use crate::service::account::CheckedLimits;
use crate::state::AppState;

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// No endpoint takes a body (generate's parameters are in the path), so a
/// large one is refused before it costs a database round trip.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// The longest path and query answered: every real one is under 200 bytes
/// (nginx's default limit is 8 KiB too).
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// The most header fields answered. actix-http's parser refuses more than
/// 96 itself (a fixed `MAX_HEADERS`) before any middleware runs; its empty
/// 431 is rewritten into the JSON shape on the way out (`http_io`). Below
/// its limit the refusal is ours, with the request's own id.
pub const MAX_HEADER_FIELDS: usize = 64;
/// The most bytes of header fields answered (names, values, `: ` and CRLF),
/// about nginx's default. actix-http refuses a head over 128 KiB itself (a
/// fixed `MAX_BUFFER_SIZE`; rewritten to JSON by `http_io`); below that the
/// refusal is ours.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses oversized request targets, heads and bodies with the JSON error
/// before anything reads the database; the guard's checks come after.
pub fn check_limits(head: &RequestHead) -> Result<(), ApiError> {
    let target = head.uri.path().len() + head.uri.query().map_or(0, str::len);
    if target > MAX_TARGET_BYTES {
        return Err(ApiError::UriTooLong { length: target, limit: MAX_TARGET_BYTES });
    }
    let fields = head.headers.iter().count();
    if fields > MAX_HEADER_FIELDS {
        return Err(ApiError::HeaderFieldsTooLarge { count: fields, what: "header fields", limit: MAX_HEADER_FIELDS });
    }
    let bytes: usize = head.headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if bytes > MAX_HEADER_BYTES {
        return Err(ApiError::HeaderFieldsTooLarge {
            count: bytes,
            what: "bytes of header fields",
            limit: MAX_HEADER_BYTES,
        });
    }
    if let Some(length) = declared_length(head).filter(|&n| n > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge { length, limit: MAX_BODY_BYTES });
    }
    Ok(())
}

/// What the guard admitted a request as, for the routes: one extension
/// rather than one per field.
#[derive(Debug, Clone)]
pub struct Admission {
    pub caller: Caller,
    pub limits: CheckedLimits,
}

/// Each tier's `RateLimit-Policy` field, for a request counted against its
/// request budget alone and for a generate call counted against both.
/// Fixed by the configuration, so made once rather than per request.
pub struct PolicyFields {
    by_tier: [[HeaderValue; 2]; 3],
}

impl PolicyFields {
    pub fn new(limits: &TierLimits) -> Self {
        let fields = |tier| {
            let (requests, generate) = limits.for_tier(tier);
            [policy_header(&[requests]), policy_header(&[requests, generate])]
                .map(|field| HeaderValue::from_str(&field).expect("policy fields are visible ASCII"))
        };
        PolicyFields { by_tier: [fields(Tier::Free), fields(Tier::Pro), fields(Tier::Enterprise)] }
    }

    fn get(&self, tier: Tier, counted: usize) -> &HeaderValue {
        let tier = match tier {
            Tier::Free => 0,
            Tier::Pro => 1,
            Tier::Enterprise => 2,
        };
        &self.by_tier[tier][counted.clamp(1, 2) - 1]
    }
}

thread_local! {
    /// Where each request's `RateLimit` field is written: the header value
    /// is then the one allocation.
    static LIMIT_FIELD: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A request the guard did not admit: the error to answer with, and the
/// budget it was counted against when that is what refused it.
pub struct Refusal {
    pub error: ApiError,
    pub counted: Option<(Tier, CheckedLimits)>,
}

impl Refusal {
    /// The error answer, with the rate-limit fields of the budget that refused it.
    pub fn response(self, state: &AppState) -> actix_web::HttpResponse {
        let mut response = actix_web::ResponseError::error_response(&self.error);
        if let Some((tier, limits)) = self.counted {
            put_fields(state, response.headers_mut(), tier, limits);
        }
        response
    }
}

/// Authenticates the request and counts it against the caller's request
/// budget.
pub async fn admit(state: &AppState, head: &RequestHead) -> Result<Admission, Refusal> {
    let refused = |error| Refusal { error, counted: None };
    let caller = authenticate(state, head).await.map_err(refused)?;
    let (requests, _) = state.config.limits.for_tier(caller.tier);
    let decision = state.limiter.check(caller.account_id.as_str(), requests).await.map_err(|e| refused(e.into()))?;
    let limits = CheckedLimits { requests: Some(decision), generate: None };
    if !decision.allowed {
        let error = refusal(state, requests, caller.tier, decision);
        return Err(Refusal { error, counted: Some((caller.tier, limits)) });
    }
    Ok(Admission { caller, limits })
}

/// Puts the `RateLimit-Policy` and `RateLimit` fields of every budget the
/// request was counted against on its answer.
pub fn put_fields(state: &AppState, headers: &mut HeaderMap, tier: Tier, limits: CheckedLimits) {
    let (policy, limit) = fields(state, tier, limits);
    headers.insert(RATELIMIT_POLICY, policy);
    if let Some(limit) = limit {
        headers.insert(RATELIMIT, limit);
    }
}

/// Around `/api/...`: [`admit`]s the request, and puts the rate-limit
/// fields of every budget it was counted against on the answer
/// ([`generate_budget`] adds the generate budget's on its route).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let admission = match admit(&state, req.head()).await {
        Ok(admission) => admission,
        Err(refusal) => return Ok(req.into_response(refusal.response(&state))),
    };
    let (tier, mut limits) = (admission.caller.tier, admission.limits);
    req.extensions_mut().insert(admission);
    let mut response = next.call(req).await?.map_into_boxed_body();
    // What the routes below counted as well (the generate budget).
    if let Some(admitted) = response.request().extensions().get::<Admission>() {
        limits = admitted.limits;
    }
    put_fields(&state, response.headers_mut(), tier, limits);
    Ok(response)
}

/// Around POST generate: counts the caller's generate budget as well,
/// after the request budget the guard counted; the guard puts both on the
/// answer.
pub async fn generate_budget(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = state_of(&req)?;
    let Some((tier, account)) =
        req.extensions().get::<Admission>().map(|a| (a.caller.tier, a.caller.account_id.clone()))
    else {
        return Ok(req.error_response(ApiError::Internal("generate outside the guard".into())));
    };
    let (_, generate) = state.config.limits.for_tier(tier);
    let decision = match state.limiter.check(account.as_str(), generate).await {
        Ok(d) => d,
        Err(e) => return Ok(req.error_response(ApiError::from(e))),
    };
    if let Some(admitted) = req.extensions_mut().get_mut::<Admission>() {
        admitted.limits.generate = Some(decision);
    }
    if !decision.allowed {
        return Ok(req.error_response(refusal(&state, generate, tier, decision)));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn state_of(req: &ServiceRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("application state missing"))
}

fn refusal(state: &AppState, policy: &Policy, tier: Tier, decision: Decision) -> ApiError {
    state.metrics.rate_limited.with_label_values(&[&policy.name, tier.as_str()]).inc();
    ApiError::RateLimited { policy: policy.name.clone(), retry_after: decision.reset_seconds.max(1) }
}

/// The `RateLimit-Policy` and `RateLimit` fields of the budgets counted.
fn fields(state: &AppState, tier: Tier, limits: CheckedLimits) -> (HeaderValue, Option<HeaderValue>) {
    let (requests, generate) = state.config.limits.for_tier(tier);
    let checked = [limits.requests.map(|d| (requests, d)), limits.generate.map(|d| (generate, d))];
    let policy = state.policy_fields.get(tier, checked.iter().flatten().count()).clone();
    let limit = LIMIT_FIELD.with(|field| {
        let mut field = field.borrow_mut();
        field.clear();
        push_limit_header(&mut field, checked.into_iter().flatten());
        HeaderValue::from_str(&field).ok()
    });
    (policy, limit)
}

fn declared_length(head: &RequestHead) -> Option<u64> {
    head.headers.get(actix_web::http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

async fn authenticate(state: &AppState, head: &RequestHead) -> Result<Caller, ApiError> {
    let credentials = presented::read(head)?;
    state.auth.authenticate(credentials).await
}
