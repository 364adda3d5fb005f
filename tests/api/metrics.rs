//! `GET /metrics` (Prometheus text format).

use crate::common::{json, publish, tarball, TestApp};

#[tokio::test]
async fn metrics_cover_requests_pool_downloads_and_publishes() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    json(
        publish(
            &app,
            &token,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    publish(
        &app,
        &token,
        "demo",
        "0.1.0",
        tarball::package("demo", "0.1.0"),
    )
    .await;
    publish(
        &app,
        &token,
        "Bad Name",
        "0.1.0",
        tarball::package("x", "0.1.0"),
    )
    .await;
    app.client()
        .get(app.url("/api/v1/packages/demo/0.1.0/download"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let text = app
        .client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "sema_pkg_http_requests_total{endpoint=\"/api/v1/packages/{tail:.+}\",method=\"PUT\",status=\"201\"} 1",
        "sema_pkg_http_requests_duration_seconds_bucket",
        "sema_pkg_publishes_total{outcome=\"created\"} 1",
        "sema_pkg_publishes_total{outcome=\"unchanged\"} 1",
        "sema_pkg_publishes_total{outcome=\"refused\"} 1",
        "sema_pkg_http_requests_in_flight",
        "sema_pkg_db_pool_size",
        "sema_pkg_download_rows_total 1",
        "sema_pkg_download_flush_lag_seconds",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    // Unknown paths share one label, so scanners cannot blow up cardinality.
    app.client()
        .get(app.url("/api/v1/nope/1"))
        .send()
        .await
        .unwrap();
    app.client()
        .get(app.url("/api/v1/nope/2"))
        .send()
        .await
        .unwrap();
    let text = app
        .client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("/api/v1/nope/1"), "{text}");
}
