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
            "owner.add",
            "version.unyank",
            "version.yank",
            "version.publish"
        ]
    );
    let yank = &v["events"][3];
    assert_eq!(yank["actor"], "alice");
    assert_eq!(yank["version"], "0.1.0");
    assert_eq!(yank["ip"], "127.0.0.1");
    assert_eq!(yank["user_agent"], "sema-test/1");
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
