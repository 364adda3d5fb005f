//! `/account` and its token actions (htmx fragments and plain forms).

use crate::common::TestApp;
use crate::csrf_at;

async fn signed_in(app: &TestApp) -> (reqwest::Client, String) {
    let b = app.browser();
    let csrf = csrf_at(app, &b, "/login").await;
    b.post(app.url("/register"))
        .form(&[
            ("username", "alice"),
            ("email", "alice@example.com"),
            ("password", "correct-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let csrf = csrf_at(app, &b, "/account").await;
    (b, csrf)
}

#[tokio::test]
async fn create_a_token_with_htmx_then_revoke_it_in_place() {
    let app = TestApp::spawn().await;
    let (b, csrf) = signed_in(&app).await;
    let res = b
        .post(app.url("/account/tokens"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .form(&[
            ("name", "laptop"),
            ("scope", "publish-new"),
            ("scope", "yank"),
            ("packages", "json*, sema/*"),
            ("expires_in_days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let fragment = res.text().await.unwrap();
    assert!(!fragment.contains("<html"), "a fragment, not a page");
    let at = fragment.find("sema_pat_").expect("the token is shown once");
    let token: String = fragment[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(token.len(), 52);
    assert!(
        fragment.contains("hx-swap-oob"),
        "the new row joins the table"
    );
    // The token works for the CLI and carries the chosen scopes.
    let me = app
        .client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(app.sql_count("SELECT count(*) FROM api_tokens WHERE scopes = '{publish-new,yank}' AND packages = '{json*,sema/*}'").await, 1);
    // The page lists it without the secret.
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("laptop") && !page.contains(&token));
    let id = app.sql_count("SELECT id FROM api_tokens").await;
    let res = b
        .post(app.url(&format!("/account/tokens/{id}/revoke")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "");
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn without_javascript_the_token_is_shown_once_after_a_redirect() {
    let app = TestApp::spawn().await;
    let (b, csrf) = signed_in(&app).await;
    let res = b
        .post(app.url("/account/tokens"))
        .form(&[
            ("name", "ci"),
            ("scope", "publish-update"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("sema_pat_"), "shown after the redirect");
    let again = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("sema_pat_"), "and only once");
}

#[tokio::test]
async fn token_form_errors_come_back_as_a_fragment() {
    let app = TestApp::spawn().await;
    let (b, csrf) = signed_in(&app).await;
    let res = b
        .post(app.url("/account/tokens"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .form(&[("name", ""), ("scope", "yank")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["hx-retarget"], "#flash");
    let body = res.text().await.unwrap();
    assert!(
        body.contains("token name") && !body.contains("<html"),
        "{body}"
    );
    // Someone else's (or no) token id is a 404, not a 5xx.
    let res = b
        .post(app.url("/account/tokens/999/revoke"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = b
        .post(app.url("/account/tokens/abc/revoke"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn without_javascript_revoking_a_token_asks_first() {
    let app = TestApp::spawn().await;
    let (b, csrf) = signed_in(&app).await;
    let res = b
        .post(app.url("/account/tokens"))
        .form(&[("name", "ci-box"), ("scope", "yank"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let id = app.sql_count("SELECT id FROM api_tokens").await;
    let path = format!("/account/tokens/{id}/revoke");
    let res = b
        .post(app.url(&path))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Revoke the token “ci-box”?") && page.contains(&format!("action=\"{path}\""))
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")
            .await,
        1
    );
    let res = b
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("confirmed", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn owner_invitations_are_answered_on_the_account_page() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let bob = app.register("bob").await;
    for name in ["json", "http"] {
        let res = crate::common::publish(
            &app,
            &alice,
            name,
            "0.1.0",
            crate::common::tarball::package(name, "0.1.0"),
        )
        .await;
        assert_eq!(res.status(), 201);
        let res = app
            .client()
            .post(app.url(&format!("/api/v1/packages/{name}/owners")))
            .bearer_auth(&alice)
            .json(&serde_json::json!({"username": "bob"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let page = bob
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Owner invitations") && page.contains("from alice"),
        "{page}"
    );
    let csrf = crate::csrf_of(&page);
    // A forged post (no token) changes nothing.
    let res = bob
        .post(app.url("/account/invitations/json/accept"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = bob
        .post(app.url("/account/invitations/json/decline"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["location"].to_str().unwrap()
        ),
        (303, "/account")
    );
    let res = bob
        .post(app.url("/account/invitations/json/accept"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "declined is gone");
    let res = bob
        .post(app.url("/account/invitations/http/accept"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = bob
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Owner invitations"), "{page}");
    assert_eq!(
        app.sql_text("SELECT string_agg(p.name, ',') FROM package_owners o JOIN packages p ON p.id = o.package_id JOIN users u ON u.id = o.user_id WHERE u.username = 'bob'")
            .await,
        "http"
    );
    assert_eq!(
        app.sql_text("SELECT string_agg(action || ' ' || package, ',' ORDER BY id) FROM audit_log WHERE actor = 'bob' AND action LIKE 'owner.%'")
            .await,
        "owner.decline json,owner.accept http"
    );
}
