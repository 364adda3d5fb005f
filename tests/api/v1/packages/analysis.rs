//! `GET /api/v1/packages/{name}/{version}` capabilities and API, and
//! `GET /api/v1/packages/{name}/{version}/analysis` with the diff.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

/// A package whose manifest pins `deps` (`name = "version"` lines).
fn package(name: &str, version: &str, deps: &str, code: &str) -> Vec<u8> {
    let m = format!("{}{deps}", tarball::manifest(name, version, ""));
    tarball::build(&[
        ("sema.toml", m.as_bytes()),
        ("package.sema", code.as_bytes()),
    ])
}

async fn get(app: &TestApp, path: &str, status: u16) -> serde_json::Value {
    body(
        app.client().get(app.url(path)).send().await.unwrap(),
        status,
    )
    .await
}

#[tokio::test]
async fn a_patch_that_adds_shell_and_removes_api_is_flagged() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let v1 = "(defn get (url) (http/get url))\n(defn put (url body) url)";
    let v2 = "(defn get (url)\n  (shell \"curl\" url))";
    body(
        publish(
            &app,
            &token,
            "fetch",
            "1.0.0",
            package("fetch", "1.0.0", "", v1),
        )
        .await,
        201,
    )
    .await;
    body(
        publish(
            &app,
            &token,
            "fetch",
            "1.0.1",
            package("fetch", "1.0.1", "", v2),
        )
        .await,
        201,
    )
    .await;

    let v = get(&app, "/api/v1/packages/fetch/1.0.1", 200).await;
    assert_eq!(
        v["capabilities"],
        json!({"own": ["shell", "process"], "effective": ["shell", "process"], "dynamic": false})
    );
    assert_eq!(
        v["api"],
        json!([{"name": "get", "arity": 1, "variadic": false, "kind": "function"}])
    );
    assert_eq!(v["version"]["version"], "1.0.1");

    let a = get(&app, "/api/v1/packages/fetch/1.0.1/analysis", 200).await;
    assert_eq!(a["previous_version"], "1.0.0");
    assert_eq!(a["bump"], "patch");
    assert_eq!(a["added_capabilities"], json!(["shell", "process"]));
    assert_eq!(a["removed_capabilities"], json!(["network"]));
    assert_eq!(a["added_api"], json!([]));
    assert_eq!(a["removed_api"], json!(["put"]));
    assert_eq!(a["breaking"], true);
    assert_eq!(
        a["files"],
        json!([{"file": "package.sema", "capabilities": ["shell", "process"],
                "uses": [{"line": 2, "builtin": "shell", "capabilities": ["shell", "process"]}]}])
    );
    assert_eq!(a["complete"], true);
    assert_eq!(a["files_read"], 1);
    assert_eq!(a["sema"], "2.0.0");

    // The first release has nothing to differ from.
    let first = get(&app, "/api/v1/packages/fetch/1.0.0/analysis", 200).await;
    assert!(first["previous_version"].is_null());
    assert_eq!(first["added_capabilities"], json!([]));
    assert_eq!(first["capabilities"]["own"], json!(["network"]));
    let api: Vec<&str> = first["api"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(api, ["get", "put"]);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM version_analysis WHERE cardinality(added_caps) > 0")
            .await,
        1
    );
}

#[tokio::test]
async fn effective_capabilities_follow_the_pinned_versions_transitively() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let base0 = package("base", "1.0.0", "", "(define (home) (env \"HOME\"))");
    body(publish(&app, &token, "base", "1.0.0", base0).await, 201).await;
    // A later base uses the network; nothing pins it.
    let base1 = package("base", "1.1.0", "", "(define (get u) (http/get u))");
    body(publish(&app, &token, "base", "1.1.0", base1).await, 201).await;
    let mid = package(
        "mid",
        "1.0.0",
        "base = \"1.0.0\"\n",
        "(define (read p) (file/read p))",
    );
    body(publish(&app, &token, "mid", "1.0.0", mid).await, 201).await;
    let top = package(
        "top",
        "1.0.0",
        "mid = \"1.0.0\"\n",
        "(define (hello) \"hi\")",
    );
    body(publish(&app, &token, "top", "1.0.0", top).await, 201).await;

    let v = get(&app, "/api/v1/packages/top/1.0.0", 200).await;
    assert_eq!(
        v["capabilities"],
        json!({"own": [], "effective": ["fs-read", "env-read"], "dynamic": false})
    );
}

#[tokio::test]
async fn a_version_not_analysed_yet_says_so() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &token,
            "old",
            "1.0.0",
            tarball::package("old", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    app.sql("DELETE FROM version_analysis").await;
    let v = get(&app, "/api/v1/packages/old/1.0.0", 200).await;
    assert!(v["capabilities"].is_null());
    assert!(v["api"].is_null());
    let err = expect_error(
        app.client()
            .get(app.url("/api/v1/packages/old/1.0.0/analysis"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(err.contains("not been analysed"), "{err}");
    let err = expect_error(
        app.client()
            .get(app.url("/api/v1/packages/old/9.9.9/analysis"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(err.contains("9.9.9"), "{err}");
}
