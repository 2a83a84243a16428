//! The watcher's operations port: `/metrics` for Prometheus, `/healthz`
//! (the process is alive) and `/readyz` (the database answers). A replica
//! standing by for the lock is ready: it is doing what it should.

use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use insider_bulk_core::db::Database;

use super::metrics::WatchMetrics;

struct State {
    metrics: Arc<WatchMetrics>,
    db: Database,
}

/// Serves on an already bound listener (bound at start-up, so a taken port
/// fails fast; tests bind port 0) and returns the running server.
pub fn serve(
    listener: std::net::TcpListener,
    metrics: Arc<WatchMetrics>,
    db: Database,
) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(State { metrics, db });
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(metrics_text))
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().body("ok\n") }))
            .route("/readyz", web::get().to(ready))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

async fn metrics_text(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}

async fn ready(state: web::Data<State>) -> HttpResponse {
    let database = state.db.run(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1").execute(conn).map(drop).map_err(Into::into)
    });
    match database.await {
        Ok(()) => HttpResponse::Ok().body("ready\n"),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("database: {e}\n")),
    }
}
