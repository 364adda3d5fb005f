//! The mirror of an upstream registry (`UPSTREAM_URL`): a name that is not
//! hosted here is looked up upstream, kept in Postgres as an ordinary package
//! marked `mirrored_from`, and refreshed once older than `UPSTREAM_TTL_SECS`.
//! Tarballs are fetched on first download, checked against the upstream
//! checksum and stored content-addressed; from then on they are served from
//! here. No HTTP handlers in here: the API and pages call [`Mirror::resolve`]
//! before reading a package, and [`Mirror::ensure_tarball`] before serving one.
//!
//! When upstream fails, a stale copy is served (and upstream is left alone for
//! a short while); without a copy the caller gets a 502 or 504 saying so.

mod client;
mod error;
mod flight;
mod store;
mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::BoxFuture;
use prometheus::IntCounterVec;

pub use error::MirrorError;
pub use store::Held;

use crate::config::UpstreamConfig;
use crate::db::Pool;
use crate::domain::names::PackageName;
use crate::error::{AppError, AppResult};
use crate::registry::upstream::Upstream;
use crate::storage::Storage;

/// After an upstream failure, stale copies are served without asking again for this long.
const BACKOFF: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Mirror(Arc<Inner>);

struct Inner {
    client: client::Client,
    ttl: Duration,
    pool: Pool,
    storage: Storage,
    max_tarball: u64,
    /// `sema_pkg_mirror_events_total{event}`.
    events: IntCounterVec,
    metadata: flight::Flight,
    tarballs: flight::Flight,
    /// Names upstream said it does not have, for one TTL.
    absent: moka::sync::Cache<String, ()>,
    /// Names whose refresh failed recently: their stale copy is served at once.
    failing: moka::sync::Cache<String, ()>,
    /// Search queries already passed upstream, for one TTL.
    searched: moka::sync::Cache<String, ()>,
}

fn local(e: impl std::fmt::Display) -> MirrorError {
    MirrorError::Local(e.to_string())
}

impl Mirror {
    pub fn new(
        cfg: &UpstreamConfig,
        pool: Pool,
        storage: Storage,
        events: IntCounterVec,
        max_tarball: u64,
    ) -> anyhow::Result<Mirror> {
        let cache = |ttl| {
            moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build()
        };
        Ok(Mirror(Arc::new(Inner {
            client: client::Client::new(cfg)?,
            ttl: cfg.ttl,
            pool,
            storage,
            max_tarball,
            events,
            metadata: Default::default(),
            tarballs: Default::default(),
            absent: cache(cfg.ttl),
            failing: cache(BACKOFF.min(cfg.ttl)),
            searched: cache(cfg.ttl),
        })))
    }

    /// The upstream's base URL.
    pub fn url(&self) -> &str {
        &self.0.client.base
    }

    fn event(&self, what: &str) {
        self.0.events.with_label_values(&[what]).inc();
    }

    /// Makes sure what this registry holds under `name` is current: nothing to
    /// do for a local or claimed name or a fresh copy; otherwise the metadata
    /// is fetched (one request per name, however many callers ask at once).
    /// A name upstream lacks is left for the caller's own 404.
    pub async fn resolve(&self, name: &str) -> AppResult<()> {
        let Ok(parsed) = PackageName::parse(name) else {
            return Ok(());
        };
        let canonical = parsed.canonical.clone();
        let held = {
            let mut conn = self.0.pool.get().await?;
            store::held(&mut conn, &canonical).await?
        };
        let stale = match held {
            Held::Local | Held::Claimed => return Ok(()),
            Held::Mirrored(at) => {
                let age = (Utc::now() - at).to_std().unwrap_or_default();
                if age < self.0.ttl || self.0.failing.contains_key(&canonical) {
                    self.event(if age < self.0.ttl { "hit" } else { "stale" });
                    return Ok(());
                }
                true
            }
            Held::Nothing if self.0.absent.contains_key(&canonical) => return Ok(()),
            Held::Nothing => false,
        };
        let this = self.clone();
        let key = canonical.clone();
        let outcome = self
            .0
            .metadata
            .run(&canonical, async move { this.refresh(&key).await })
            .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(MirrorError::NotFound) if stale => {
                // Gone upstream: what was mirrored stays installable here.
                let mut conn = self.0.pool.get().await?;
                store::touch(&mut conn, &canonical).await
            }
            Err(MirrorError::NotFound) => {
                self.0.absent.insert(canonical, ());
                Ok(())
            }
            Err(e) if stale => {
                tracing::warn!(package = %parsed.name, error = %e, "upstream failed; serving the stale copy");
                self.0.failing.insert(canonical, ());
                self.event("stale");
                Ok(())
            }
            Err(e) => Err(self.to_app(e, &parsed.name)),
        }
    }

    /// Brings upstream's first hits for a search query into this registry, so
    /// one local search ranks local and mirrored packages by the same rules.
    /// Best effort: when upstream fails, search answers with what is held here.
    pub async fn discover(&self, q: &str) {
        let key = q.trim().to_lowercase();
        if key.is_empty() || key.len() > 200 || self.0.searched.contains_key(&key) {
            return;
        }
        let this = self.clone();
        let query = key.clone();
        let work = async move {
            let names = this.0.client.search(&query).await?;
            // Each name goes through `resolve`: local and claimed names are skipped.
            let each = names.iter().map(|n| this.resolve(n));
            for r in futures_util::future::join_all(each).await {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "mirroring a search hit");
                }
            }
            Ok(())
        };
        if let Err(e) = self.0.metadata.run(&format!("search {key}"), work).await {
            self.event("upstream_error");
            tracing::warn!(error = %e, "upstream search failed; answering with local results");
        }
        self.0.searched.insert(key, ());
    }

    /// Fetches upstream's metadata for `canonical` and saves it.
    async fn refresh(&self, canonical: &str) -> Result<(), MirrorError> {
        let fetched = async {
            let json = self.0.client.package(canonical).await?;
            wire::parse(json, canonical, self.0.max_tarball)
        }
        .await;
        let pkg = match fetched {
            Ok(p) => p,
            Err(MirrorError::NotFound) => return Err(MirrorError::NotFound),
            Err(e) => {
                self.event("upstream_error");
                return Err(e);
            }
        };
        let mut conn = self.0.pool.get().await.map_err(local)?;
        let saved = store::save(&mut conn, self.url(), &pkg)
            .await
            .map_err(local)?;
        self.event("fetch");
        for v in saved.map(|s| s.conflicts).unwrap_or_default() {
            // Published versions never change here; lockfiles made against us keep verifying.
            tracing::warn!(package = %pkg.name.name, version = %v, "upstream changed the checksum of a published version; keeping ours");
            self.event("upstream_changed");
        }
        Ok(())
    }

    /// Makes sure a mirrored version's tarball is in the blob store: fetched
    /// once (one download however many ask), hashed while streaming, compared
    /// with the checksum from upstream's metadata, and only then stored.
    pub async fn ensure_tarball(&self, name: &str, version: &str, checksum: &str) -> AppResult<()> {
        let this = self.clone();
        let (n, v, c) = (name.to_string(), version.to_string(), checksum.to_string());
        self.0
            .tarballs
            .run(
                checksum,
                async move { this.fetch_tarball(&n, &v, &c).await },
            )
            .await
            .map_err(|e| self.to_app(e, &format!("{name}@{version}")))
    }

    async fn fetch_tarball(
        &self,
        name: &str,
        version: &str,
        checksum: &str,
    ) -> Result<(), MirrorError> {
        // Another instance (or a local publish of the same bytes) may have stored it.
        if !self.0.storage.exists(checksum).await.map_err(local)? {
            let got = self
                .0
                .client
                .tarball(name, version, self.0.max_tarball)
                .await
                .inspect_err(|e| {
                    if !matches!(e, MirrorError::Local(_)) {
                        self.event("upstream_error");
                    }
                })?;
            if got.checksum != checksum {
                self.event("checksum_mismatch");
                return Err(MirrorError::Checksum(format!(
                    "the upstream registry {} served {name}@{version} with sha256 {}, but its metadata says {checksum}; refused, nothing was stored",
                    self.url(),
                    got.checksum
                )));
            }
            self.0
                .storage
                .put_file(checksum, &got.file)
                .await
                .map_err(local)?;
            self.event("tarball_fetch");
        }
        let mut conn = self.0.pool.get().await.map_err(local)?;
        store::mark_stored(&mut conn, checksum).await.map_err(local)
    }

    /// How long upstream took to answer a search, for `sema-pkg doctor`.
    pub async fn ping(&self) -> Result<Duration, MirrorError> {
        let start = Instant::now();
        self.0.client.ping().await?;
        Ok(start.elapsed())
    }

    fn to_app(&self, e: MirrorError, what: &str) -> AppError {
        let url = self.url();
        match e {
            MirrorError::NotFound => AppError::not_found(format!("{what} not found")),
            MirrorError::Timeout => AppError::GatewayTimeout(format!(
                "the upstream registry {url} did not answer in time, and this registry has no copy of {what}; try again later"
            )),
            MirrorError::Unreachable(m) => AppError::BadGateway(format!(
                "the upstream registry {url} is unreachable ({m}), and this registry has no copy of {what}"
            )),
            MirrorError::BadUpstream(m) => AppError::BadGateway(format!(
                "the upstream registry {url} gave an unusable answer for {what}: {m}"
            )),
            MirrorError::Checksum(m) => AppError::BadGateway(m),
            MirrorError::Local(m) => {
                tracing::error!(error = %m, "mirroring {what}");
                AppError::Unavailable(format!(
                    "this registry could not keep its copy of {what}; try again shortly"
                ))
            }
        }
    }
}

impl Upstream for Mirror {
    fn url(&self) -> &str {
        Mirror::url(self)
    }

    fn resolve<'a>(&'a self, name: &'a str) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(Mirror::resolve(self, name))
    }

    fn ensure_tarball<'a>(
        &'a self,
        name: &'a str,
        version: &'a str,
        checksum: &'a str,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(Mirror::ensure_tarball(self, name, version, checksum))
    }

    fn discover<'a>(&'a self, q: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(Mirror::discover(self, q))
    }

    fn ping(&self) -> BoxFuture<'_, Result<Duration, String>> {
        Box::pin(async move { Mirror::ping(self).await.map_err(|e| e.to_string()) })
    }
}
