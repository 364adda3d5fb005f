//! `/api/v1/packages/{name}/owners`.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

#[tokio::test]
async fn add_list_and_remove_owners() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    app.register("carol").await;
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
    let owners = app.url("/api/v1/packages/demo/owners");
    expect_error(
        c.post(&owners)
            .bearer_auth(&bob)
            .json(&json!({"username": "bob"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_error(
        c.post(&owners)
            .bearer_auth(&alice)
            .json(&json!({"username": "nobody"}))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_error(
        c.post(&owners)
            .bearer_auth(&alice)
            .json(&json!({"user": "bob"}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let no_owners = app
        .token(&alice_browser, json!({"name": "p", "scopes": ["yank"]}))
        .await;
    expect_error(
        c.post(&owners)
            .bearer_auth(&no_owners)
            .json(&json!({"username": "bob"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let invited = body(
        c.post(&owners)
            .bearer_auth(&alice)
            .json(&json!({"username": "Bob"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    // The old answer's fields, plus the invitation it became.
    assert_eq!(invited["ok"], true);
    assert_eq!(invited["name"], "demo");
    assert_eq!(invited["username"], "bob");
    assert_eq!(invited["invited"], true);
    assert!(invited["expires_at"].is_string(), "{invited}");
    // Invited is not an owner: not listed, no rights.
    let list = body(c.get(&owners).send().await.unwrap(), 200).await;
    assert_eq!(list["owners"], json!([{"username": "alice"}]));
    let e = expect_error(
        publish(
            &app,
            &bob,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("not an owner"), "{e}");
    accept(&app, &bob, "demo").await;
    let list = body(c.get(&owners).send().await.unwrap(), 200).await;
    assert_eq!(
        list["owners"],
        json!([{"username": "alice"}, {"username": "bob"}])
    );
    // Bob is an owner now: he can publish.
    body(
        publish(
            &app,
            &bob,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        201,
    )
    .await;
    expect_error(
        c.delete(app.url("/api/v1/packages/demo/owners/carol"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    body(
        c.delete(app.url("/api/v1/packages/demo/owners/alice"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let e = expect_error(
        c.delete(app.url("/api/v1/packages/demo/owners/bob"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(e.contains("last owner"), "{e}");
    expect_error(
        c.get(app.url("/api/v1/packages/nope/owners"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

/// The invitee accepts through the API.
pub async fn accept(app: &TestApp, token: &str, name: &str) {
    body(
        app.client()
            .post(app.url(&format!("/api/v1/me/invitations/{name}/accept")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
}

#[tokio::test]
async fn two_owners_removing_each_other_never_leave_none() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
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
    body(
        app.client()
            .post(app.url("/api/v1/packages/demo/owners"))
            .bearer_auth(&alice)
            .json(&json!({"username": "bob"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    accept(&app, &bob, "demo").await;
    for _ in 0..5 {
        let a = app
            .client()
            .delete(app.url("/api/v1/packages/demo/owners/bob"))
            .bearer_auth(&alice)
            .send();
        let b = app
            .client()
            .delete(app.url("/api/v1/packages/demo/owners/alice"))
            .bearer_auth(&bob)
            .send();
        let (a, b) = tokio::join!(a, b);
        let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        assert_eq!(
            app.sql_count("SELECT count(*) FROM package_owners").await,
            1,
            "{statuses:?}"
        );
        // Put the removed one back for the next round.
        let remaining = app.sql_count("SELECT user_id FROM package_owners").await;
        let (token, other, other_token) = if remaining == 1 {
            (&alice, "bob", &bob)
        } else {
            (&bob, "alice", &alice)
        };
        body(
            app.client()
                .post(app.url("/api/v1/packages/demo/owners"))
                .bearer_auth(token)
                .json(&json!({"username": other}))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        accept(&app, other_token, "demo").await;
    }
}
