//! `/login`, `/register`, `/logout`.

use crate::common::TestApp;
use crate::{csrf_at, csrf_of};

#[tokio::test]
async fn register_sign_out_and_sign_in_with_forms() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Create an account") && page.contains("Sign in"));
    let csrf = csrf_of(&page);
    let res = b
        .post(app.url("/register"))
        .form(&[
            ("username", "alice"),
            ("email", "alice@example.com"),
            ("password", "correct-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    let account = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("alice@example.com"), "{account}");
    let csrf = csrf_of(&account);
    let res = b
        .post(app.url("/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "signed out: /account sends to /login");
    let page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "wrong-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body = res.text().await.unwrap();
    assert!(body.contains("invalid username or password"), "{body}");
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "correct-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("API tokens"));
}

#[tokio::test]
async fn form_errors_are_shown_on_the_page() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let csrf = csrf_at(&app, &b, "/login").await;
    let res = b
        .post(app.url("/register"))
        .form(&[
            ("username", "-bad"),
            ("email", "alice@example.com"),
            ("password", "correct-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("username must be") && body.contains("<form"),
        "{body}"
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = TestApp::spawn().await;
    let victim = app.browser();
    let csrf = csrf_at(&app, &victim, "/login").await;
    victim
        .post(app.url("/register"))
        .form(&[
            ("username", "alice"),
            ("email", "alice@example.com"),
            ("password", "correct-horse"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    // The victim's cookie goes along, but the attacker cannot know the token.
    for form in [
        vec![("name", "evil")],
        vec![("name", "evil"), ("csrf_token", "guess")],
    ] {
        let res = victim
            .post(app.url("/account/tokens"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let page = res.text().await.unwrap();
        assert!(page.contains("did not come from this site"), "{page}");
    }
    let res = victim
        .post(app.url("/logout"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.sql_count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn the_csrf_token_changes_at_sign_in_and_sign_out() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let b = app.browser();
    let before = csrf_at(&app, &b, "/login").await;
    let sign_in = |csrf: String| {
        b.post(app.url("/login"))
            .form(&[
                ("username", "alice".to_string()),
                ("password", "correct-horse".to_string()),
                ("csrf_token", csrf),
            ])
            .send()
    };
    assert_eq!(sign_in(before.clone()).await.unwrap().status(), 303);
    let signed_in = csrf_at(&app, &b, "/account").await;
    assert_ne!(
        signed_in, before,
        "a token seen before sign-in must not survive it"
    );
    // The old token no longer works for a signed-in action.
    let res = b
        .post(app.url("/account/tokens"))
        .form(&[("name", "planted"), ("csrf_token", &before)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.sql_count("SELECT count(*) FROM api_tokens").await, 0);
    let res = b
        .post(app.url("/logout"))
        .form(&[("csrf_token", &signed_in)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let after = csrf_at(&app, &b, "/login").await;
    assert_ne!(after, signed_in);
    assert_ne!(after, before);
    // Signing in through the API renews it as well.
    let res = b
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_ne!(csrf_at(&app, &b, "/account").await, after);
}
