//! `/auth/github…` against a stand-in GitHub that checks the client secret and PKCE.

use crate::common::github::{account, FakeGithub, CLIENT_ID, CLIENT_SECRET};
use crate::common::TestApp;
use crate::{csrf_at, csrf_of};

async fn app_with(gh: &FakeGithub) -> TestApp {
    let cfg = gh.config();
    TestApp::spawn_with(move |c| c.github = Some(cfg)).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect: {}", res.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Follows /auth/github → GitHub's authorize → our callback; returns the callback's response.
async fn through_github(app: &TestApp, b: &reqwest::Client, start: &str) -> reqwest::Response {
    let res = b.get(app.url(start)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let authorize = location(&res);
    assert!(
        authorize.contains("code_challenge=") && authorize.contains("state="),
        "{authorize}"
    );
    let res = b.get(&authorize).send().await.unwrap();
    callback(app, b, &location(&res)).await
}

/// Calls our callback with the path and query GitHub redirected to.
async fn callback(app: &TestApp, b: &reqwest::Client, to: &str) -> reqwest::Response {
    let u = url::Url::parse(to).unwrap();
    assert_eq!(u.path(), "/auth/github/callback");
    b.get(app.url(&format!("{}?{}", u.path(), u.query().unwrap_or(""))))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_button_appears_only_when_configured() {
    let plain = TestApp::spawn().await;
    let page = plain
        .client()
        .get(plain.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Sign in with GitHub"));
    assert_eq!(
        plain
            .client()
            .get(plain.url("/auth/github"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let gh = FakeGithub::start();
    let app = app_with(&gh).await;
    let page = app
        .client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in with GitHub"));
}

#[tokio::test]
async fn a_new_github_user_gets_an_account_and_signs_in_again_later() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(101, "octo-cat"));
    let app = app_with(&gh).await;
    let b = app.browser();
    let res = through_github(&app, &b, "/auth/github").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("octo-cat"), "{page}");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE username = 'octo-cat' AND github_id = 101 AND password_hash IS NULL AND email = 'octo-cat@users.example.com'").await,
        1
    );
    // Next time, the same GitHub id signs in to the same account with a new session.
    let other = app.browser();
    let res = through_github(&app, &other, "/auth/github").await;
    assert_eq!(location(&res), "/account");
    assert!(other
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("octo-cat"));
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 1);
    // Signing up and each sign-in are in the audit log, saying how.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action = 'user.register' AND actor = 'octo-cat' AND subject = 'github:octo-cat'").await,
        1
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action = 'session.sign_in' AND actor = 'octo-cat' AND subject = 'github:octo-cat'").await,
        1
    );
}

#[tokio::test]
async fn a_taken_username_asks_for_another() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(7, "alice"));
    let app = app_with(&gh).await;
    app.register("alice").await;
    let b = app.browser();
    let res = through_github(&app, &b, "/auth/github").await;
    assert_eq!(location(&res), "/auth/github/username");
    let page = b
        .get(app.url("/auth/github/username"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Choose a username") && page.contains("alice"));
    let csrf = csrf_of(&page);
    let res = b
        .post(app.url("/auth/github/username"))
        .form(&[("username", "alice"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("taken"));
    let res = b
        .post(app.url("/auth/github/username"))
        .form(&[("username", "-bad"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = b
        .post(app.url("/auth/github/username"))
        .form(&[("username", "alice-gh"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE username = 'alice-gh' AND github_id = 7")
            .await,
        1
    );
}

#[tokio::test]
async fn a_username_that_is_someone_elses_namespace_asks_for_another() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(8, "acme"));
    let app = app_with(&gh).await;
    let (_, bob) = app.user_with_token("bob").await;
    let res = crate::common::publish(
        &app,
        &bob,
        "acme/lib",
        "0.1.0",
        crate::common::tarball::package("acme/lib", "0.1.0"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let b = app.browser();
    let res = through_github(&app, &b, "/auth/github").await;
    assert_eq!(location(&res), "/auth/github/username");
    let csrf = csrf_at(&app, &b, "/auth/github/username").await;
    let res = b
        .post(app.url("/auth/github/username"))
        .form(&[("username", "ACME"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("namespace"));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE github_id = 8")
            .await,
        0,
        "nothing half-made"
    );
    let res = b
        .post(app.url("/auth/github/username"))
        .form(&[("username", "acme-gh"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(
        app.sql_text("SELECT u.username FROM namespaces n JOIN users u ON u.id = n.owner_id WHERE n.name = 'acme-gh'")
            .await,
        "acme-gh"
    );
}

#[tokio::test]
async fn connect_and_disconnect_from_the_account_page() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(55, "bob-on-github"));
    let app = app_with(&gh).await;
    let b = app.register("bob").await;
    let res = through_github(&app, &b, "/auth/github?connect=1").await;
    assert_eq!(location(&res), "/account");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE username = 'bob' AND github_id = 55")
            .await,
        1
    );
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Connected to GitHub as <strong>bob-on-github</strong>"),
        "{page}"
    );
    // Another account cannot take the same GitHub identity.
    let carol = app.register("carol").await;
    let res = through_github(&app, &carol, "/auth/github?connect=1").await;
    assert_eq!(res.status(), 409);
    // Bob has a password, so he may disconnect.
    let csrf = csrf_at(&app, &b, "/account").await;
    let res = b
        .post(app.url("/account/github/disconnect"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE github_id IS NOT NULL")
            .await,
        0
    );
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Connect GitHub") && !page.contains("Connected to GitHub"),
        "{page}"
    );
    for action in ["user.github_connect", "user.github_disconnect"] {
        let sql = format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND actor = 'bob' AND subject = 'bob-on-github'");
        assert_eq!(app.sql_count(&sql).await, 1, "{action}");
    }
    // Carol's refused attempt changed nothing, so it recorded nothing.
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM audit_log WHERE actor = 'carol' AND action LIKE 'user.github%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_github_only_account_cannot_lock_itself_out() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(9, "solo"));
    let app = app_with(&gh).await;
    let b = app.browser();
    through_github(&app, &b, "/auth/github").await;
    let csrf = csrf_at(&app, &b, "/account").await;
    let res = b
        .post(app.url("/account/github/disconnect"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("set a password"));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action = 'user.github_disconnect'")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE github_id = 9")
            .await,
        1
    );
}

#[tokio::test]
async fn every_failure_is_a_clear_page_and_creates_no_user() {
    let gh = FakeGithub::start();
    let app = app_with(&gh).await;
    let expect_page = |res: reqwest::Response, needle: &'static str| async move {
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!((400..500).contains(&status), "{status}: {body}");
        assert!(
            body.contains("<html") && body.contains(needle),
            "{needle}: {body}"
        );
    };

    // Denied consent.
    let mut denied = account(1, "denier");
    denied.deny = true;
    gh.sign_in_as(denied);
    expect_page(
        through_github(&app, &app.browser(), "/auth/github").await,
        "declined",
    )
    .await;

    // Missing and mismatched state.
    gh.sign_in_as(account(2, "stater"));
    let b = app.browser();
    expect_page(
        b.get(app.url("/auth/github/callback?code=x"))
            .send()
            .await
            .unwrap(),
        "not started here",
    )
    .await;
    let res = b.get(app.url("/auth/github")).send().await.unwrap();
    let res = b.get(location(&res)).send().await.unwrap();
    let to = location(&res).replace("state=", "state=forged");
    expect_page(callback(&app, &b, &to).await, "state mismatch").await;

    // A replayed code: the first use signs in, the second is refused.
    let b = app.browser();
    let res = b.get(app.url("/auth/github")).send().await.unwrap();
    let res = b.get(location(&res)).send().await.unwrap();
    let to = location(&res);
    let state = url::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    assert_eq!(callback(&app, &b, &to).await.status(), 303);
    let again = app.browser();
    let res = again.get(app.url("/auth/github")).send().await.unwrap();
    let fresh_state = url::Url::parse(&location(&res))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    expect_page(
        callback(&app, &again, &to.replace(&state, &fresh_state)).await,
        "did not accept",
    )
    .await;

    // PKCE: a code issued for one browser's challenge, redeemed with another browser's verifier.
    let (a, b2) = (app.browser(), app.browser());
    let res = a.get(app.url("/auth/github")).send().await.unwrap();
    let res = a.get(location(&res)).send().await.unwrap();
    let a_to = location(&res);
    let a_state = url::Url::parse(&a_to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let res = b2.get(app.url("/auth/github")).send().await.unwrap();
    let b_state = url::Url::parse(&location(&res))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    expect_page(
        callback(&app, &b2, &a_to.replace(&a_state, &b_state)).await,
        "did not accept",
    )
    .await;

    // No verified email.
    let mut unverified = account(3, "unverified");
    unverified.verified = false;
    gh.sign_in_as(unverified);
    expect_page(
        through_github(&app, &app.browser(), "/auth/github").await,
        "verified",
    )
    .await;

    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE github_id <> 2")
            .await,
        0,
        "no half-created users"
    );
}

#[tokio::test]
async fn github_unreachable_is_a_clear_page() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(4, "offline"));
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = gh.config();
    cfg.token_url = format!("http://127.0.0.1:{dead}/login/oauth/access_token");
    let app = TestApp::spawn_with(move |c| c.github = Some(cfg)).await;
    let res = through_github(&app, &app.browser(), "/auth/github").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("could not be reached"));
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn the_stand_in_verifies_pkce_and_the_client_secret() {
    let gh = FakeGithub::start();
    gh.sign_in_as(account(8, "pkce"));
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "a".repeat(43);
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let authorize = |challenge: String| {
        let c = c.clone();
        let base = gh.base.clone();
        async move {
            let res = c
                .get(format!("{base}/login/oauth/authorize?client_id={CLIENT_ID}&redirect_uri=http://x/cb&state=s&code_challenge={challenge}&code_challenge_method=S256"))
                .send()
                .await
                .unwrap();
            let to = location(&res);
            url::Url::parse(&to)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "code")
                .unwrap()
                .1
                .to_string()
        }
    };
    let token = |code: String, verifier: String, secret: &'static str| {
        let c = c.clone();
        let base = gh.base.clone();
        async move {
            c.post(format!("{base}/login/oauth/access_token"))
                .basic_auth(CLIENT_ID, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "http://x/cb"),
                    ("code_verifier", &verifier),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        token(
            authorize(challenge.clone()).await,
            "b".repeat(43),
            CLIENT_SECRET
        )
        .await,
        400,
        "wrong verifier"
    );
    assert_eq!(
        token(
            authorize(challenge.clone()).await,
            verifier.clone(),
            "wrong"
        )
        .await,
        401,
        "wrong secret"
    );
    assert_eq!(
        token(authorize(challenge).await, verifier, CLIENT_SECRET).await,
        200
    );
}
