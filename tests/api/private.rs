//! Private mode (`REGISTRY_ACCESS=private`): every route of the routing table,
//! API and pages, refuses anonymous requests; a token or a session gets in;
//! health checks and signing in stay open.

use crate::common::{expect_error, json, publish, tarball, TestApp};

/// What stays open, by method and path pattern (as clients write it).
const OPEN: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/register"),
    ("POST", "/logout"),
    ("GET", "/auth/github"),
    ("GET", "/auth/github/callback"),
    ("GET", "/auth/github/username"),
    ("POST", "/auth/github/username"),
];

/// A concrete path for a pattern: every parameter gets a value its route accepts.
fn sample(path: &str) -> String {
    let action = if path.contains("/admin/users/") {
        "ban"
    } else {
        "yank"
    };
    path.replace("{name}", "json")
        .replace("{version}", "1.0.0")
        .replace("{tab}", "readme")
        .replace("{action}", action)
        .replace("{username}", "alice")
        .replace("{id}", "1")
        .replace("{n}", "1")
        .replace("{tail}", "json/1.0.0")
}

fn method(m: &actix_web::http::Method) -> reqwest::Method {
    reqwest::Method::from_bytes(m.as_str().as_bytes()).unwrap()
}

async fn private_app() -> (TestApp, reqwest::Client, String) {
    // Registration open, so the test can make its user through the API.
    let app = TestApp::spawn_with(|c| {
        c.private = true;
        c.registration_open = true;
    })
    .await;
    let (browser, token) = app.user_with_token("alice").await;
    let res = publish(
        &app,
        &token,
        "json",
        "1.0.0",
        tarball::package("json", "1.0.0"),
    )
    .await;
    json(res, 201).await;
    (app, browser, token)
}

#[tokio::test]
async fn anonymous_requests_to_every_route_are_refused_while_a_token_or_a_session_gets_in() {
    let (app, browser, token) = private_app().await;
    let public = TestApp::spawn().await;
    let anon = app.client();
    let mut walked = 0;
    for r in sema_pkg::routes::api_routes() {
        let pattern = r.client_path();
        let path = sample(&pattern);
        let res = anon
            .request(method(&r.method), app.url(&path))
            .send()
            .await
            .unwrap();
        if OPEN.contains(&(r.method.as_str(), pattern.as_str())) {
            assert_ne!(res.status(), 401, "{} {path} is open", r.method);
            continue;
        }
        walked += 1;
        let what = format!("{} {path}", r.method);
        if r.method == actix_web::http::Method::HEAD {
            assert_eq!(res.status(), 401, "{what}");
            continue;
        }
        let err = expect_error(res, 401).await;
        assert!(err.contains("this registry is private"), "{what}: {err}");
        // The same request with a token passes the guard.
        let res = anon
            .request(method(&r.method), app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 401, "{what} with a token");
    }
    for r in sema_pkg::routes::web_routes() {
        let pattern = r.client_path();
        let path = sample(&pattern);
        let res = anon
            .request(method(&r.method), app.url(&path))
            .send()
            .await
            .unwrap();
        let what = format!("{} {path}", r.method);
        if OPEN.contains(&(r.method.as_str(), pattern.as_str())) {
            // Answered exactly as a public registry answers it.
            let same = anon
                .request(method(&r.method), public.url(&path))
                .send()
                .await
                .unwrap();
            let location = |r: &reqwest::Response| r.headers().get("location").cloned();
            assert_eq!(res.status(), same.status(), "{what} is open");
            assert_eq!(location(&res), location(&same), "{what} is open");
            continue;
        }
        walked += 1;
        assert_eq!(res.status(), 303, "{what}");
        assert_eq!(res.headers()["location"], "/login", "{what}");
    }
    assert!(walked >= 49, "walked {walked} routes");
    // Outside the two tables: the OpenAPI document and unknown paths are refused too.
    expect_error(
        anon.get(app.url("/api/openapi.json")).send().await.unwrap(),
        401,
    )
    .await;
    expect_error(
        anon.get(app.url("/api/v1/nothing")).send().await.unwrap(),
        401,
    )
    .await;
    assert_eq!(
        anon.get(app.url("/nothing")).send().await.unwrap().status(),
        303
    );
    // Open: health checks, the sign-in page and the assets it loads.
    for path in ["/healthz", "/readyz", "/login", "/static/style.css"] {
        let res = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    // The CLI never sends its token on search: the 401 says so.
    let err = expect_error(
        anon.get(app.url("/api/v1/search?q=json"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(err.contains("never sends its token on search"), "{err}");
    // An invalid token is no way in.
    let res = anon
        .get(app.url("/api/v1/packages/json"))
        .bearer_auth("sema_pat_not-a-token")
        .send()
        .await
        .unwrap();
    expect_error(res, 401).await;
    // A token installs; a session browses.
    let c = app.client();
    let meta = c
        .get(app.url("/api/v1/packages/json"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    json(meta, 200).await;
    let res = c
        .get(app.url("/api/v1/packages/json/1.0.0/download"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "private, max-age=31536000, immutable",
        "kept out of shared caches"
    );
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        tarball::package("json", "1.0.0")
    );
    for path in ["/", "/packages/json", "/search?q=json", "/sitemap.xml"] {
        let res = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn registration_is_closed_and_accounts_come_from_the_operator() {
    let app = TestApp::spawn_with(|c| {
        c.private = true;
        c.registration_open = false;
    })
    .await;
    let res = app
        .client()
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "mallory", "email": "m@example.com", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let err = expect_error(res, 403).await;
    assert!(err.contains("sema-pkg admin create-user"), "{err}");
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 0);
    let page = app
        .client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Create an account"), "{page}");
    assert!(page.contains("Registration is closed"), "{page}");
}
