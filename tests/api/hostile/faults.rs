//! Faults: Postgres going away behind a proxy, and a blob store that fails.

use std::time::{Duration, Instant};

use super::proxy::Proxy;
use crate::common::{json as body, publish, tarball, TestApp};

/// Calls that need Postgres, as the CLI and a browser make them.
async fn db_calls(
    app: &TestApp,
    token: &str,
    browser: &reqwest::Client,
) -> Vec<(String, reqwest::Response)> {
    let c = app.client();
    let mut out = vec![];
    for path in [
        "/api/v1/packages/demo",
        "/api/v1/search?q=demo",
        "/api/v1/packages/demo/1.0.0/download",
        "/api/v1/packages/demo/owners",
    ] {
        out.push((
            format!("GET {path}"),
            c.get(app.url(path)).send().await.unwrap(),
        ));
    }
    out.push((
        "GET /api/v1/me (token)".into(),
        c.get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "GET /api/v1/me (session)".into(),
        browser.get(app.url("/api/v1/me")).send().await.unwrap(),
    ));
    out.push((
        "PUT publish".into(),
        publish(
            app,
            token,
            "demo",
            "2.0.0",
            tarball::package("demo", "2.0.0"),
        )
        .await,
    ));
    out
}

async fn assert_all_503_fast(
    app: &TestApp,
    token: &str,
    browser: &reqwest::Client,
    how: &str,
    limit: Duration,
) {
    for (what, res) in {
        let started = Instant::now();
        let calls = db_calls(app, token, browser).await;
        let per_call = started.elapsed() / calls.len() as u32;
        assert!(per_call <= limit, "{how}: {per_call:?} per call");
        calls
    } {
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 503, "{how}: {what}: {text}");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
        assert!(
            v["error"].as_str().unwrap().contains("unavailable"),
            "{what}: {text}"
        );
    }
    let started = Instant::now();
    let ready = app.client().get(app.url("/readyz")).send().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "readyz took {:?}",
        started.elapsed()
    );
    let v = body(ready, 503).await;
    assert_eq!(v["database"], "down", "{v}");
    assert_eq!(v["blob_store"], "up", "{v}");
}

async fn assert_all_work(app: &TestApp, token: &str, browser: &reqwest::Client, version: &str) {
    body(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    body(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    body(
        browser.get(app.url("/api/v1/me")).send().await.unwrap(),
        200,
    )
    .await;
    body(
        publish(
            app,
            token,
            "demo",
            version,
            tarball::package("demo", version),
        )
        .await,
        201,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_and_blackholed_answers_503_fast_and_heals_without_restart() {
    let proxy = Proxy::for_database(&crate::common::admin_url()).await;
    let app = TestApp::spawn_with(|c| c.database_url = proxy.url(&c.database_url)).await;
    let (browser, token) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &token,
            "demo",
            "1.0.0",
            tarball::package("demo", "1.0.0"),
        )
        .await,
        201,
    )
    .await;

    // Cut: open connections die, new ones are closed at once (Postgres restarting).
    proxy.cut();
    assert_all_503_fast(&app, &token, &browser, "cut", Duration::from_millis(1000)).await;
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
    proxy.restore();
    assert_all_work(&app, &token, &browser, "1.1.0").await;

    // Blackhole: connections stay open but nothing answers (a network partition).
    proxy.blackhole();
    assert_all_503_fast(
        &app,
        &token,
        &browser,
        "blackhole",
        Duration::from_millis(2500),
    )
    .await;
    proxy.restore();
    // Connections stalled in the blackhole are dropped by the pool, not reused.
    assert_all_work(&app, &token, &browser, "1.2.0").await;
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_store_failing_during_publish_leaves_no_version_row() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &token,
            "demo",
            "1.0.0",
            tarball::package("demo", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    // A file where the store wants its `sha256/` folder: every write fails
    // (even for root, unlike a permission change).
    let shelf = app.blob_dir.path().join("sha256");
    let kept = app.blob_dir.path().join("sha256.kept");
    std::fs::rename(&shelf, &kept).unwrap();
    std::fs::write(&shelf, b"not a directory").unwrap();
    for (name, version) in [("demo", "1.1.0"), ("fresh", "0.1.0")] {
        let e = crate::common::expect_error(
            publish(&app, &token, name, version, tarball::package(name, version)).await,
            503,
        )
        .await;
        assert!(e.contains("blob store"), "{e}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
    assert_eq!(app.sql_count("SELECT count(*) FROM packages").await, 1);
    let ready = body(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        ready["blob_store"], "up",
        "probes elsewhere in the store still work"
    );
    // Restored: the same publish goes through.
    std::fs::remove_file(&shelf).unwrap();
    std::fs::rename(&kept, &shelf).unwrap();
    body(
        publish(
            &app,
            &token,
            "demo",
            "1.1.0",
            tarball::package("demo", "1.1.0"),
        )
        .await,
        201,
    )
    .await;
    body(
        publish(
            &app,
            &token,
            "fresh",
            "0.1.0",
            tarball::package("fresh", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 3);
    assert_eq!(app.blob_count(), 3);
}
