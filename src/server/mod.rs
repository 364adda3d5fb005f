//! The HTTP server: the app (extractor settings, middleware, routes), the
//! background jobs, and `sema-pkg serve`. Each middleware is one file in
//! `middleware/`, listed here in the order a request meets them.

pub mod extractors;
pub mod jobs;
pub mod middleware;
pub mod session;

use std::net::TcpListener;

use actix_web::{App, HttpServer};

use crate::{config::Config, routes, state::AppState};

/// The HTTP server on `listener`, with the background jobs (download flushes,
/// sweeps) that finish with a last flush when the server stops.
pub fn run(
    state: AppState,
    listener: TcpListener,
    workers: usize,
) -> anyhow::Result<actix_web::dev::Server> {
    let key = session::key(&state.config);
    let data = actix_web::web::Data::new(state.clone());
    let static_dir = state.config.static_dir.clone();
    let prom = state.metrics.http();
    let server = HttpServer::new(move || {
        // `wrap` puts each layer outside the ones before it: the last one
        // listed is the first a request meets.
        App::new()
            .app_data(data.clone())
            .app_data(extractors::query())
            .app_data(extractors::path())
            .app_data(extractors::form())
            .wrap(actix_web::middleware::from_fn(
                crate::reads::remember_writes,
            ))
            // Inside the sessions middleware, which it reads.
            .wrap(actix_web::middleware::from_fn(crate::auth::access::guard))
            .wrap(session::middleware(&data, key.clone()))
            .wrap(actix_web::middleware::from_fn(
                middleware::store_outage::answer_503,
            ))
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff")),
            )
            .wrap(actix_web::middleware::Logger::new(
                "%{x-request-id}i %a \"%r\" %s %b %Dms",
            ))
            .wrap(prom.clone())
            // Outside the Prometheus middleware, which answers /metrics itself.
            .wrap(actix_web::middleware::from_fn(
                middleware::metrics_guard::guard,
            ))
            .wrap(actix_web::middleware::from_fn(
                middleware::write_clears_caches::clear_after_write,
            ))
            .wrap(actix_web::middleware::from_fn(
                middleware::errors::log_and_tag,
            ))
            .wrap(actix_web::middleware::from_fn(middleware::request_id::tag))
            .wrap(actix_web::middleware::from_fn(middleware::in_flight::count))
            .configure(|cfg| routes::configure(cfg, &static_dir))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    jobs::start(state);
    Ok(server)
}

/// `sema-pkg serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = format!("{}:{}", config.host, config.port);
    let state = crate::prepare(config).await?;
    let listener = TcpListener::bind(&addr).map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
    tracing::info!(
        "serving on http://{addr} (BASE_URL {})",
        state.config.base_url
    );
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    run(state.clone(), listener, workers)?.await?;
    // Counts still in memory are written before exit.
    let flushed = state.downloads.flush(&state.pool).await;
    // Then the pool is closed, so Postgres sees each connection end cleanly
    // (a Terminate message) instead of a dropped socket at process exit.
    state.pool.close();
    flushed?;
    Ok(())
}
