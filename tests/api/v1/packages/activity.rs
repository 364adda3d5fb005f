//! `GET /api/v1/packages/{name}/activity` and the audit log behind it.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

#[tokio::test]
async fn every_mutation_is_audited_and_owners_see_their_package_activity() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
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
    let c = app.client();
    body(
        c.post(app.url("/api/v1/packages/demo/0.1.0/yank"))
            .bearer_auth(&alice)
            .header("user-agent", "sema-test/1")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    body(
        c.post(app.url("/api/v1/packages/demo/0.1.0/unyank"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    body(
        c.post(app.url("/api/v1/packages/demo/owners"))
            .bearer_auth(&alice)
            .json(&json!({"username": "bob"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    body(
        c.post(app.url("/api/v1/me/invitations/demo/accept"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    body(
        c.delete(app.url("/api/v1/packages/demo/owners/bob"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let v = body(
        c.get(app.url("/api/v1/packages/demo/activity"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let actions: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "owner.remove",
            "owner.accept",
            "owner.invite",
            "version.unyank",
            "version.yank",
            "version.publish"
        ]
    );
    let yank = &v["events"][4];
    assert_eq!(yank["actor"], "alice");
    assert_eq!(yank["version"], "0.1.0");
    // Addresses and user agents are recorded, and shown to administrators only.
    assert_eq!(yank["ip"], serde_json::Value::Null);
    assert_eq!(yank["user_agent"], serde_json::Value::Null);
    assert_eq!(
        app.sql_text("SELECT ip || ' ' || user_agent FROM audit_log WHERE action = 'version.yank'")
            .await,
        "127.0.0.1 sema-test/1"
    );
    assert_eq!(v["events"][1]["actor"], "bob");
    assert!(yank["token_id"].is_i64() && yank["at"].is_string());
    assert_eq!(v["events"][0]["subject"], "bob");
    // Not an owner: 403; anonymous: 401.
    expect_error(
        c.get(app.url("/api/v1/packages/demo/activity"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_error(
        c.get(app.url("/api/v1/packages/demo/activity"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    // Sign-ins (good and bad) and token changes are audited too.
    c.post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "nope-nope"}))
        .send()
        .await
        .unwrap();
    c.post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let id = app.sql_count("SELECT max(id) FROM api_tokens WHERE user_id = (SELECT id FROM users WHERE username = 'alice')").await;
    body(
        alice_browser
            .delete(app.url(&format!("/api/v1/tokens/{id}")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    for action in [
        "user.register",
        "session.sign_in",
        "session.sign_in_failed",
        "token.create",
        "token.revoke",
    ] {
        let n = app
            .sql_count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND actor = 'alice'"
            ))
            .await;
        assert!(n >= 1, "{action}");
    }
}

#[tokio::test]
async fn addresses_and_user_agents_are_for_administrators_only() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, root) = app.user_with_token("root").await;
    app.sql("UPDATE users SET is_admin = true WHERE username IN ('alice', 'root')")
        .await;
    body(
        app.client()
            .put(app.url("/api/v1/packages/demo/0.1.0"))
            .bearer_auth(&alice)
            .header("user-agent", "alice-laptop/1")
            .multipart(crate::hostile::form(tarball::package("demo", "0.1.0")))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let activity = |token: &str| {
        app.client()
            .get(app.url("/api/v1/packages/demo/activity"))
            .bearer_auth(token)
            .send()
    };
    // An administrator sees where a change came from, even on a package
    // they do not own...
    let v = body(activity(&root).await.unwrap(), 200).await;
    assert_eq!(v["events"][0]["ip"], "127.0.0.1");
    assert_eq!(v["events"][0]["user_agent"], "alice-laptop/1");
    // ...and alice too, as an administrator. As a mere owner she would not.
    let v = body(activity(&alice).await.unwrap(), 200).await;
    assert_eq!(v["events"][0]["user_agent"], "alice-laptop/1");
    app.sql("UPDATE users SET is_admin = false WHERE username = 'alice'")
        .await;
    let v = body(activity(&alice).await.unwrap(), 200).await;
    assert_eq!(v["events"][0]["action"], "version.publish");
    assert_eq!(v["events"][0]["ip"], serde_json::Value::Null);
    assert_eq!(v["events"][0]["user_agent"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_token_limited_to_some_packages_reads_only_their_activity() {
    let app = TestApp::spawn().await;
    let (browser, alice) = app.user_with_token("alice").await;
    for name in ["demo", "other"] {
        body(
            publish(&app, &alice, name, "0.1.0", tarball::package(name, "0.1.0")).await,
            201,
        )
        .await;
    }
    let limited = app
        .token(&browser, json!({"name": "ci", "packages": ["demo"]}))
        .await;
    let read = |name: &str| {
        app.client()
            .get(app.url(&format!("/api/v1/packages/{name}/activity")))
            .bearer_auth(&limited)
            .send()
    };
    body(read("demo").await.unwrap(), 200).await;
    let e = expect_error(read("other").await.unwrap(), 403).await;
    assert!(e.contains("limited to packages matching demo"), "{e}");
    // The same holds for an administrator's limited token.
    app.sql("UPDATE users SET is_admin = true WHERE username = 'alice'")
        .await;
    expect_error(read("other").await.unwrap(), 403).await;
}
