//! `GET|HEAD /api/v1/packages/{name}/{version}/download`.

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

#[tokio::test]
async fn downloads_are_byte_identical_cacheable_and_counted_in_batches() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("demo", "0.1.0");
    let v = body(
        publish(&app, &token, "demo", "0.1.0", tgz.clone()).await,
        201,
    )
    .await;
    let checksum = v["checksum"].as_str().unwrap().to_string();
    let url = app.url("/api/v1/packages/demo/0.1.0/download");
    let res = app.client().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/gzip");
    assert_eq!(h["etag"].to_str().unwrap(), format!("\"{checksum}\""));
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .contains("demo-0.1.0.tar.gz"));
    assert!(h.get("content-encoding").is_none());
    assert_eq!(h["content-length"].to_str().unwrap(), tgz.len().to_string());
    assert_eq!(res.bytes().await.unwrap().to_vec(), tgz);

    let res = app
        .client()
        .get(&url)
        .header("if-none-match", format!("\"{checksum}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = app.client().head(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-length"].to_str().unwrap(),
        tgz.len().to_string()
    );
    // Counting happens in memory; the flusher writes one row per (version, day).
    app.client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let total = app
        .eventually_count(
            "SELECT COALESCE(sum(downloads), 0) FROM version_downloads",
            2,
        )
        .await;
    assert_eq!(total, 2, "two GETs counted; HEAD and 304 are not downloads");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM version_downloads")
            .await,
        1
    );
    let info = body(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["versions"][0]["downloads"], 2);
}

#[tokio::test]
async fn yanked_versions_stay_downloadable() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("demo", "0.1.0");
    body(
        publish(&app, &token, "demo", "0.1.0", tgz.clone()).await,
        201,
    )
    .await;
    body(
        app.client()
            .post(app.url("/api/v1/packages/demo/0.1.0/yank"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let res = app
        .client()
        .get(app.url("/api/v1/packages/demo/0.1.0/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), tgz);
}

#[tokio::test]
async fn unknown_downloads_are_404_json() {
    let app = TestApp::spawn().await;
    expect_error(
        app.client()
            .get(app.url("/api/v1/packages/nope/0.1.0/download"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let (_, token) = app.user_with_token("alice").await;
    body(
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
    expect_error(
        app.client()
            .get(app.url("/api/v1/packages/demo/0.2.0/download"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

/// Where a tarball is, and small tarballs themselves, are kept in memory per
/// instance; removing the package elsewhere (the admin CLI's tombstone, here
/// plain SQL) reaches the cache through NOTIFY, and the download stops.
#[tokio::test]
async fn a_removed_package_stops_downloading_on_every_instance() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    body(
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
    let url = app.url("/api/v1/packages/demo/0.1.0/download");
    assert_eq!(app.client().get(&url).send().await.unwrap().status(), 200);
    let metric = "sema_pkg_cache_lookups_total";
    let files = ["shelf=\"files\"", "result=\"hit\""];
    let bytes = ["shelf=\"tarballs\"", "result=\"hit\""];
    // A later download finds where the tarball is, and its bytes, in memory
    // (once the publish's own notification has come and gone).
    let mut from_memory = false;
    for _ in 0..50 {
        let files_before = app.metric(metric, &files).await;
        let bytes_before = app.metric(metric, &bytes).await;
        let res = app.client().get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let got = res.bytes().await.unwrap().to_vec();
        assert_eq!(got, tarball::package("demo", "0.1.0"));
        assert_eq!(app.metric(metric, &bytes).await, bytes_before + 1.0);
        if app.metric(metric, &files).await == files_before + 1.0 {
            from_memory = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(from_memory);
    app.sql("UPDATE packages SET removed_at = now() WHERE name = 'demo'")
        .await;
    let mut status = 200;
    for _ in 0..50 {
        status = app
            .client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 404);
}
