//! Per-instance memory of the install path's hottest answers (a package's
//! metadata JSON, its anonymous page, a version's tarball address, small
//! tarballs themselves), so a hit costs no query and no blob-store read.
//!
//! Correct across instances through Postgres: triggers NOTIFY `package_changed`
//! with a package id whenever anything these answers show changes (migration
//! 000006), and every instance LISTENs and drops that package's entries. A
//! write on this instance empties the caches itself, so a client reads its own
//! writes without waiting for the notification. While the listener is not
//! connected nothing is served from memory, since a change could be missed.
//! Entries also expire after a minute: pages show relative times.
//!
//! With a read replica, an answer computed just after a change may come from
//! a replica that has not replayed it yet; so for the replica's lag window
//! after a package changes, its answers are served but not kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use prometheus::{IntCounter, IntCounterVec, IntGauge};

pub const CHANNEL: &str = "package_changed";
const TTL: Duration = Duration::from_secs(60);
/// Entries per shelf; a full shelf drops what has expired, else everything.
const CAPACITY: usize = 10_000;

/// A rendered answer: its bytes and a strong validator for `If-None-Match`.
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
}

impl Rendered {
    pub fn new(body: impl Into<Bytes>) -> Rendered {
        use sha2::Digest;
        let body = body.into();
        let etag = hex::encode(&sha2::Sha256::digest(&body)[..16]);
        Rendered { body, etag }
    }
}

/// Where a version's tarball is, for downloads.
pub struct VersionFile {
    pub version_id: i64,
    pub checksum: String,
    pub size_bytes: i64,
    pub file_name: String,
    /// A mirrored version whose tarball is not stored yet: its package and
    /// version as upstream names them.
    pub upstream: Option<(String, String)>,
}

struct Entry<V> {
    package_id: i64,
    at: Instant,
    value: Arc<V>,
}

struct Inner<V> {
    /// Bumped by every invalidation: a value computed before one is not stored.
    epoch: u64,
    map: HashMap<String, Entry<V>>,
    /// When each package last changed, kept for the settle window.
    changed: HashMap<i64, Instant>,
    /// When everything last changed (a `*` notification).
    all_changed: Option<Instant>,
}

/// One kind of answer, keyed by what the request named.
pub struct Shelf<V> {
    enabled: Arc<AtomicBool>,
    /// Milliseconds after a change during which nothing read is kept (0 without a replica).
    settle_ms: Arc<AtomicU64>,
    inner: Mutex<Inner<V>>,
    hits: IntCounter,
    misses: IntCounter,
}

/// Taken before computing a value; `Shelf::put` stores the value only if no
/// invalidation happened in between.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl<V> Shelf<V> {
    fn new(
        enabled: Arc<AtomicBool>,
        settle_ms: Arc<AtomicU64>,
        lookups: &IntCounterVec,
        name: &str,
    ) -> Shelf<V> {
        Shelf {
            enabled,
            settle_ms,
            hits: lookups.with_label_values(&[name, "hit"]),
            misses: lookups.with_label_values(&[name, "miss"]),
            inner: Mutex::new(Inner {
                epoch: 0,
                map: HashMap::new(),
                changed: HashMap::new(),
                all_changed: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let found = {
            let inner = self.lock();
            inner
                .map
                .get(key)
                .filter(|e| e.at.elapsed() < TTL)
                .map(|e| e.value.clone())
        };
        match found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        }
        found
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().epoch)
    }

    /// Stores `value` unless the caches were invalidated since `ticket`;
    /// returns it either way.
    pub fn put(&self, key: String, ticket: Ticket, package_id: i64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut inner = self.lock();
        let settle = Duration::from_millis(self.settle_ms.load(Ordering::Acquire));
        let settled = |at: Option<&Instant>| at.is_none_or(|t| t.elapsed() >= settle);
        let settled =
            settled(inner.all_changed.as_ref()) && settled(inner.changed.get(&package_id));
        if inner.epoch == ticket.0 && self.enabled.load(Ordering::Acquire) && settled {
            if inner.map.len() >= CAPACITY {
                inner.map.retain(|_, e| e.at.elapsed() < TTL);
                if inner.map.len() >= CAPACITY {
                    inner.map.clear();
                }
            }
            inner.map.insert(
                key,
                Entry {
                    package_id,
                    at: Instant::now(),
                    value: value.clone(),
                },
            );
        }
        value
    }

    fn drop_package(&self, id: i64) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.map.retain(|_, e| e.package_id != id);
        if self.settle_ms.load(Ordering::Acquire) > 0 {
            let settle = Duration::from_millis(self.settle_ms.load(Ordering::Acquire));
            if inner.changed.len() >= CAPACITY {
                inner.changed.retain(|_, t| t.elapsed() < settle);
            }
            inner.changed.insert(id, Instant::now());
        }
    }

    fn drop_all(&self) {
        self.clear();
        self.lock().all_changed = Some(Instant::now());
    }

    fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.map.clear();
    }
}

/// The instance's caches, shared by every worker.
pub struct Caches {
    enabled: Arc<AtomicBool>,
    settle_ms: Arc<AtomicU64>,
    /// `GET /api/v1/packages/{name}`, keyed by the name as requested.
    pub metadata: Shelf<Rendered>,
    /// Package pages for visitors without a session, keyed by path and htmx.
    pub pages: Shelf<Rendered>,
    /// `{name}/{version}` → its tarball, for downloads.
    pub files: Shelf<VersionFile>,
    /// Tarball bytes by checksum. Content-addressed blobs never change, so
    /// this needs no invalidation; it is bounded by bytes.
    pub tarballs: Tarballs,
}

/// Small tarballs in memory, evicted by size and frequency (moka's TinyLFU).
pub struct Tarballs {
    cache: Option<moka::sync::Cache<String, Bytes>>,
    hits: IntCounter,
    misses: IntCounter,
}

impl Tarballs {
    /// Larger tarballs are streamed from the store.
    pub const MAX_ONE: i64 = 1024 * 1024;

    pub fn get(&self, checksum: &str) -> Option<Bytes> {
        let found = self.cache.as_ref()?.get(checksum);
        match found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        }
        found
    }

    /// Whether a tarball of this size should be kept.
    pub fn wants(&self, size: i64) -> bool {
        self.cache.is_some() && size <= Self::MAX_ONE
    }

    pub fn put(&self, checksum: &str, bytes: Bytes) {
        if let Some(c) = &self.cache {
            c.insert(checksum.to_owned(), bytes);
        }
    }
}

impl Caches {
    /// Off until the listener connects (tarballs: from the start); `lookups`
    /// counts hits and misses.
    pub fn new(lookups: &IntCounterVec, tarball_bytes: u64) -> Caches {
        let enabled = Arc::new(AtomicBool::new(false));
        let tarballs = Tarballs {
            cache: (tarball_bytes > 0).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(tarball_bytes)
                    .weigher(|_: &String, b: &Bytes| u32::try_from(b.len()).unwrap_or(u32::MAX))
                    .build()
            }),
            hits: lookups.with_label_values(&["tarballs", "hit"]),
            misses: lookups.with_label_values(&["tarballs", "miss"]),
        };
        let settle_ms = Arc::new(AtomicU64::new(0));
        Caches {
            tarballs,
            metadata: Shelf::new(enabled.clone(), settle_ms.clone(), lookups, "metadata"),
            pages: Shelf::new(enabled.clone(), settle_ms.clone(), lookups, "pages"),
            files: Shelf::new(enabled.clone(), settle_ms.clone(), lookups, "files"),
            enabled,
            settle_ms,
        }
    }

    /// With a read replica: how long a changed package's answers are not kept.
    pub fn settle_for(&self, window: Duration) {
        self.settle_ms
            .store(window.as_millis() as u64, Ordering::Release);
    }

    /// Drops every entry (a write on this instance, a bulk change, a reconnect).
    pub fn clear(&self) {
        self.metadata.clear();
        self.pages.clear();
        self.files.clear();
    }

    /// Applies one `package_changed` payload: a package id, or `*`.
    pub fn apply(&self, payload: &str) {
        match payload.parse::<i64>() {
            Ok(id) => {
                self.metadata.drop_package(id);
                self.pages.drop_package(id);
                self.files.drop_package(id);
            }
            Err(_) => {
                self.metadata.drop_all();
                self.pages.drop_all();
                self.files.drop_all();
            }
        }
    }

    fn set_enabled(&self, on: bool) {
        // Emptied both ways: what was cached while deaf may be stale.
        self.clear();
        self.enabled.store(on, Ordering::Release);
        self.clear();
    }
}

/// Keeps a LISTEN connection open for as long as the process runs, applying
/// notifications; caching is on only while it is connected.
pub async fn listen(caches: Arc<Caches>, database_url: String, listening: IntGauge) {
    loop {
        match crate::db::tls::listen(&database_url, CHANNEL).await {
            Ok((client, mut changes)) => {
                caches.set_enabled(true);
                listening.set(1);
                while let Some(payload) = changes.recv().await {
                    caches.apply(&payload);
                }
                listening.set(0);
                caches.set_enabled(false);
                drop(client);
                tracing::warn!("lost the package-change listener; caching paused");
            }
            Err(e) => tracing::warn!(error = %e, "connecting the package-change listener"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caches() -> Caches {
        let lookups = IntCounterVec::new(prometheus::Opts::new("t", "t"), &["shelf", "result"])
            .expect("valid metric");
        let c = Caches::new(&lookups, 1024);
        c.set_enabled(true);
        c
    }

    #[test]
    fn a_value_computed_across_an_invalidation_is_not_kept() {
        let c = caches();
        let ticket = c.metadata.ticket();
        // Another instance's change arrives while the value is being computed.
        c.apply("7");
        c.metadata
            .put("json".into(), ticket, 7, Rendered::new("stale"));
        assert!(c.metadata.get("json").is_none());
        let ticket = c.metadata.ticket();
        c.metadata
            .put("json".into(), ticket, 7, Rendered::new("fresh"));
        assert_eq!(&c.metadata.get("json").expect("kept").body[..], b"fresh");
    }

    #[test]
    fn a_change_drops_that_package_everywhere_and_star_drops_all() {
        let c = caches();
        for (key, id) in [("a", 1), ("b", 2)] {
            let t = c.metadata.ticket();
            c.metadata.put(key.into(), t, id, Rendered::new(key));
            let t = c.pages.ticket();
            c.pages.put(key.into(), t, id, Rendered::new(key));
        }
        c.apply("1");
        assert!(c.metadata.get("a").is_none() && c.pages.get("a").is_none());
        assert!(c.metadata.get("b").is_some() && c.pages.get("b").is_some());
        c.apply("*");
        assert!(c.metadata.get("b").is_none() && c.pages.get("b").is_none());
    }

    #[test]
    fn nothing_is_served_or_kept_while_the_listener_is_away() {
        let c = caches();
        let t = c.metadata.ticket();
        c.metadata.put("a".into(), t, 1, Rendered::new("a"));
        c.set_enabled(false);
        assert!(c.metadata.get("a").is_none());
        let t = c.metadata.ticket();
        c.metadata.put("a".into(), t, 1, Rendered::new("a"));
        // Turned back on without the reconnect's emptying: nothing was kept.
        c.enabled.store(true, Ordering::Release);
        assert!(c.metadata.get("a").is_none());
    }

    #[test]
    fn with_a_replica_a_changed_package_is_not_kept_until_it_settles() {
        let c = caches();
        c.settle_for(Duration::from_millis(200));
        c.apply("7");
        let t = c.metadata.ticket();
        // Read after the change, perhaps from a replica that lacks it: served, not kept.
        c.metadata
            .put("a".into(), t, 7, Rendered::new("maybe stale"));
        assert!(c.metadata.get("a").is_none());
        // Other packages are unaffected.
        c.metadata.put("b".into(), t, 8, Rendered::new("b"));
        assert!(c.metadata.get("b").is_some());
        std::thread::sleep(Duration::from_millis(250));
        let t = c.metadata.ticket();
        c.metadata.put("a".into(), t, 7, Rendered::new("settled"));
        assert_eq!(&c.metadata.get("a").expect("kept").body[..], b"settled");
        c.apply("*");
        let t = c.metadata.ticket();
        c.metadata.put("b".into(), t, 8, Rendered::new("b"));
        assert!(c.metadata.get("b").is_none());
    }

    #[test]
    fn tarballs_are_bounded_by_bytes_and_size() {
        let c = caches();
        assert!(c.tarballs.wants(Tarballs::MAX_ONE) && !c.tarballs.wants(Tarballs::MAX_ONE + 1));
        c.tarballs.put("abc", Bytes::from_static(b"tgz"));
        assert_eq!(&c.tarballs.get("abc").expect("kept")[..], b"tgz");
    }
}
