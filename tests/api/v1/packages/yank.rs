//! `POST /api/v1/packages/{name}/{version}/yank` and `/unyank`.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

#[tokio::test]
async fn owners_yank_and_unyank_with_the_yank_scope() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    let no_yank = app
        .token(
            &alice_browser,
            json!({"name": "p", "scopes": ["publish-new"]}),
        )
        .await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        201,
    )
    .await;
    let yank = app.url("/api/v1/packages/demo/0.2.0/yank");
    let c = app.client();
    expect_error(c.post(&yank).send().await.unwrap(), 401).await;
    expect_error(c.post(&yank).bearer_auth(&bob).send().await.unwrap(), 403).await;
    let e = expect_error(
        c.post(&yank).bearer_auth(&no_yank).send().await.unwrap(),
        403,
    )
    .await;
    assert!(e.contains("yank"), "{e}");
    let v = body(c.post(&yank).bearer_auth(&alice).send().await.unwrap(), 200).await;
    assert_eq!(v["ok"], true);
    let info = body(
        c.get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["package"]["latest_version"], "0.1.0");
    body(
        c.post(app.url("/api/v1/packages/demo/0.2.0/unyank"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let info = body(
        c.get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["package"]["latest_version"], "0.2.0");
    assert!(info["versions"][0]["yanked_at"].is_null());
    expect_error(
        c.post(app.url("/api/v1/packages/demo/9.0.0/yank"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_error(
        c.post(app.url("/api/v1/packages/nope/1.0.0/yank"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn yank_by_session_needs_json_against_csrf() {
    let app = TestApp::spawn().await;
    let (browser, token) = app.user_with_token("alice").await;
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
    let url = app.url("/api/v1/packages/demo/0.1.0/yank");
    expect_error(
        browser
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    body(
        browser.post(&url).json(&json!({})).send().await.unwrap(),
        200,
    )
    .await;
}
