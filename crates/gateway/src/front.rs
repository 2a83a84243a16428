//! The one middleware around every request: its id, the request
//! shapes no real client sends ([`guard::check_limits`]), and its count and
//! time in the metrics. One layer rather than three: each `from_fn` layer
//! costs a boxed future and a re-boxed body per request.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;
// foldhash, not SipHash: two lookups per request, in maps of at most
// ROUTE_LABELS_KEPT entries that are cleared when full.
use foldhash::HashMap;
use prometheus::{Histogram, IntCounter};

use crate::metrics::Metrics;
use crate::state::AppState;
use crate::{guard, request_id};

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_id::of_request(req.headers());
    // Errors are rendered inside the scope, so that their body carries the id.
    request_id::scope(id.clone(), async move {
        let started = Instant::now();
        let route = route_label(&req);
        let method = req.method().clone();
        let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
        let answered = match guard::check_limits(req.head()) {
            Err(e) => Ok(req.error_response(e)),
            Ok(()) => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        };
        let (status, answered) = match answered {
            Ok(mut response) => {
                response.headers_mut().insert(request_id::HEADER, id);
                (response.status(), Ok(response))
            }
            Err(e) => {
                let mut response = e.error_response();
                response.headers_mut().insert(request_id::HEADER, id);
                (response.status(), Err(InternalError::from_response(e.to_string(), response).into()))
            }
        };
        if let Some(metrics) = metrics {
            observe(&metrics, &route, &method, status, started);
        }
        answered
    })
    .await
}

/// Paths seen lately and their route patterns, and each (route, method,
/// status)'s counter and histogram, per worker thread. Finding a path's
/// pattern (`match_pattern`) walks the routes again, a pattern with a
/// `{parameter}` by regex, and a labelled metric is found by hashing its
/// label values under a lock: the profile counted both on every request.
/// Bounded: paths are the client's to choose.
const ROUTE_LABELS_KEPT: usize = 1024;

type ObserverKey = (Arc<str>, actix_web::http::Method, StatusCode);
/// The `Metrics` the handles belong to (its address), and the handles.
type Observers = (usize, HashMap<ObserverKey, (IntCounter, Histogram)>);

thread_local! {
    static ROUTE_LABELS: RefCell<HashMap<String, Arc<str>>> = Default::default();
    /// Keyed by the `Metrics` they belong to as well: a worker thread
    /// serves one server, but tests start several in one process.
    static OBSERVERS: RefCell<Observers> = Default::default();
}

fn route_label(req: &ServiceRequest) -> Arc<str> {
    ROUTE_LABELS.with(|labels| {
        let mut labels = labels.borrow_mut();
        if let Some(route) = labels.get(req.path()) {
            return route.clone();
        }
        let pattern = req.match_pattern();
        let route: Arc<str> = pattern.as_deref().map_or("unmatched", crate::routes::route_label).into();
        if labels.len() >= ROUTE_LABELS_KEPT {
            labels.clear();
        }
        labels.insert(req.path().to_owned(), route.clone());
        route
    })
}

/// Counts an answered request and its time under its route, method and status.
pub(crate) fn observe(
    metrics: &Metrics,
    route: &Arc<str>,
    method: &actix_web::http::Method,
    status: StatusCode,
    started: Instant,
) {
    let (count, time) = observers(metrics, route, method, status);
    count.inc();
    time.observe(started.elapsed().as_secs_f64());
    // The route's template, never the request's own path and query, which
    // may carry a key.
    tracing::debug!(target: "insider_bulk_gateway::access", %method, route = &**route, status = status.as_u16(), "answered");
}

/// The request counter and latency histogram of a (route, method, status).
fn observers(
    metrics: &Metrics,
    route: &Arc<str>,
    method: &actix_web::http::Method,
    status: StatusCode,
) -> (IntCounter, Histogram) {
    OBSERVERS.with(|observers| {
        let (owner, observers) = &mut *observers.borrow_mut();
        let this = metrics as *const Metrics as usize;
        if *owner != this {
            observers.clear();
            *owner = this;
        }
        let key = (route.clone(), method.clone(), status);
        if let Some(found) = observers.get(&key) {
            return found.clone();
        }
        let found = (
            metrics.requests.with_label_values(&[route, method.as_str(), status.as_str()]),
            metrics.latency.with_label_values(&[route, method.as_str()]),
        );
        if observers.len() >= ROUTE_LABELS_KEPT {
            observers.clear();
        }
        observers.insert(key, found.clone());
        found
    })
}
