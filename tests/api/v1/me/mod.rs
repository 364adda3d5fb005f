//! `GET /api/v1/me`.
mod invitations;

use crate::common::{expect_error, json, TestApp};

#[tokio::test]
async fn me_by_token_and_by_session() {
    let app = TestApp::spawn().await;
    let (browser, token) = app.user_with_token("alice").await;
    let v = json(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["username"], "alice");
    assert_eq!(v["email"], "alice@example.com");
    assert_eq!(v["is_admin"], false);
    assert_eq!(v["is_official"], false);
    assert!(v["created_at"].is_string());
    let v = json(
        browser.get(app.url("/api/v1/me")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(v["username"], "alice");
}

#[tokio::test]
async fn me_refuses_missing_malformed_and_unknown_tokens() {
    let app = TestApp::spawn().await;
    let c = app.client();
    expect_error(c.get(app.url("/api/v1/me")).send().await.unwrap(), 401).await;
    for auth in [
        "Bearer",
        "Bearer ",
        "Bearer sema_pat_nope",
        "Basic abc",
        "Bearer \u{1}",
        &format!("Bearer sema_pat_{}", "a".repeat(5000)),
    ] {
        let res = c
            .get(app.url("/api/v1/me"))
            .header("authorization", auth)
            .send()
            .await;
        let Ok(res) = res else { continue }; // reqwest refuses some header bytes itself
        expect_error(res, 401).await;
    }
}

#[tokio::test]
async fn banned_users_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    app.sql("UPDATE users SET banned_at = now()").await;
    let e = expect_error(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(e.contains("suspended"));
}
