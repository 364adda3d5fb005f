//! `/api/v1/me/invitations`: adding an owner invites them; nothing changes
//! until they accept.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

async fn invite(app: &TestApp, token: &str, name: &str, who: &str) -> serde_json::Value {
    body(
        app.client()
            .post(app.url(&format!("/api/v1/packages/{name}/owners")))
            .bearer_auth(token)
            .json(&json!({ "username": who }))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

fn answer(app: &TestApp, token: &str, name: &str, what: &str) -> reqwest::RequestBuilder {
    app.client()
        .post(app.url(&format!("/api/v1/me/invitations/{name}/{what}")))
        .bearer_auth(token)
}

async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let v = body(
        app.client()
            .get(app.url("/api/v1/me/invitations"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    v["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["package"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_invitee_is_no_owner_until_they_accept() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(
        publish(
            &app,
            &alice,
            "alice/tools",
            "0.1.0",
            tarball::package("alice/tools", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let v = invite(&app, &alice, "alice/tools", "bob").await;
    assert_eq!(v["invited"], true);
    let v = body(
        app.client()
            .get(app.url("/api/v1/me/invitations"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let inv = &v["invitations"][0];
    assert_eq!(inv["package"], "alice/tools");
    assert_eq!(inv["invited_by"], "alice");
    let (created, expires) = (
        chrono::DateTime::parse_from_rfc3339(inv["created_at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(inv["expires_at"].as_str().unwrap()).unwrap(),
    );
    assert_eq!((expires - created).num_days(), 30);
    // Not listed, and no rights: bob cannot yank, publish or add owners.
    let owners = body(
        app.client()
            .get(app.url("/api/v1/packages/alice/tools/owners"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(owners["owners"], json!([{"username": "alice"}]));
    expect_error(
        app.client()
            .post(app.url("/api/v1/packages/alice/tools/0.1.0/yank"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    // Nobody else can answer bob's invitation.
    expect_error(
        answer(&app, &alice, "alice/tools", "accept")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Accepted: an owner, and the invitation is gone.
    let v = body(
        answer(&app, &bob, "Alice/Tools", "accept")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        v,
        json!({"ok": true, "name": "alice/tools", "accepted": true})
    );
    assert!(listed(&app, &bob).await.is_empty());
    body(
        app.client()
            .post(app.url("/api/v1/packages/alice/tools/0.1.0/yank"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    expect_error(
        answer(&app, &bob, "alice/tools", "accept")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Inviting an owner again changes nothing.
    let v = invite(&app, &alice, "alice/tools", "bob").await;
    assert_eq!(v["invited"], false);
    assert_eq!(v["expires_at"], serde_json::Value::Null);
    // Every step is audited.
    let actions = app
        .sql_text("SELECT string_agg(action || ':' || actor || ':' || subject, ',' ORDER BY id) FROM audit_log WHERE action LIKE 'owner.%'")
        .await;
    assert_eq!(actions, "owner.invite:alice:bob,owner.accept:bob:bob");
}

#[tokio::test]
async fn declined_and_expired_invitations_give_nothing() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    for name in ["demo", "other"] {
        body(
            publish(&app, &alice, name, "0.1.0", tarball::package(name, "0.1.0")).await,
            201,
        )
        .await;
        invite(&app, &alice, name, "bob").await;
    }
    assert_eq!(listed(&app, &bob).await, vec!["other", "demo"]);
    let v = body(
        answer(&app, &bob, "demo", "decline").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(v["accepted"], false);
    expect_error(
        answer(&app, &bob, "demo", "accept").send().await.unwrap(),
        404,
    )
    .await;
    // Thirty days pass.
    app.sql("UPDATE owner_invitations SET expires_at = now() - interval '1 second'")
        .await;
    assert!(listed(&app, &bob).await.is_empty());
    let e = expect_error(
        answer(&app, &bob, "other", "accept").send().await.unwrap(),
        404,
    )
    .await;
    assert!(e.contains("expired"), "{e}");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM package_owners WHERE user_id = (SELECT id FROM users WHERE username = 'bob')")
            .await,
        0
    );
    // A new invitation starts a new 30 days.
    invite(&app, &alice, "other", "bob").await;
    body(
        answer(&app, &bob, "other", "accept").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        app.sql_text("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action LIKE 'owner.%' AND actor = 'bob'")
            .await,
        "owner.decline,owner.accept"
    );
    expect_error(
        answer(&app, &bob, "nope", "accept").send().await.unwrap(),
        404,
    )
    .await;
    expect_error(
        app.client()
            .get(app.url("/api/v1/me/invitations"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
}

#[tokio::test]
async fn answering_with_a_token_needs_change_owners_on_that_package() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (bob_browser, _) = app.user_with_token("bob").await;
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
    invite(&app, &alice, "demo", "bob").await;
    let yank_only = app
        .token(&bob_browser, json!({"name": "y", "scopes": ["yank"]}))
        .await;
    let elsewhere = app
        .token(&bob_browser, json!({"name": "e", "packages": ["other"]}))
        .await;
    for token in [&yank_only, &elsewhere] {
        expect_error(
            answer(&app, token, "demo", "accept").send().await.unwrap(),
            403,
        )
        .await;
    }
    // A token limited to other packages does not even see the invitation.
    assert!(listed(&app, &elsewhere).await.is_empty());
    // The session (a person at /account) may answer.
    body(
        bob_browser
            .post(app.url("/api/v1/me/invitations/demo/accept"))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
}
