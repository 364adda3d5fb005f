//! `GET /api/v1/packages/{name}`, `/versions`, `/{version}`, `/dependents`, `/readme`.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

#[tokio::test]
async fn the_contract_shape_newest_published_first_with_yanked_listed() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    for v in ["1.0.0", "0.9.0", "1.1.0"] {
        let tgz = tarball::package_with(
            "demo",
            v,
            "sema_version_req = \">=2.0\"\nlicense = \"MIT\"",
            "(define x 1)",
        );
        body(publish(&app, &token, "demo", v, tgz).await, 201).await;
    }
    body(
        app.client()
            .post(app.url("/api/v1/packages/demo/1.1.0/yank"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    // An unknown bearer token is ignored on public reads (the CLI sends its token everywhere).
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .bearer_auth("sema_pat_from_another_registry")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["package"]["name"], "demo");
    assert_eq!(v["package"]["description"], "The demo package");
    assert!(v["package"]["repository_url"].is_null());
    assert_eq!(v["package"]["latest_version"], "1.0.0");
    assert_eq!(v["owners"], json!(["alice"]));
    let versions: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["1.1.0", "0.9.0", "1.0.0"]);
    let newest = &v["versions"][0];
    assert_eq!(newest["yanked"], true);
    assert!(newest["yanked_at"].is_string());
    assert_eq!(newest["sema_version_req"], ">=2.0");
    assert_eq!(newest["license"], "MIT");
    assert!(newest["size_bytes"].as_i64().unwrap() > 0);
    assert!(newest["published_at"].is_string());
    assert_eq!(newest["checksum"].as_str().unwrap().len(), 64);
    assert_eq!(newest["dependencies"], json!([]));
    assert_eq!(newest["downloads"], 0);
    assert_eq!(v["versions"][1]["yanked"], false);

    let list = body(
        app.client()
            .get(app.url("/api/v1/packages/demo/versions"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(list["versions"].as_array().unwrap().len(), 3);
    let one = body(
        app.client()
            .get(app.url("/api/v1/packages/demo/0.9.0"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(one["version"]["version"], "0.9.0");
    expect_error(
        app.client()
            .get(app.url("/api/v1/packages/demo/9.9.9"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let e = expect_error(
        app.client()
            .get(app.url("/api/v1/packages/nope"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(e.contains("not found"));
    expect_error(
        app.client()
            .get(app.url("/api/v1/packages/Bad%20Name!"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn dependencies_and_dependents() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &token,
            "json",
            "1.0.0",
            tarball::package("json", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    let tgz = tarball::with_manifest("[package]\nname = \"api\"\nversion = \"0.1.0\"\n[deps]\njson = \"1.0.0\"\n\"github.com/u/r\" = \"main\"\n");
    body(publish(&app, &token, "api", "0.1.0", tgz).await, 201).await;
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages/api"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        v["versions"][0]["dependencies"],
        json!([{"name": "github.com/u/r", "req": "main", "kind": "git"}, {"name": "json", "req": "1.0.0", "kind": "registry"}])
    );
    let d = body(
        app.client()
            .get(app.url("/api/v1/packages/json/dependents"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        d["dependents"],
        json!([{"name": "api", "versions": [{"version": "0.1.0", "req": "1.0.0"}]}])
    );
}

#[tokio::test]
async fn readme_is_rendered_and_sanitised() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let m = tarball::manifest("demo", "0.1.0", "");
    let readme = "# Demo\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n";
    let tgz = tarball::build(&[
        ("sema.toml", m.as_bytes()),
        ("docs/README.md", b"# deeper"),
        ("readme.md", readme.as_bytes()),
    ]);
    body(publish(&app, &token, "demo", "0.1.0", tgz).await, 201).await;
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages/demo/readme"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let html = v["html"].as_str().unwrap();
    assert!(html.contains("<h1>Demo</h1>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(v["version"], "0.1.0");
}

/// Metadata is answered from memory with an ETag; a write through this
/// instance shows at once, and a change made elsewhere (another instance, the
/// admin CLI: here plain SQL) arrives through NOTIFY.
#[tokio::test]
async fn cached_metadata_revalidates_and_follows_every_change() {
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
    let get = |etag: Option<String>| {
        let mut r = app.client().get(app.url("/api/v1/packages/demo"));
        if let Some(e) = etag {
            r = r.header("If-None-Match", e);
        }
        r.send()
    };
    let first = get(None).await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"'), "{etag}");
    let v = body(first, 200).await;
    assert_eq!(v["versions"].as_array().unwrap().len(), 1);
    // The publish's own notification may still be on its way (it drops the
    // entry once more), so read until a read is answered from memory.
    let hit = ["shelf=\"metadata\"", "result=\"hit\""];
    let mut from_memory = false;
    for _ in 0..50 {
        let before = app.metric("sema_pkg_cache_lookups_total", &hit).await;
        let again = get(Some(etag.clone())).await.unwrap();
        assert_eq!(again.status(), 304);
        assert!(again.text().await.unwrap().is_empty());
        if app.metric("sema_pkg_cache_lookups_total", &hit).await == before + 1.0 {
            from_memory = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(from_memory, "answered from memory");

    // A publish on this instance: the next read has it, with a new ETag.
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
    let res = get(Some(etag.clone())).await.unwrap();
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
    let v = body(res, 200).await;
    assert_eq!(v["package"]["latest_version"], "1.1.0");

    // A change this instance did not make: the trigger's notification drops
    // the cached answer (without it, the old one would be served for a minute).
    app.sql("UPDATE versions SET yanked = true WHERE version = '1.1.0'")
        .await;
    let mut latest = String::new();
    for _ in 0..50 {
        let v = body(get(None).await.unwrap(), 200).await;
        latest = v["package"]["latest_version"].as_str().unwrap().to_string();
        if latest == "1.0.0" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(latest, "1.0.0");
}

/// `PACKAGE_CACHE=off` (for poolers that do not carry LISTEN): every read
/// goes to Postgres, so a change made elsewhere shows on the very next read.
#[tokio::test]
async fn with_the_cache_off_every_read_is_fresh() {
    let app = TestApp::spawn_with(|c| c.package_cache = false).await;
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
    let url = app.url("/api/v1/packages/demo");
    body(app.client().get(&url).send().await.unwrap(), 200).await;
    app.sql("UPDATE packages SET description = 'changed elsewhere'")
        .await;
    let v = body(app.client().get(&url).send().await.unwrap(), 200).await;
    assert_eq!(v["package"]["description"], "changed elsewhere");
    assert_eq!(
        app.metric("sema_pkg_cache_lookups_total", &["result=\"hit\""])
            .await,
        0.0
    );
    assert_eq!(app.metric("sema_pkg_cache_listening", &[]).await, 0.0);
}
