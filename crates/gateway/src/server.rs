//! Puts the gateway together: state, HTTP server, and the dispatcher it hosts.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_http::error::DispatchError;
use actix_http::{HttpService, KeepAlive};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Service, ServiceRequest};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use insider_bulk_core::bundle_store::BundleStore;
use insider_bulk_core::db::Database;
use insider_bulk_core::dispatch::{Dispatcher, QueueStats};
use insider_bulk_core::queue::AnyQueue;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};

use crate::auth::jwt::JwtVerifier;
use crate::auth::Authenticator;
use crate::config::GatewayConfig;
use crate::error::ApiError;
use crate::http_io::{self, JsonErrors};
use crate::metrics::Metrics;
use crate::openapi::ApiDescription;
use crate::rate_limit::RateLimiter;
use crate::service::index::IndexCache;
use crate::service::signed_url::UrlSigner;
use crate::state::AppState;

/// Builds the shared state; fails clearly on bad JWT keys or an
/// unreachable rate-limit Redis.
pub async fn state(
    config: GatewayConfig,
    db: Database,
    store: BundleStore,
    shared: &insider_bulk_core::config::Config,
    extra_registries: Vec<prometheus::Registry>,
) -> anyhow::Result<AppState> {
    let jwt = JwtVerifier::new(&config.jwt)?;
    let limiter = match &config.rate_limit_redis_url {
        Some(url) => RateLimiter::redis(url, "insider-bulk:ratelimit").await?,
        None => RateLimiter::memory(),
    };
    let url_signer = UrlSigner::load_or_create(config.download_url_secret.as_deref(), &shared.data_dir)
        .map_err(|e| anyhow::anyhow!("the download URL key in {}: {e}", shared.data_dir.display()))?;
    Ok(AppState {
        url_signer,
        auth: Authenticator::new(db.clone(), jwt, config.auth_cache),
        policy_fields: Arc::new(crate::guard::PolicyFields::new(&config.limits)),
        db,
        store,
        config: Arc::new(config),
        signed_url_validity: shared.download_url_validity,
        redispatch_after: shared.job_redispatch_after,
        limiter,
        metrics: Arc::new(Metrics::new()),
        extra_registries,
        relay_wake: Arc::new(Notify::new()),
        dispatch: shared.dispatch.clone(),
        queue_stats: Arc::new(QueueStats::default()),
        index_cache: Arc::new(IndexCache::default()),
        meter: Arc::default(),
    })
}

/// The dispatcher this gateway hosts: it shares the gateway's metrics,
/// the wake its generate calls ring, and the queue statistics its
/// estimates and readiness read.
pub fn dispatcher(state: &AppState, queue: AnyQueue) -> Dispatcher {
    Dispatcher::with_parts(
        state.db.clone(),
        queue,
        state.metrics.dispatch.clone(),
        state.relay_wake.clone(),
        state.queue_stats.clone(),
        state.dispatch.clone(),
    )
}

/// Starts the dispatcher's relay, sweeper and monitor; they stop when
/// `shutdown` turns true.
pub fn spawn_background(state: &AppState, queue: AnyQueue, shutdown: watch::Receiver<bool>) {
    let tasks = dispatcher(state, queue).spawn(shutdown.clone());
    tokio::spawn(tasks.join_all());
    tokio::spawn(settle_metered_calls(state.clone(), shutdown));
}

/// Settles the metered index charges every `METER_FLUSH_MILLIS`, and once
/// more on the way out.
async fn settle_metered_calls(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(state.config.meter_flush) => false,
            _ = shutdown.changed() => true,
        };
        match state.meter.settle(&state.db, None).await {
            Ok(shortfall) => state.metrics.metered_shortfall.inc_by(u64::try_from(shortfall).unwrap_or(0)),
            Err(e) => tracing::warn!(error = %e, "cannot settle metered charges; they stay owed for the next attempt"),
        }
        if stopping || *shutdown.borrow() {
            return;
        }
    }
}

/// The HTTP server on `listener`. SIGTERM stops it gracefully (the requests
/// in flight finish, for up to 30 s); SIGINT and SIGQUIT stop it at once;
/// actix-server's own signal handling, as under actix-web's `HttpServer`.
///
/// Put together as `HttpServer::listen` does (the same timeouts, and
/// connections drained on a graceful stop), except that each connection's
/// stream is a [`JsonErrors`]: the answers actix-http's parser gives by
/// itself, with an empty body, come out in the API's JSON error shape.
pub fn http(state: AppState, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let workers = state.config.workers;
    let addr = listener.local_addr()?;
    let description = web::Data::new(ApiDescription::new());
    let state = web::Data::new(state);
    let builder = actix_server::Server::build().workers(workers).shutdown_timeout(30);
    let draining = builder.graceful_shutdown_signal();
    let server = builder
        .listen(format!("insider-bulk-http-{addr}"), listener, move || {
            let state = state.clone();
            let description = description.clone();
            let draining = draining.clone();
            let app = App::new()
                .app_data(state)
                .app_data(description)
                .app_data(
                    web::PathConfig::default().error_handler(|e, _| ApiError::invalid("path", e.to_string()).into()),
                )
                .app_data(web::PayloadConfig::new(crate::guard::MAX_BODY_BYTES as usize))
                .configure(crate::routes::configure)
                .default_service(web::to(|| async { Err::<(), _>(ApiError::NotFound("no such endpoint".into())) }))
                .wrap(from_fn(crate::front::middleware))
                .wrap_fn(move |req, srv| srv.call(with_host(req, addr)));
            let http = HttpService::build()
                .keep_alive(KeepAlive::default())
                .client_request_timeout(http_io::REQUEST_HEAD_TIMEOUT)
                .client_disconnect_timeout(Duration::from_secs(1))
                .graceful_shutdown_signal(move || {
                    let draining = draining.clone();
                    async move { draining.notified().await }
                })
                .local_addr(addr)
                .h1(map_config(app.into_factory().map_err(|e| e.error_response()), |_| AppConfig::default()));
            fn_service(|io: TcpStream| async move {
                // A response's head and body may leave in two writes: without
                // this, Nagle holds the second for the client's delayed ACK.
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                Ok::<_, DispatchError>((JsonErrors::new(io, peer), peer))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

/// A request without a Host header (HTTP/1.0: the parser refuses HTTP/1.1
/// without one) and without an absolute target gets the listener's address
/// as its host, as `HttpServer`'s `AppConfig` gave it; `AppConfig::default()`,
/// the only one a server built outside actix-web can make, says
/// `localhost:8080`. Download URLs in the index start with the host.
fn with_host(mut req: ServiceRequest, addr: SocketAddr) -> ServiceRequest {
    if req.uri().authority().is_none() && !req.headers().contains_key(header::HOST) {
        if let Ok(host) = header::HeaderValue::from_str(&addr.to_string()) {
            req.headers_mut().insert(header::HOST, host);
        }
    }
    req
}
