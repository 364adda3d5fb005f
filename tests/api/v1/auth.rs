//! `/api/v1/auth/register`, `/login`, `/logout`.

use serde_json::json;

use crate::common::{expect_error, json as body, TestApp};

fn creds(u: &str, e: &str, p: &str) -> serde_json::Value {
    json!({"username": u, "email": e, "password": p})
}

#[tokio::test]
async fn register_sets_a_session_cookie_and_signs_in() {
    let app = TestApp::spawn().await;
    let c = app.browser();
    let res = c
        .post(app.url("/api/v1/auth/register"))
        .json(&creds("alice", "alice@example.com", "correct-horse"))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let v = body(res, 201).await;
    assert_eq!(v["username"], "alice");
    let me = body(c.get(app.url("/api/v1/me")).send().await.unwrap(), 200).await;
    assert_eq!(me["username"], "alice");
    // The password is stored as argon2id, never in clear.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1
    );
}

#[tokio::test]
async fn register_validates_every_field() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let cases = [
        creds("a", "a@example.com", "correct-horse"),
        creds("-alice", "a@example.com", "correct-horse"),
        creds("alice-", "a@example.com", "correct-horse"),
        creds("al--ice", "a@example.com", "correct-horse"),
        creds("al_ice", "a@example.com", "correct-horse"),
        creds(&"x".repeat(40), "a@example.com", "correct-horse"),
        creds("alice", "not-an-email", "correct-horse"),
        creds("alice", "a@b", "correct-horse"),
        creds("alice", "a@example.com", "short"),
        creds("alice", "a@example.com", &"p".repeat(257)),
    ];
    for case in cases {
        let res = c
            .post(app.url("/api/v1/auth/register"))
            .json(&case)
            .send()
            .await
            .unwrap();
        let e = expect_error(res, 400).await;
        assert!(!e.is_empty(), "{case}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn duplicates_are_409_case_insensitively_with_one_message() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let mut messages = vec![];
    // A taken username, a taken email, both: the answer never says which.
    for (u, e) in [
        ("ALICE", "other@example.com"),
        ("alice2", "Alice@Example.com"),
        ("alice", "alice@example.com"),
    ] {
        messages.push(
            expect_error(
                c.post(app.url("/api/v1/auth/register"))
                    .json(&creds(u, e, "correct-horse"))
                    .send()
                    .await
                    .unwrap(),
                409,
            )
            .await,
        );
    }
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
    assert!(messages[0].contains("username or email"), "{}", messages[0]);
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn malformed_bodies_are_400_json() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for (ct, body) in [
        ("application/json", "{not json".to_string()),
        (
            "application/json",
            r#"{"username": 5, "password": []}"#.to_string(),
        ),
        ("application/json", r#"{"username": "a"}"#.to_string()),
        ("application/json", "[]".to_string()),
        (
            "text/plain",
            r#"{"username":"a","password":"b"}"#.to_string(),
        ),
        (
            "application/json",
            format!(r#"{{"username":"{}","password":"x"}}"#, "a".repeat(100_000)),
        ),
        (
            "application/json",
            format!("{}1{}", "[".repeat(5000), "]".repeat(5000)),
        ),
    ] {
        for path in ["/api/v1/auth/login", "/api/v1/auth/register"] {
            let res = c
                .post(app.url(path))
                .header("content-type", ct)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let want: &[u16] = match ct {
                "text/plain" => &[415],
                _ => &[400, 413],
            };
            assert!(want.contains(&status), "{path} {ct} → {status}");
            expect_error(res, status).await;
        }
    }
}

#[tokio::test]
async fn login_gives_a_session_cookie_and_a_new_id() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let res = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let first = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(first.starts_with("session="));
    // Signing in again (with the old cookie) yields a different session id.
    let res = c
        .post(app.url("/api/v1/auth/login"))
        .header("cookie", &first)
        .json(&json!({"username": "Alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let second = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    // Only hashes of session keys are stored.
    let raw_key = app
        .sql_count("SELECT count(*) FROM sessions WHERE length(key_hash) = 32")
        .await;
    assert!(raw_key >= 1);
}

#[tokio::test]
async fn wrong_credentials_are_one_generic_401() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let a = expect_error(
        c.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": "wrong-horse"}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let b = expect_error(
        c.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "nobody", "password": "wrong-horse"}))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(a, "invalid username or password");
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let attempt = |p: &'static str| {
        c.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": p}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong-horse").await.unwrap().status(), 401);
    }
    let res = attempt("correct-horse").await.unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    expect_error(res, 429).await;
    // Another account from the same address is not locked by alice's failures.
    app.register("bob").await;
    let res = c
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn concurrent_guesses_cannot_outrun_the_account_limit() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let guesses = (0..100).map(|i| {
        let c = app.client();
        let url = app.url("/api/v1/auth/login");
        async move {
            c.post(url)
                .json(&json!({"username": "alice", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // The bucket holds 5: exactly 5 passwords were checked, whatever the timing.
    assert_eq!((tried, refused), (5, 95), "{statuses:?}");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action = 'session.sign_in_failed'")
            .await,
        5
    );
}

#[tokio::test]
async fn the_account_limit_is_one_whichever_identifier_is_typed() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let attempt = |login: &'static str, p: &'static str| {
        c.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": login, "password": p}))
            .send()
    };
    for login in [
        "alice",
        "ALICE",
        "alice@example.com",
        "Alice@Example.com",
        "alice",
    ] {
        assert_eq!(attempt(login, "wrong-horse").await.unwrap().status(), 401);
    }
    for login in ["alice@example.com", "alice"] {
        assert_eq!(
            attempt(login, "correct-horse").await.unwrap().status(),
            429,
            "{login}"
        );
    }
}

#[tokio::test]
async fn a_successful_sign_in_costs_nothing() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let c = app.client();
    let attempt = |p: &'static str| {
        c.post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": p}))
            .send()
    };
    for _ in 0..4 {
        assert_eq!(attempt("wrong-horse").await.unwrap().status(), 401);
    }
    // Paid up front and refunded, so the fifth guess is still allowed.
    for _ in 0..3 {
        assert_eq!(attempt("correct-horse").await.unwrap().status(), 200);
    }
    assert_eq!(attempt("wrong-horse").await.unwrap().status(), 401);
    assert_eq!(attempt("wrong-horse").await.unwrap().status(), 429);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_address() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let mut statuses = vec![];
    for i in 0..21 {
        let res = c
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": format!("user{i}"), "password": "wrong-horse"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        200
    );
    let res = c
        .post(app.url("/api/v1/auth/logout"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    expect_error(c.get(app.url("/api/v1/me")).send().await.unwrap(), 401).await;
    assert_eq!(app.sql_count("SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn expired_sessions_are_signed_out() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    app.sql("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .await;
    expect_error(c.get(app.url("/api/v1/me")).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn sessions_last_seven_days() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let days = app
        .sql_count(
            "SELECT round(extract(epoch FROM max(expires_at) - now()) / 86400) FROM sessions",
        )
        .await;
    assert_eq!(days, 7);
}
