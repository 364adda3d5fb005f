//! `GET /api/v1/search`.

use crate::common::{json as body, publish, tarball, TestApp};

#[tokio::test]
async fn search_finds_by_name_and_description_with_integer_totals() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    for name in ["json", "json-schema", "http"] {
        body(
            publish(&app, &token, name, "0.1.0", tarball::package(name, "0.1.0")).await,
            201,
        )
        .await;
    }
    let v = body(
        app.client()
            .get(app.url("/api/v1/search?q=json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["total"], 2);
    assert_eq!(v["packages"][0]["name"], "json");
    assert_eq!(v["packages"][0]["exact_match"], true);
    assert_eq!(v["packages"][0]["latest_version"], "0.1.0");
    assert_eq!(v["page"], 1);
    let v = body(
        app.client()
            .get(app.url("/api/v1/search?q=nothing-like-this"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["total"], 0);
    assert_eq!(v["packages"].as_array().unwrap().len(), 0);
    // The seed's path is the same search.
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages?q=http"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["total"], 1);
    // Pages past the end are empty with an honest total.
    let v = body(
        app.client()
            .get(app.url("/api/v1/search?q=json&page=5&per_page=1"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["total"], 2);
    assert!(v["packages"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn hostile_queries_never_5xx() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(10_000);
    for q in [
        "%27%22",
        "a%26b%7Cc",
        "!%3A()",
        "%E2%9C%93",
        "%25",
        "_",
        long.as_str(),
    ] {
        let res = app
            .client()
            .get(app.url(&format!("/api/v1/search?q={q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{q}");
    }
    for qs in ["page=-1", "per_page=1000000000", "page=abc", "sort=bogus"] {
        let res = app
            .client()
            .get(app.url(&format!("/api/v1/search?{qs}")))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status() == 400,
            "{qs}: {}",
            res.status()
        );
    }
}
