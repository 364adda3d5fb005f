//! What every handler shares. Nothing here is state another instance needs:
//! sessions, tokens, counters and limits live in Postgres; the caches are
//! told of every change through it.

use std::sync::Arc;

use crate::{
    config::Config, db::Pool, downloads::Downloads, read_limiter::ReadLimiter, storage::Storage,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub storage: Storage,
    pub downloads: Downloads,
    /// Per-instance read limits (writes are limited in Postgres, shared).
    pub reads: Arc<ReadLimiter>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Rendered package answers, invalidated through Postgres NOTIFY.
    pub caches: Arc<crate::cache::Caches>,
    /// The read replica and its routing, when `DATABASE_READ_URL` is set.
    pub replica: Option<Arc<crate::db::reads::Routing>>,
    /// The upstream registry's mirror, when `UPSTREAM_URL` is set.
    pub mirror: Option<Arc<dyn crate::registry::upstream::Upstream>>,
}

impl AppState {
    /// Brings `name` from upstream when it is mirrored (or not held here at all).
    pub async fn resolve(&self, name: &str) -> crate::error::AppResult<()> {
        match &self.mirror {
            Some(m) => m.resolve(name).await,
            None => Ok(()),
        }
    }
}
