//! The service's own endpoints: its description, metrics and probes.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::openapi::ApiDescription;
use crate::state::AppState;

pub async fn openapi(description: web::Data<ApiDescription>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(description.json.clone())
}

/// `/` is where a person lands first: send them to the documentation.
pub async fn root() -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", "/docs")).finish()
}

pub async fn docs(description: web::Data<ApiDescription>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(description.html.clone())
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut text = state.metrics.render();
    for registry in &state.extra_registries {
        use prometheus::Encoder;
        let mut out = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&registry.gather(), &mut out);
        text.push_str(&String::from_utf8_lossy(&out));
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
}

/// Alive: the process answers. Nothing external is checked, so a database
/// outage does not get every replica restarted.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready for traffic: the database answers and the queue has been reached.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.run(|conn| insider_bulk_core::db::jobs::open_count(conn).map(drop)).await.is_ok();
    let queue = state.queue_stats.reachable();
    let body = json!({"database": database, "queue": queue});
    if database && queue {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
