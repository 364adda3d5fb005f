//! `POST` and `DELETE /api/v1/packages/{name}/deprecate`, the `deprecated`
//! field of the metadata, and where a deprecated package ranks in search.

use serde_json::{json, Value};

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

async fn put(app: &TestApp, token: &str, name: &str) {
    let tgz = tarball::package(name, "1.0.0");
    body(publish(app, token, name, "1.0.0", tgz).await, 201).await;
}

fn url(app: &TestApp, name: &str) -> String {
    app.url(&format!("/api/v1/packages/{name}/deprecate"))
}

async fn deprecate(app: &TestApp, token: &str, name: &str, b: Value) -> reqwest::Response {
    app.client()
        .post(url(app, name))
        .bearer_auth(token)
        .json(&b)
        .send()
        .await
        .unwrap()
}

async fn undeprecate(app: &TestApp, token: &str, name: &str) -> reqwest::Response {
    app.client()
        .delete(url(app, name))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn metadata(app: &TestApp, name: &str) -> Value {
    let res = app
        .client()
        .get(app.url(&format!("/api/v1/packages/{name}")))
        .send()
        .await
        .unwrap();
    body(res, 200).await
}

async fn audit(app: &TestApp, action: &str) -> i64 {
    app.sql_count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}' AND package = 'demo'"
    ))
    .await
}

#[tokio::test]
async fn an_owner_deprecates_replaces_and_undoes_it_and_each_change_is_audited() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    put(&app, &alice, "demo").await;
    put(&app, &alice, "demo2").await;
    assert!(metadata(&app, "demo").await["package"]["deprecated"].is_null());

    let b = json!({"message": "  Unmaintained; use demo2.  ", "successor": "Demo2"});
    let d = body(deprecate(&app, &alice, "demo", b).await, 200).await;
    assert_eq!(d["message"], "Unmaintained; use demo2.");
    // The successor is named as it was published, whatever the spelling sent.
    assert_eq!(d["successor"], "demo2");
    let at = d["at"].as_str().unwrap().to_string();
    let meta = metadata(&app, "demo").await;
    assert_eq!(meta["package"]["deprecated"], d);
    // Additive: the fields the CLI reads are all still there.
    assert_eq!(meta["package"]["latest_version"], "1.0.0");
    assert_eq!(meta["versions"][0]["version"], "1.0.0");
    assert_eq!(audit(&app, "package.deprecate").await, 1);
    let subject = app
        .sql_text("SELECT subject FROM audit_log WHERE action = 'package.deprecate'")
        .await;
    assert_eq!(subject, "Unmaintained; use demo2.");

    // Again: the message and successor are replaced, the date is kept.
    let d = body(
        deprecate(
            &app,
            &alice,
            "demo",
            json!({"message": "Gone.", "successor": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(d, json!({"message": "Gone.", "successor": null, "at": at}));
    assert_eq!(metadata(&app, "demo").await["package"]["deprecated"], d);
    assert_eq!(audit(&app, "package.deprecate").await, 2);

    let v = body(undeprecate(&app, &alice, "demo").await, 200).await;
    assert_eq!(v, json!({"name": "demo", "deprecated": null}));
    assert!(metadata(&app, "demo").await["package"]["deprecated"].is_null());
    assert_eq!(audit(&app, "package.undeprecate").await, 1);
    // Undoing what is not there answers the same and records nothing.
    body(undeprecate(&app, &alice, "demo").await, 200).await;
    assert_eq!(audit(&app, "package.undeprecate").await, 1);
    let actor = app
        .sql_text("SELECT actor FROM audit_log WHERE action = 'package.undeprecate'")
        .await;
    assert_eq!(actor, "alice");
}

#[tokio::test]
async fn only_an_owner_with_the_yank_scope_may_and_unknown_packages_are_404() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    let no_yank = app
        .token(
            &alice_browser,
            json!({"name": "p", "scopes": ["publish-update"]}),
        )
        .await;
    put(&app, &alice, "demo").await;
    let b = json!({"message": "old"});
    let c = app.client();
    expect_error(
        c.post(url(&app, "demo")).json(&b).send().await.unwrap(),
        401,
    )
    .await;
    expect_error(c.delete(url(&app, "demo")).send().await.unwrap(), 401).await;
    let e = expect_error(deprecate(&app, &bob, "demo", b.clone()).await, 403).await;
    assert!(e.contains("not an owner"), "{e}");
    expect_error(undeprecate(&app, &bob, "demo").await, 403).await;
    let e = expect_error(deprecate(&app, &no_yank, "demo", b.clone()).await, 403).await;
    assert!(e.contains("yank"), "{e}");
    expect_error(deprecate(&app, &alice, "nope", b.clone()).await, 404).await;
    expect_error(undeprecate(&app, &alice, "nope").await, 404).await;
    assert!(metadata(&app, "demo").await["package"]["deprecated"].is_null());
    assert_eq!(audit(&app, "package.deprecate").await, 0);

    // A session works too, with a JSON body (against CSRF).
    let e = expect_error(
        alice_browser
            .post(url(&app, "demo"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("message=old")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(e.contains("application/json"), "{e}");
    let d = body(
        alice_browser
            .post(url(&app, "demo"))
            .json(&b)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(d["message"], "old");
    body(
        alice_browser
            .delete(url(&app, "demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(metadata(&app, "demo").await["package"]["deprecated"].is_null());
}

#[tokio::test]
async fn bad_messages_and_successors_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    put(&app, &alice, "demo").await;
    let cases = [
        (json!({"message": "   "}), 400, "empty"),
        (json!({"message": "x".repeat(501)}), 400, "at most 500"),
        (json!({"message": "ring\u{7}"}), 400, "control character"),
        (
            json!({"message": "m", "successor": "not a name"}),
            400,
            "successor",
        ),
        // The name as sent, like the document's pattern: no blank, no padding.
        (json!({"message": "m", "successor": ""}), 400, "successor"),
        (
            json!({"message": "m", "successor": " demo2"}),
            400,
            "successor",
        ),
        (
            json!({"message": "m", "successor": "nowhere"}),
            422,
            "not a package here",
        ),
        (
            json!({"message": "m", "successor": "DEMO"}),
            422,
            "own successor",
        ),
        (json!({"message": "m", "extra": 1}), 400, "extra"),
        (json!({"successor": null}), 400, "message"),
    ];
    for (b, status, says) in cases {
        let e = expect_error(deprecate(&app, &alice, "demo", b.clone()).await, status).await;
        assert!(e.contains(says), "{b}: {e}");
    }
    assert!(metadata(&app, "demo").await["package"]["deprecated"].is_null());
    assert_eq!(audit(&app, "package.deprecate").await, 0);
    // Exactly 500 characters is allowed.
    let long = "é".repeat(500);
    let d = body(
        deprecate(&app, &alice, "demo", json!({"message": long})).await,
        200,
    )
    .await;
    assert_eq!(d["message"].as_str().unwrap().chars().count(), 500);
}

#[tokio::test]
async fn a_mirrored_package_is_upstreams_to_deprecate() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    put(&app, &alice, "demo").await;
    // Held here as a copy of upstream's package (what the mirror writes).
    app.sql("UPDATE packages SET mirrored_from = 'https://upstream.example' WHERE name = 'demo'")
        .await;
    let e = expect_error(
        deprecate(&app, &alice, "demo", json!({"message": "old"})).await,
        409,
    )
    .await;
    assert!(e.contains("upstream"), "{e}");
    expect_error(undeprecate(&app, &alice, "demo").await, 409).await;
    let n = app
        .sql_count("SELECT count(*) FROM packages WHERE deprecated_at IS NOT NULL")
        .await;
    assert_eq!(n, 0);
}

async fn search(app: &TestApp, q: &str) -> Value {
    let res = app
        .client()
        .get(app.url(&format!("/api/v1/search?q={q}")))
        .send()
        .await
        .unwrap();
    body(res, 200).await
}

fn names(v: &Value) -> Vec<&str> {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_deprecated_package_ranks_below_equal_matches_but_not_below_weaker_ones() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    for (name, description, readme) in [
        ("alpha-widget", "A gizmo toolkit", "Docs."),
        ("beta-widget", "A gizmo toolkit", "Docs."),
        // A weaker match: the word only in its README.
        ("gamma-widget", "A toolkit", "Works with any gizmo."),
    ] {
        let manifest = format!(
            "[package]\nname = {name:?}\nversion = \"1.0.0\"\ndescription = {description:?}\nentrypoint = \"package.sema\"\n\n[deps]\n"
        );
        let tgz = tarball::build(&[
            ("sema.toml", manifest.as_bytes()),
            ("package.sema", b"(define x 1)"),
            ("README.md", readme.as_bytes()),
        ]);
        body(publish(&app, &alice, name, "1.0.0", tgz).await, 201).await;
    }
    // alpha is the more popular of the two equal matches.
    app.sql(
        "INSERT INTO version_downloads (version_id, date, downloads)
         SELECT v.id, current_date, 50 FROM versions v JOIN packages p ON p.id = v.package_id
         WHERE p.name = 'alpha-widget'",
    )
    .await;
    let v = search(&app, "gizmo").await;
    assert_eq!(names(&v), ["alpha-widget", "beta-widget", "gamma-widget"]);
    assert_eq!(v["packages"][0]["deprecated"], false);

    body(
        deprecate(
            &app,
            &alice,
            "alpha-widget",
            json!({"message": "Use beta-widget."}),
        )
        .await,
        200,
    )
    .await;
    let v = search(&app, "gizmo").await;
    assert_eq!(names(&v), ["beta-widget", "alpha-widget", "gamma-widget"]);
    assert_eq!(v["packages"][1]["deprecated"], true);
    assert_eq!(v["packages"][0]["deprecated"], false);
    // An exact name still comes first.
    let v = search(&app, "alpha-widget").await;
    assert_eq!(names(&v)[0], "alpha-widget");

    body(undeprecate(&app, &alice, "alpha-widget").await, 200).await;
    let v = search(&app, "gizmo").await;
    assert_eq!(names(&v), ["alpha-widget", "beta-widget", "gamma-widget"]);
}

#[tokio::test]
async fn a_wrong_method_on_deprecate_is_405_and_namespaced_packages_still_show() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    put(&app, &alice, "demo").await;
    put(&app, &alice, "alice/tool").await;
    // `demo/deprecate` reads as a name too; the route wins, not a lookup.
    for method in [reqwest::Method::GET, reqwest::Method::PUT] {
        let res = app
            .client()
            .request(method.clone(), url(&app, "demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "POST, DELETE", "{method}");
        expect_error(res, 405).await;
    }
    assert_eq!(
        metadata(&app, "alice/tool").await["package"]["name"],
        "alice/tool"
    );
    let d = body(
        deprecate(&app, &alice, "alice/tool", json!({"message": "m"})).await,
        200,
    )
    .await;
    assert_eq!(d["message"], "m");
    let meta = metadata(&app, "alice/tool").await;
    assert_eq!(meta["package"]["deprecated"]["message"], "m");
}
