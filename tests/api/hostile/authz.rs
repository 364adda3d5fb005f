//! The authorization matrix: every mutating API route × every kind of caller,
//! generated from two lists and checked against one table of exact statuses.
//! A refused cell must change nothing; an allowed one must change something.

use serde_json::json;

use super::{form, snapshot};
use crate::common::{json as body, publish, tarball, TestApp};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Route {
    PublishNew,
    PublishUpdate,
    Yank,
    Unyank,
    AddOwner,
    RemoveOwner,
    CreateToken,
    RevokeToken,
}

const ROUTES: [Route; 8] = [
    Route::PublishNew,
    Route::PublishUpdate,
    Route::Yank,
    Route::Unyank,
    Route::AddOwner,
    Route::RemoveOwner,
    Route::CreateToken,
    Route::RevokeToken,
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Anonymous,
    /// bob's all-scope token; bob owns nothing here.
    OtherUser,
    /// alice's all-scope token; alice owns `demo` and the `alice/` namespace.
    Owner,
    /// alice's session cookie, sending JSON as the web pages' scripts do.
    OwnerSession,
    /// bob's session cookie, sending JSON.
    OtherSession,
    RevokedToken,
    ExpiredToken,
    /// alice's token with every scope but the one the route needs.
    WrongScope,
    /// alice's all-scope token limited to `other*`.
    OtherPackage,
    /// eve's token; eve owns `demo` too, but is suspended.
    Banned,
    /// alice's session cookie without a JSON content type (a forged form post).
    CookieNoJson,
}

const CALLERS: [Caller; 11] = [
    Caller::Anonymous,
    Caller::OtherUser,
    Caller::Owner,
    Caller::OwnerSession,
    Caller::OtherSession,
    Caller::RevokedToken,
    Caller::ExpiredToken,
    Caller::WrongScope,
    Caller::OtherPackage,
    Caller::Banned,
    Caller::CookieNoJson,
];

/// Rows follow `ROUTES`, columns `CALLERS`.
#[rustfmt::skip]
const EXPECTED: [[u16; 11]; 8] = [
    //  anon other owner o-ses b-ses revok expir scope o-pkg banned no-json
    [   401, 403,  201,  403,  403,  401,  401,  403,  403,  403,   403], // publish new (alice/…)
    [   401, 403,  201,  403,  403,  401,  401,  403,  403,  403,   403], // publish update (demo)
    [   401, 403,  200,  200,  403,  401,  401,  403,  403,  403,   403], // yank
    [   401, 403,  200,  200,  403,  401,  401,  403,  403,  403,   403], // unyank
    [   401, 403,  200,  200,  403,  401,  401,  403,  403,  403,   403], // add owner (an invitation)
    // A DELETE cannot be sent cross-site without a CORS preflight we never grant,
    // so the JSON content-type rule (the API's CSRF defence) is for POST/PUT/PATCH.
    [   401, 403,  200,  200,  403,  401,  401,  403,  403,  403,   200], // remove owner
    // Tokens are managed by people with a session; a token cannot mint or revoke tokens.
    [   401, 403,  403,  201,  201,  401,  401,  403,  403,  403,   403], // create token
    // Someone else's token id is "not found".
    [   401, 403,  403,  200,  404,  401,  401,  403,  403,  403,   200], // revoke token
];

fn needed_scope(r: Route) -> &'static str {
    match r {
        Route::PublishNew => "publish-new",
        Route::PublishUpdate => "publish-update",
        Route::Yank | Route::Unyank => "yank",
        Route::AddOwner | Route::RemoveOwner => "change-owners",
        // Any token is the wrong credential here.
        Route::CreateToken | Route::RevokeToken => "none",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutating_route_answers_every_caller_exactly() {
    let app = TestApp::spawn().await;
    let (alice_b, alice) = app.user_with_token("alice").await;
    let (bob_b, bob) = app.user_with_token("bob").await;
    let (_, eve) = app.user_with_token("eve").await;
    app.register("carol").await;
    app.sql("INSERT INTO users (username, email) VALUES ('dave', 'dave@example.com')")
        .await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "1.0.0",
            tarball::package("demo", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    app.sql(
        "INSERT INTO package_owners (package_id, user_id)
         SELECT p.id, u.id FROM packages p, users u WHERE p.name = 'demo' AND u.username = 'eve'",
    )
    .await;
    app.sql("UPDATE users SET banned_at = now() WHERE username = 'eve'")
        .await;
    let revoked = app.token(&alice_b, json!({"name": "revoked"})).await;
    app.sql("UPDATE api_tokens SET revoked_at = now() WHERE name = 'revoked'")
        .await;
    let expired = app
        .token(&alice_b, json!({"name": "expired", "expires_in_days": 1}))
        .await;
    app.sql(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'expired'",
    )
    .await;
    let other_pkg = app
        .token(
            &alice_b,
            json!({"name": "other-pkg", "packages": ["other*"]}),
        )
        .await;
    let mut wrong_scope = std::collections::HashMap::new();
    for scope in [
        "publish-new",
        "publish-update",
        "yank",
        "change-owners",
        "none",
    ] {
        let scopes: Vec<&str> = sema_pkg::domain::token::SCOPES
            .iter()
            .copied()
            .filter(|s| *s != scope)
            .collect();
        let t = app
            .token(
                &alice_b,
                json!({"name": format!("without-{scope}"), "scopes": scopes}),
            )
            .await;
        wrong_scope.insert(scope, t);
    }

    let c = app.client();
    let mut failures = vec![];
    let mut cells = 0;
    for (ri, route) in ROUTES.iter().enumerate() {
        for (ci, caller) in CALLERS.iter().enumerate() {
            cells += 1;
            // Each cell starts from the same state for its route.
            match route {
                Route::Yank => app.sql("UPDATE versions SET yanked = false, yanked_at = NULL").await,
                Route::Unyank => app.sql("UPDATE versions SET yanked = true, yanked_at = now()").await,
                Route::AddOwner => {
                    app.sql("DELETE FROM owner_invitations WHERE user_id = (SELECT id FROM users WHERE username = 'carol')").await
                }
                Route::RemoveOwner => {
                    app.sql(
                        "INSERT INTO package_owners (package_id, user_id)
                         SELECT p.id, u.id FROM packages p, users u WHERE p.name = 'demo' AND u.username = 'dave'
                         ON CONFLICT DO NOTHING",
                    )
                    .await
                }
                _ => {}
            }
            let target_token = if *route == Route::RevokeToken {
                let v = body(
                    alice_b
                        .post(app.url("/api/v1/tokens"))
                        .json(&json!({"name": format!("target-{ci}")}))
                        .send()
                        .await
                        .unwrap(),
                    201,
                )
                .await;
                v["id"].as_i64().unwrap()
            } else {
                0
            };
            let (method, path, payload): (&str, String, Option<serde_json::Value>) = match route {
                Route::PublishNew => (
                    "PUT",
                    format!("/api/v1/packages/alice/new-{ci}/1.0.0"),
                    None,
                ),
                Route::PublishUpdate => ("PUT", format!("/api/v1/packages/demo/1.1.{ci}"), None),
                Route::Yank => ("POST", "/api/v1/packages/demo/1.0.0/yank".into(), None),
                Route::Unyank => ("POST", "/api/v1/packages/demo/1.0.0/unyank".into(), None),
                Route::AddOwner => (
                    "POST",
                    "/api/v1/packages/demo/owners".into(),
                    Some(json!({"username": "carol"})),
                ),
                Route::RemoveOwner => ("DELETE", "/api/v1/packages/demo/owners/dave".into(), None),
                Route::CreateToken => (
                    "POST",
                    "/api/v1/tokens".into(),
                    Some(json!({"name": format!("new-{ci}")})),
                ),
                Route::RevokeToken => ("DELETE", format!("/api/v1/tokens/{target_token}"), None),
            };
            let client = match caller {
                Caller::OwnerSession | Caller::CookieNoJson => &alice_b,
                Caller::OtherSession => &bob_b,
                _ => &c,
            };
            let mut rb = client.request(method.parse().unwrap(), app.url(&path));
            let token = match caller {
                Caller::OtherUser => Some(bob.clone()),
                Caller::Owner => Some(alice.clone()),
                Caller::RevokedToken => Some(revoked.clone()),
                Caller::ExpiredToken => Some(expired.clone()),
                Caller::WrongScope => Some(wrong_scope[needed_scope(*route)].clone()),
                Caller::OtherPackage => Some(other_pkg.clone()),
                Caller::Banned => Some(eve.clone()),
                _ => None,
            };
            if let Some(t) = token {
                rb = rb.bearer_auth(t);
            }
            rb = match (route, payload) {
                (Route::PublishNew, _) => {
                    let name = format!("alice/new-{ci}");
                    rb.multipart(form(tarball::package(&name, "1.0.0")))
                }
                (Route::PublishUpdate, _) => {
                    rb.multipart(form(tarball::package("demo", &format!("1.1.{ci}"))))
                }
                (_, Some(p)) if *caller == Caller::CookieNoJson => {
                    rb.header("content-type", "text/plain").body(p.to_string())
                }
                (_, Some(p)) => rb.json(&p),
                (_, None) if *caller == Caller::CookieNoJson => rb,
                (_, None) => rb.header("content-type", "application/json"),
            };
            let before = snapshot(&app).await;
            let res = rb.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            let after = snapshot(&app).await;
            let want = EXPECTED[ri][ci];
            let mut problems = vec![];
            if status != want {
                problems.push(format!("status {status}, want {want}: {text}"));
            }
            if status >= 400 {
                let v: Option<serde_json::Value> = serde_json::from_str(&text).ok();
                if !v.is_some_and(|v| v["error"].is_string()) {
                    problems.push(format!("no JSON error: {text}"));
                }
                if after != before {
                    problems.push(format!("a refusal changed state: {before:?} -> {after:?}"));
                }
            } else if after == before {
                problems.push("an allowed call changed nothing".into());
            }
            if !problems.is_empty() {
                failures.push(format!("{route:?} × {caller:?}: {}", problems.join("; ")));
            }
        }
    }
    assert_eq!(cells, 88);
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Only a Bearer token exempts a cookie-carrying write from the JSON rule:
/// browsers attach Basic or Negotiate credentials to cross-site requests by
/// themselves (behind such proxies), so those prove nothing about the sender.
#[tokio::test]
async fn only_a_bearer_token_exempts_cookie_writes_from_the_csrf_rule() {
    let app = TestApp::spawn().await;
    let (alice_b, alice) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "1.0.0",
            tarball::package("demo", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    for auth in [
        "Basic YWxpY2U6Y29ycmVjdC1ob3JzZQ==",
        "Negotiate YIIFyQYGKwYBBQUCoIIFvTCCBbmgMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgEC",
        "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==",
        "bearer",
    ] {
        let res = alice_b
            .post(app.url("/api/v1/packages/demo/1.0.0/yank"))
            .header("authorization", auth)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, 403, "{auth}: {text}");
        assert!(
            text.contains("Content-Type: application/json"),
            "{auth}: {text}"
        );
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
    // A real Bearer token is still exempt (and is what authenticates).
    body(
        alice_b
            .post(app.url("/api/v1/packages/demo/1.0.0/yank"))
            .bearer_auth(&alice)
            .header("content-type", "text/plain")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
}
