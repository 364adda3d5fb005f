//! sema-pkg: the package registry for Sema. `main.rs` parses the command
//! line; everything else lives here so tests build the very same app.

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod downloads;
pub mod error;
pub mod health;
pub mod metrics;
pub mod registry;
pub mod routes;
pub mod seed;
pub mod state;
pub mod storage;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::{config::PersistentSession, SessionMiddleware};
use actix_web::{cookie::Key, dev::Service, middleware, App, HttpServer};
use sha2::{Digest, Sha512};

use crate::{auth::session_store::PgSessionStore, config::Config, state::AppState};

/// Connects to Postgres (creating the database and migrating it first) and the blob store.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    db::create_database_if_missing(&config.database_url).await?;
    db::migrate(&config.database_url).await?;
    connect(config)
}

/// Builds the shared state without touching the schema.
pub fn connect(config: Config) -> anyhow::Result<AppState> {
    let pool = db::pool(&config.database_url, config.database_max_connections)?;
    let storage = storage::Storage::new(&config.blob)?;
    let reads = Arc::new(auth::throttle::ReadLimiter::new(
        config.read_rate_per_second,
    ));
    let metrics = Arc::new(metrics::Metrics::new());
    let caches = Arc::new(cache::Caches::new(
        &metrics.cache_lookups,
        config.blob_cache_bytes,
    ));
    Ok(AppState {
        pool,
        storage,
        reads,
        metrics,
        caches,
        config: Arc::new(config),
        downloads: Default::default(),
    })
}

/// The HTTP server on `listener`, with background jobs (download flushes,
/// session sweeps) that finish with a last flush when the server stops.
pub fn server(
    state: AppState,
    listener: TcpListener,
    workers: usize,
) -> anyhow::Result<actix_web::dev::Server> {
    let key = Key::from(&Sha512::digest(&state.config.session_secret));
    let secure = state.config.secure_cookies();
    let data = actix_web::web::Data::new(state.clone());
    let static_dir = state.config.static_dir.clone();
    let prom = state.metrics.http();
    let in_flight = state.metrics.in_flight.clone();
    let caches = state.caches.clone();
    let server = HttpServer::new(move || {
        let in_flight = in_flight.clone();
        let caches = caches.clone();
        let sessions =
            SessionMiddleware::builder(PgSessionStore::new(data.pool.clone()), key.clone())
                .cookie_name("session".into())
                .cookie_http_only(true)
                .cookie_same_site(actix_web::cookie::SameSite::Lax)
                .cookie_secure(secure)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(actix_web::cookie::time::Duration::days(7)),
                )
                .build();
        App::new()
            .app_data(data.clone())
            .app_data(
                actix_web::web::QueryConfig::default().error_handler(|e, _| {
                    crate::error::extractor_error(
                        format!("invalid query string: {e}"),
                        actix_web::http::StatusCode::BAD_REQUEST,
                    )
                }),
            )
            .app_data(actix_web::web::PathConfig::default().error_handler(|e, _| {
                crate::error::AppError::not_found(format!("no such page ({e})")).into()
            }))
            .app_data(
                actix_web::web::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| {
                        crate::error::extractor_error(
                            format!("invalid form: {e}"),
                            actix_web::http::StatusCode::BAD_REQUEST,
                        )
                    }),
            )
            .wrap(sessions)
            // actix-session answers an opaque, empty 500 when its store fails. The
            // store is Postgres, so that is an outage: say 503 (JSON under /api) so
            // clients retry, like every other call while the database is away.
            .wrap_fn(|req, srv| {
                let api = req.path().starts_with("/api/");
                let call = actix_web::dev::Service::call(&srv, req);
                async move {
                    call.await.map_err(|e| {
                        let ours = e.as_error::<crate::error::AppError>().is_some();
                        if ours || e.as_response_error().status_code() != 500 {
                            e
                        } else if api {
                            crate::error::AppError::Unavailable(
                                "the database is unavailable; try again shortly".into(),
                            )
                            .into()
                        } else {
                            actix_web::error::ErrorServiceUnavailable(
                                "The service is unavailable; try again shortly.",
                            )
                        }
                    })
                }
            })
            .wrap(middleware::DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(middleware::Logger::new(
                "%{x-request-id}i %a \"%r\" %s %b %Dms",
            ))
            .wrap(prom.clone())
            .wrap_fn(move |mut req, srv| {
                let gauge = in_flight.clone();
                let caches = caches.clone();
                gauge.inc();
                // One id per request, in the log line and the response, so a report
                // can be matched to the logs (a proxy's own id is kept).
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| {
                        v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    })
                    .map(str::to_owned)
                    .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
                let value = actix_web::http::header::HeaderValue::from_str(&id)
                    .expect("checked characters");
                req.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("x-request-id"),
                    value.clone(),
                );
                // A write on this instance may change what the caches hold; they
                // are emptied once it is done, so its client reads its own write.
                let writes = !matches!(
                    *req.method(),
                    actix_web::http::Method::GET
                        | actix_web::http::Method::HEAD
                        | actix_web::http::Method::OPTIONS
                );
                let caches = writes.then(|| caches.clone());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await;
                    // A refused write changed nothing (its transaction rolled back).
                    let done = matches!(&res, Ok(r) if r.status().as_u16() < 400);
                    if let (Some(c), true) = (caches, done) {
                        c.clear();
                    }
                    gauge.dec();
                    if let Ok(r) = &mut res {
                        r.headers_mut().insert(
                            actix_web::http::header::HeaderName::from_static("x-request-id"),
                            value,
                        );
                    }
                    res
                }
            })
            .configure(|cfg| routes::configure(cfg, &static_dir))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    if state.config.package_cache {
        actix_web::rt::spawn(cache::listen(
            state.caches.clone(),
            state.config.database_url.clone(),
            state.metrics.cache_listening.clone(),
        ));
    }
    let flush_every = Duration::from_secs(state.config.download_flush_secs.max(1));
    let sweep_pool = state.pool.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(flush_every);
        let mut sweeps = 0u64;
        let mut flushed_at = std::time::Instant::now();
        let m = state.metrics.clone();
        loop {
            tick.tick().await;
            match state.downloads.flush(&state.pool).await {
                Ok(rows) => {
                    // New totals: this instance's answers change now, others' on NOTIFY.
                    if rows > 0 {
                        state.caches.clear();
                    }
                    m.download_flushes.inc();
                    m.download_rows.inc_by(rows as u64);
                    flushed_at = std::time::Instant::now();
                }
                Err(e) => tracing::warn!(error = %e, "flushing download counts"),
            }
            m.download_flush_lag.set(flushed_at.elapsed().as_secs_f64());
            m.observe_pool(&state.pool);
            sweeps += 1;
            state.reads.sweep();
            if sweeps % 720 == 1 {
                let _ = auth::session_store::sweep(&state.pool).await;
            }
        }
    });
    // 90-day counts age daily even without downloads: sweep on startup, then
    // whenever the day has changed (checked hourly).
    let pool = sweep_pool;
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(3600));
        let mut swept_on = None;
        loop {
            tick.tick().await;
            let today = chrono::Utc::now().date_naive();
            if swept_on == Some(today) {
                continue;
            }
            match downloads::sweep_recent(&pool).await {
                Ok(n) => {
                    tracing::info!(packages = ?n, "swept 90-day download counts");
                    swept_on = Some(today);
                }
                Err(e) => tracing::warn!(error = %e, "sweeping 90-day download counts"),
            }
        }
    });
    Ok(server)
}

/// `sema-pkg serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = format!("{}:{}", config.host, config.port);
    let state = prepare(config).await?;
    let listener = TcpListener::bind(&addr).map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
    tracing::info!(
        "serving on http://{addr} (BASE_URL {})",
        state.config.base_url
    );
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    server(state.clone(), listener, workers)?.await?;
    // Counts still in memory are written before exit.
    let flushed = state.downloads.flush(&state.pool).await;
    // Then the pool is closed, so Postgres sees each connection end cleanly
    // (a Terminate message) instead of a dropped socket at process exit.
    state.pool.close();
    flushed?;
    Ok(())
}
