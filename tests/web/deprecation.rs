//! The package page's deprecation banner and the owners' forms
//! (`POST /packages/{name}/deprecate`, `…/undeprecate`), the mark in search
//! results and on a user's page, and the entries in the Atom feeds.

use crate::common::{publish, tarball, TestApp};
use crate::csrf_of;

async fn get(c: &reqwest::Client, url: String) -> String {
    let res = c.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// alice owns `json` and `json2`; bob exists. Returns alice's browser and CSRF token.
async fn setup(app: &TestApp) -> (reqwest::Client, String) {
    let (alice, token) = app.user_with_token("alice").await;
    for name in ["json", "json2"] {
        let tb = tarball::package(name, "1.0.0");
        assert_eq!(publish(app, &token, name, "1.0.0", tb).await.status(), 201);
    }
    app.register("bob").await;
    let page = get(&alice, app.url("/packages/json")).await;
    (alice, csrf_of(&page))
}

async fn bob(app: &TestApp) -> reqwest::Client {
    let bob = app.browser();
    let res = bob
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    bob
}

async fn htmx_post(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(url)
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn audit_sql(action: &str) -> String {
    format!("SELECT count(*) FROM audit_log WHERE action = '{action}'")
}

#[tokio::test]
async fn an_owner_deprecates_and_undoes_it_in_place_with_htmx() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let page = get(&alice, app.url("/packages/json")).await;
    assert!(
        page.contains("hx-post=\"/packages/json/deprecate\""),
        "{page}"
    );
    assert!(!page.contains("deprecation-banner") && !page.contains("/packages/json/undeprecate"));

    let form = [
        ("message", "Use <b>json2</b>: it is faster."),
        ("successor", "json2"),
    ];
    let res = htmx_post(&alice, app.url("/packages/json/deprecate"), &csrf, &form).await;
    assert_eq!(res.status(), 200);
    let frag = res.text().await.unwrap();
    assert!(frag.starts_with("<div id=\"deprecation\""), "{frag}");
    assert!(frag.contains("deprecation-banner") && frag.contains("json is deprecated."));
    // The message is text, never markup.
    assert!(
        frag.contains("Use &#60;b&#62;json2&#60;/b&#62;") || frag.contains("Use &lt;b&gt;json2"),
        "{frag}"
    );
    assert!(!frag.contains("<b>json2</b>"));
    assert!(frag.contains("<a href=\"/packages/json2\">json2</a>"));
    assert!(frag.contains("hx-post=\"/packages/json/undeprecate\""));
    assert_eq!(app.sql_count(&audit_sql("package.deprecate")).await, 1);

    // Everyone sees the banner and the mark; only owners get the forms.
    let visitor = get(&app.client(), app.url("/packages/json")).await;
    assert!(visitor.contains("deprecation-banner") && visitor.contains("badge-deprecated"));
    assert!(visitor.contains("it is faster.") && visitor.contains("href=\"/packages/json2\""));
    assert!(!visitor.contains("/packages/json/deprecate") && !visitor.contains("/undeprecate"));
    let other = get(&bob(&app).await, app.url("/packages/json")).await;
    assert!(other.contains("deprecation-banner"));
    assert!(!other.contains("/packages/json/deprecate") && !other.contains("/undeprecate"));

    let res = htmx_post(&alice, app.url("/packages/json/undeprecate"), &csrf, &[]).await;
    assert_eq!(res.status(), 200);
    let frag = res.text().await.unwrap();
    assert!(frag.contains("json is no longer deprecated."), "{frag}");
    assert!(!frag.contains("deprecation-banner") && !frag.contains("/undeprecate"));
    assert!(frag.contains("hx-post=\"/packages/json/deprecate\""));
    assert_eq!(app.sql_count(&audit_sql("package.undeprecate")).await, 1);
    let visitor = get(&app.client(), app.url("/packages/json")).await;
    assert!(!visitor.contains("deprecation-banner") && !visitor.contains("badge-deprecated"));
}

#[tokio::test]
async fn without_javascript_the_forms_post_redirect_and_keep_a_refused_text() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    // Refused: back to the page, the error shown once and the text kept.
    let res = alice
        .post(app.url("/packages/json/deprecate"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("message", "Moved elsewhere."),
            ("successor", "nowhere"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/packages/json");
    let page = get(&alice, app.url("/packages/json")).await;
    assert!(page.contains("not a package here"), "{page}");
    assert!(page.contains(">Moved elsewhere.</textarea>") && page.contains("value=\"nowhere\""));
    assert!(!page.contains("deprecation-banner"));
    let again = get(&alice, app.url("/packages/json")).await;
    assert!(
        !again.contains("not a package here"),
        "the message is shown once"
    );
    assert_eq!(app.sql_count(&audit_sql("package.deprecate")).await, 0);

    let res = alice
        .post(app.url("/packages/json/deprecate"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("message", "Moved.\r\nSee json2."),
            ("successor", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = get(&alice, app.url("/packages/json")).await;
    assert!(page.contains("deprecation-banner") && page.contains("json is deprecated."));
    let stored = app
        .sql_text("SELECT deprecation_message FROM packages WHERE name = 'json'")
        .await;
    assert_eq!(stored, "Moved.\nSee json2.");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages WHERE deprecation_successor IS NOT NULL")
            .await,
        0
    );

    let res = alice
        .post(app.url("/packages/json/undeprecate"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = get(&alice, app.url("/packages/json")).await;
    assert!(page.contains("json is no longer deprecated.") && !page.contains("deprecation-banner"));
}

#[tokio::test]
async fn the_forms_need_an_owner_a_session_and_the_csrf_token() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let form = [("message", "old")];
    let res = alice
        .post(app.url("/packages/json/deprecate"))
        .header("HX-Request", "true")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["hx-retarget"], "#flash");
    let res = app
        .client()
        .post(app.url("/packages/json/deprecate"))
        .form(&[("csrf_token", "x"), ("message", "old")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let bob = bob(&app).await;
    let bob_csrf = csrf_of(&get(&bob, app.url("/packages/json")).await);
    for path in ["/packages/json/deprecate", "/packages/json/undeprecate"] {
        let res = htmx_post(&bob, app.url(path), &bob_csrf, &form).await;
        assert_eq!(res.status(), 403, "{path}");
        assert!(res.text().await.unwrap().contains("not an owner"));
    }
    let res = htmx_post(&alice, app.url("/packages/nope/deprecate"), &csrf, &form).await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages WHERE deprecated_at IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn search_results_a_users_page_and_the_feeds_show_it() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let form = [("message", "Use json2 & friends."), ("successor", "json2")];
    let res = htmx_post(&alice, app.url("/packages/json/deprecate"), &csrf, &form).await;
    assert_eq!(res.status(), 200);

    let c = app.client();
    // Both match; only json carries the mark.
    let results = get(&c, app.url("/search?q=json")).await;
    assert_eq!(results.matches("badge-deprecated").count(), 1, "{results}");
    let item = |name: &str| {
        let at = results
            .find(&format!("<a class=\"pkg-name\" href=\"/packages/{name}\">"))
            .unwrap_or_else(|| panic!("{name} listed"));
        let end = results[at..].find("</li>").unwrap() + at;
        (at, results[at..end].to_string())
    };
    let (json_at, json_item) = item("json");
    let (json2_at, json2_item) = item("json2");
    assert!(json_item.contains("badge-deprecated") && !json2_item.contains("badge-deprecated"));
    // The exact name still comes first: deprecation only breaks ties.
    assert!(json_at < json2_at, "{results}");
    let user = get(&c, app.url("/users/alice")).await;
    assert_eq!(user.matches("badge-deprecated").count(), 1, "{user}");

    let feed = get(&c, app.url("/packages/json/feed")).await;
    assert!(feed.contains("<title>json is deprecated</title>"), "{feed}");
    assert!(feed.contains("<category term=\"deprecated\"/>"));
    // The message, escaped for XML.
    let escaped = ["Use json2 &#38; friends.", "Use json2 &amp; friends."];
    assert!(escaped.iter().any(|m| feed.contains(m)), "{feed}");
    let all = get(&c, app.url("/feeds/releases.xml")).await;
    assert!(all.contains("<title>json is deprecated</title>"), "{all}");
    assert!(!get(&c, app.url("/packages/json2/feed"))
        .await
        .contains("deprecated"));

    let res = htmx_post(&alice, app.url("/packages/json/undeprecate"), &csrf, &[]).await;
    assert_eq!(res.status(), 200);
    let feed = get(&c, app.url("/packages/json/feed")).await;
    // Newest first: the undoing, then the deprecation, then the release.
    let undone = feed
        .find("<title>json is no longer deprecated</title>")
        .expect(&feed);
    let done = feed.find("<title>json is deprecated</title>").unwrap();
    let release = feed.find("<title>json 1.0.0</title>").unwrap();
    assert!(undone < done && done < release, "{feed}");
    assert!(!get(&c, app.url("/search?q=json"))
        .await
        .contains("badge-deprecated"));
}
