//! Prometheus metrics at `/metrics`: requests by route pattern and status with
//! a latency histogram (actix-web-prom), plus in-flight requests, pool
//! occupancy, download flushes, publish outcomes, cache hits, webhook deliveries and webhooks by state.

use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

pub struct Metrics {
    pub registry: Registry,
    pub in_flight: IntGauge,
    pub pool_size: IntGauge,
    pub pool_available: IntGauge,
    pub pool_waiting: IntGauge,
    pub download_flushes: IntCounter,
    pub download_rows: IntCounter,
    /// Seconds since the last successful flush of download counts.
    pub download_flush_lag: Gauge,
    pub publishes: IntCounterVec,
    /// Cache lookups by shelf and result (hit, miss).
    pub cache_lookups: IntCounterVec,
    /// 1 while the package-change listener is connected (caching is on).
    pub cache_listening: IntGauge,
    /// Mirror events: hit (fresh copy), fetch (metadata from upstream), stale
    /// (upstream failed, old copy served), upstream_error, tarball_fetch,
    /// checksum_mismatch, upstream_changed.
    pub mirror_events: IntCounterVec,
    /// Webhook delivery attempts by outcome: delivered, retrying, failed.
    pub webhook_deliveries: IntCounterVec,
    /// Webhooks by state (active, disabled), of the whole registry.
    pub webhooks: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(format!("sema_pkg_{name}"), help).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(format!("sema_pkg_{name}"), help).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let lag = Gauge::new(
            "sema_pkg_download_flush_lag_seconds",
            "seconds since download counts last reached Postgres",
        )
        .expect("valid metric");
        registry
            .register(Box::new(lag.clone()))
            .expect("unique metric");
        let publishes = counter_vec(
            &registry,
            "sema_pkg_publishes_total",
            "publish attempts by outcome",
            &["outcome"],
        );
        let cache_lookups = counter_vec(
            &registry,
            "sema_pkg_cache_lookups_total",
            "package cache lookups by shelf and result",
            &["shelf", "result"],
        );
        let mirror_events = counter_vec(&registry, "sema_pkg_mirror_events_total", "upstream mirror events (hit, fetch, stale, upstream_error, tarball_fetch, checksum_mismatch, upstream_changed)", &["event"]);
        let webhook_deliveries = counter_vec(
            &registry,
            "sema_pkg_webhook_deliveries_total",
            "webhook delivery attempts by outcome (delivered, retrying, failed)",
            &["outcome"],
        );
        let webhooks = IntGaugeVec::new(
            Opts::new("sema_pkg_webhooks", "webhooks by state (active, disabled)"),
            &["state"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(webhooks.clone()))
            .expect("unique metric");
        Metrics {
            webhook_deliveries,
            webhooks,
            mirror_events,
            cache_lookups,
            cache_listening: gauge(
                "cache_listening",
                "1 while the package-change listener is connected and caching is on",
            ),
            in_flight: gauge("http_requests_in_flight", "requests being served"),
            pool_size: gauge("db_pool_size", "database connections open"),
            pool_available: gauge("db_pool_available", "idle database connections"),
            pool_waiting: gauge(
                "db_pool_waiting",
                "requests waiting for a database connection",
            ),
            download_flushes: counter("download_flushes_total", "batched download-count writes"),
            download_rows: counter(
                "download_rows_total",
                "(version, day) rows upserted by flushes",
            ),
            download_flush_lag: lag,
            publishes,
            registry,
        }
    }

    pub fn observe_pool(&self, pool: &crate::db::Pool) {
        let s = pool.status();
        self.pool_size.set(s.size as i64);
        self.pool_available.set(s.available as i64);
        self.pool_waiting.set(s.waiting as i64);
    }

    /// The request middleware (route pattern, method, status, latency) serving `/metrics`.
    pub fn http(&self) -> actix_web_prom::PrometheusMetrics {
        actix_web_prom::PrometheusMetricsBuilder::new("sema_pkg")
            .registry(self.registry.clone())
            .endpoint("/metrics")
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .expect("metrics middleware")
    }
}

/// A counter with labels, registered.
fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
