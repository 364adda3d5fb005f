//! `/api/v1/tokens`: create, list, revoke; the CLI's password-login second step.

use serde_json::json;

use crate::common::{expect_error, json as body, TestApp};

#[tokio::test]
async fn create_shows_the_token_once_and_stores_only_a_hash() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    let v = body(
        c.post(app.url("/api/v1/tokens"))
            .json(&json!({"name": "laptop", "scopes": ["publish-new", "yank"], "packages": ["json*", "Sema/*"], "expires_in_days": 30}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = v["token"].as_str().unwrap();
    assert!(
        token.starts_with("sema_pat_") && token.len() == 52,
        "{token}"
    );
    assert_eq!(v["name"], "laptop");
    assert_eq!(v["scopes"], json!(["publish-new", "yank"]));
    assert_eq!(v["packages"], json!(["json*", "sema/*"]));
    assert!(v["expires_at"].is_string() && v["created_at"].is_string() && v["id"].is_i64());
    let stored = app
        .sql_count(&format!(
            "SELECT count(*) FROM api_tokens WHERE token_hash = sha256('{token}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1);
    let list = body(c.get(app.url("/api/v1/tokens")).send().await.unwrap(), 200).await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert!(
        list["tokens"][0].get("token").is_none(),
        "the secret is never listed"
    );
}

#[tokio::test]
async fn the_cli_password_login_flow() {
    // Exactly what `sema pkg login --username` does: login, then POST /tokens with only the cookie pair.
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let res = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let pair = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v = body(
        c.post(app.url("/api/v1/tokens"))
            .header("cookie", pair)
            .json(&json!({"name": "sema-cli login"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = v["token"].as_str().unwrap();
    assert_eq!(v["scopes"].as_array().unwrap().len(), 4);
    let me = body(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn token_requests_are_validated() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    for bad in [
        json!({"name": ""}),
        json!({"name": "x".repeat(65)}),
        json!({"name": "t", "scopes": []}),
        json!({"name": "t", "scopes": ["admin"]}),
        json!({"name": "t", "packages": ["a b"]}),
        json!({"name": "t", "packages": ["*"]}),
        json!({"name": "t", "expires_in_days": 0}),
        json!({"name": "t", "expires_in_days": 100000}),
        json!({"name": 5}),
        json!({"scopes": ["yank"]}),
    ] {
        let res = c
            .post(app.url("/api/v1/tokens"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        expect_error(res, 400).await;
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn tokens_need_a_session_not_a_token() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let c = app.client();
    expect_error(
        c.post(app.url("/api/v1/tokens"))
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    expect_error(
        c.post(app.url("/api/v1/tokens"))
            .bearer_auth(&token)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_error(
        c.get(app.url("/api/v1/tokens"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
}

#[tokio::test]
async fn cross_site_form_posts_with_the_cookie_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    // What an attacker's HTML form can send: urlencoded or text/plain, never JSON.
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let res = c
            .post(app.url("/api/v1/tokens"))
            .header("content-type", ct)
            .body(r#"{"name":"evil"}"#)
            .send()
            .await
            .unwrap();
        expect_error(res, 403).await;
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn revoke_own_tokens_only() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let v = body(
        alice
            .post(app.url("/api/v1/tokens"))
            .json(&json!({"name": "a"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let (id, token) = (
        v["id"].as_i64().unwrap(),
        v["token"].as_str().unwrap().to_string(),
    );
    expect_error(
        bob.delete(app.url(&format!("/api/v1/tokens/{id}")))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_error(
        alice
            .delete(app.url("/api/v1/tokens/abc"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    body(
        alice
            .delete(app.url(&format!("/api/v1/tokens/{id}")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let e = expect_error(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(e.contains("revoked"));
    expect_error(
        alice
            .delete(app.url(&format!("/api/v1/tokens/{id}")))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let list = body(
        alice.get(app.url("/api/v1/tokens")).send().await.unwrap(),
        200,
    )
    .await;
    assert!(list["tokens"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    let token = app
        .token(&c, json!({"name": "short", "expires_in_days": 1}))
        .await;
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.sql("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
        .await;
    let e = expect_error(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(e.contains("expired"));
}

#[tokio::test]
async fn last_used_is_recorded_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM api_tokens WHERE last_used_at IS NULL")
            .await,
        1
    );
    app.client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.sql_count("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
            .await,
        1
    );
    app.sql("UPDATE api_tokens SET last_used_at = now() - interval '30 seconds'")
        .await;
    app.client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM api_tokens WHERE last_used_at < now() - interval '20 seconds'"
        )
        .await,
        1
    );
    app.sql("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'")
        .await;
    app.client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM api_tokens WHERE last_used_at > now() - interval '20 seconds'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_package_pattern_star_stops_at_the_slash() {
    let app = TestApp::spawn().await;
    let (browser, alice) = app.user_with_token("alice").await;
    for name in ["alpha", "alice/tools"] {
        let res = crate::common::publish(
            &app,
            &alice,
            name,
            "0.1.0",
            crate::common::tarball::package(name, "0.1.0"),
        )
        .await;
        assert_eq!(res.status(), 201, "{name}");
    }
    let al = app
        .token(&browser, json!({"name": "al", "packages": ["al*"]}))
        .await;
    let ns = app
        .token(&browser, json!({"name": "ns", "packages": ["alice/*"]}))
        .await;
    let yank = |token: &str, name: &str| {
        app.client()
            .post(app.url(&format!("/api/v1/packages/{name}/0.1.0/yank")))
            .bearer_auth(token)
            .send()
    };
    // `al*` is `alpha` and friends, not the `alice/` namespace.
    body(yank(&al, "alpha").await.unwrap(), 200).await;
    let e = expect_error(yank(&al, "alice/tools").await.unwrap(), 403).await;
    assert!(e.contains("al*"), "{e}");
    let res = crate::common::publish(
        &app,
        &al,
        "alice/tools",
        "0.2.0",
        crate::common::tarball::package("alice/tools", "0.2.0"),
    )
    .await;
    expect_error(res, 403).await;
    // `alice/*` is the namespace, and only it.
    body(yank(&ns, "alice/tools").await.unwrap(), 200).await;
    expect_error(yank(&ns, "alpha").await.unwrap(), 403).await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        2
    );
}
