//! What every handler shares. Nothing here is state another instance needs:
//! sessions, tokens, counters and limits live in Postgres; the caches are
//! told of every change through it.

use std::sync::Arc;

use crate::{
    auth::throttle::ReadLimiter, config::Config, db::Pool, downloads::Downloads, storage::Storage,
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
}
