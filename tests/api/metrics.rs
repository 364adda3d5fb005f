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
        "sema_pkg_http_requests_total{endpoint=\"/api/v1/packages/{tail:[^/]+/.+}\",method=\"PUT\",status=\"201\"} 1",
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

#[tokio::test]
async fn without_metrics_token_only_direct_loopback_requests_are_answered() {
    let app = TestApp::spawn().await;
    let get = |headers: &[(&str, &str)]| {
        let mut r = app.client().get(app.url("/metrics"));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send()
    };
    let res = get(&[]).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("sema_pkg_http_requests"));
    // Through a proxy on this host the peer is loopback, but the client is not.
    for h in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        let res = get(&[h]).await.unwrap();
        assert_eq!(res.status(), 404, "{h:?}");
        let text = res.text().await.unwrap();
        assert!(
            !text.contains("sema_pkg") && !text.contains("/admin"),
            "{h:?}: {text}"
        );
    }
}

#[tokio::test]
async fn with_metrics_token_only_its_bearer_is_answered() {
    let app = TestApp::spawn_with(|c| c.metrics_token = Some("s3cret-metrics".into())).await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer s3cret-metric"),
        Some("Basic czNjcmV0LW1ldHJpY3M="),
        Some("s3cret-metrics"),
    ] {
        let mut r = app.client().get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let res = r.send().await.unwrap();
        assert_eq!(res.status(), 404, "{auth:?}");
    }
    let res = app
        .client()
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-metrics")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the token works from anywhere");
    assert!(res.text().await.unwrap().contains("sema_pkg_"));
}
