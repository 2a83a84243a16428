//! A request id for every request: taken from a well-formed `X-Request-Id`
//! or made up, echoed in the response header and in every error body, and
//! visible to code deep in the call (errors) through a task-local.
//!
//! The id is kept as the header value itself: the echo and the task-local
//! share one buffer, where a `String` per use cost three allocations a
//! request.

use std::future::Future;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: HeaderValue;
}

/// The current request's id ("unknown" outside a request).
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.to_str().map(str::to_owned))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| "unknown".into())
}

/// Runs `work` as the request `id`: [`current`] answers `id` inside it.
pub fn scope<F: Future>(id: HeaderValue, work: F) -> impl Future<Output = F::Output> {
    REQUEST_ID.scope(id, work)
}

/// The client's `X-Request-Id` when it is one we can echo safely, else a new one.
pub fn of_request(headers: &HeaderMap) -> HeaderValue {
    headers.get(&HEADER).filter(|v| v.to_str().is_ok_and(acceptable)).cloned().unwrap_or_else(new_id)
}

/// A random (version 4) UUID in its 32-digit form, drawn from the thread's
/// CSPRNG (`rand::rng()`, seeded from the OS) rather than from a
/// `getrandom` system call per request as `Uuid::new_v4` does.
pub fn new_id() -> HeaderValue {
    use rand::Rng;
    let id = uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid();
    let mut digits = [0u8; uuid::fmt::Simple::LENGTH];
    id.simple().encode_lower(&mut digits);
    // One allocation, shared by the echo and the task-local: a value made
    // by copying (`from_str`) allocates again on its first clone.
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(digits)).expect("hex digits are a valid header value")
}

fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_client_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("client-id_0123"));
        assert_eq!(of_request(&headers), "client-id_0123");
        for odd in ["short", "has space in it", "semi;colon-0123"] {
            headers.insert(HEADER, HeaderValue::from_str(odd).unwrap());
            let id = of_request(&headers);
            assert_ne!(id, odd);
            assert_eq!(id.len(), 32, "{id:?}");
        }
        headers.clear();
        let (a, b) = (of_request(&headers), of_request(&headers));
        assert!(a.to_str().unwrap().bytes().all(|c| c.is_ascii_hexdigit()) && a != b, "{a:?} {b:?}");
    }

    #[tokio::test]
    async fn current_is_the_scope_s_id() {
        assert_eq!(current(), "unknown");
        let id = new_id();
        let expected = id.to_str().unwrap().to_owned();
        assert_eq!(scope(id, async { current() }).await, expected);
    }
}
