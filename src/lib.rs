//! sema-pkg: the package registry for Sema. `main.rs` only calls `cli::main`;
//! everything lives here so tests build the very same app. The layers are
//! described in README.md ("Architecture").

pub mod analysis;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod downloads;
pub mod error;
pub mod health;
pub mod metrics;
pub mod mirror;
pub mod pages;
pub mod progress;
pub mod read_limiter;
pub mod reads;
pub mod registry;
pub mod routes;
pub mod server;
pub mod state;
pub mod storage;
pub mod usecase;
pub mod webhooks;

use std::sync::Arc;

use crate::{config::Config, state::AppState};

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
    let reads = Arc::new(read_limiter::ReadLimiter::new(config.read_rate_per_second));
    let metrics = Arc::new(metrics::Metrics::new());
    let caches = Arc::new(cache::Caches::new(
        &metrics.cache_lookups,
        config.blob_cache_bytes,
    ));
    let replica = match &config.replica {
        Some(r) => {
            let replica =
                db::replica::Replica::new(r, config.database_max_connections, &metrics.registry)?;
            caches.settle_for(replica.window());
            Some(Arc::new(db::reads::Routing::new(
                replica,
                &config.session_secret,
            )))
        }
        None => None,
    };
    let mirror = match &config.upstream {
        Some(up) => Some(Arc::new(mirror::Mirror::new(
            up,
            pool.clone(),
            storage.clone(),
            metrics.mirror_events.clone(),
            config.max_tarball_bytes,
        )?) as Arc<dyn registry::upstream::Upstream>),
        None => None,
    };
    Ok(AppState {
        mirror,
        replica,
        pool,
        storage,
        reads,
        metrics,
        caches,
        config: Arc::new(config),
        downloads: Default::default(),
    })
}
