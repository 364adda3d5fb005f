//! `/packages/{name}[/{version}][/{tab}]`, its htmx tabs and owner actions.

use crate::common::{publish, tarball, TestApp};
use crate::csrf_of;

async fn get(c: &reqwest::Client, url: String, htmx: bool) -> (u16, String) {
    let mut r = c.get(url);
    if htmx {
        r = r.header("HX-Request", "true");
    }
    let res = r.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// alice owns `json` (1.0.0 and 1.1.0); bob exists. Returns alice's browser and CSRF token.
async fn setup(app: &TestApp) -> (reqwest::Client, String) {
    let (alice, token) = app.user_with_token("alice").await;
    for v in ["1.0.0", "1.1.0"] {
        let tb = tarball::build(&[
            (
                "sema.toml",
                tarball::manifest("json", v, "license = \"MIT\"").as_bytes(),
            ),
            ("package.sema", b"(define x 1)"),
            (
                "README.md",
                format!("# json {v}\n\n```sema\n(define (f x) \"s\") ; c\n```\n").as_bytes(),
            ),
        ]);
        assert_eq!(publish(app, &token, "json", v, tb).await.status(), 201);
    }
    app.register("bob").await;
    let (_, page) = get(&alice, app.url("/packages/json"), false).await;
    (alice, csrf_of(&page))
}

#[tokio::test]
async fn the_page_is_whole_without_htmx_and_the_tabs_alone_with_it() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let c = app.client();
    let (status, page) = get(&c, app.url("/packages/json"), false).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html") && page.contains("<title>json · Sema packages</title>"));
    assert!(page.contains("sema pkg add json") && page.contains("data-copy=\"#install-cmd\""));
    assert!(page.contains("MIT") && page.contains("1.1.0"));
    // The README, with Sema highlighted on the server.
    assert!(
        page.contains("<span class=\"tok-form\">define</span>"),
        "{page}"
    );
    assert!(page.contains("<span class=\"tok-com\">; c</span>"));
    let (status, frag) = get(&c, app.url("/packages/json"), true).await;
    assert_eq!(status, 200);
    assert!(
        !frag.contains("<html") && frag.contains("class=\"tabs\"") && frag.contains("tok-form")
    );
    for (tab, probe) in [
        ("versions", "1.0.0"),
        ("dependencies", "no dependencies"),
        ("dependents", "No published package depends on json"),
        ("owners", "/users/alice"),
        ("stats", "<svg"),
        ("readme", "json 1.1.0"),
    ] {
        let (status, full) = get(&c, app.url(&format!("/packages/json/{tab}")), false).await;
        assert_eq!(status, 200, "{tab}");
        assert!(
            full.contains("<html") && full.contains(probe),
            "{tab}: {full}"
        );
        assert!(full.contains("aria-current=\"page\""), "{tab}");
        let (status, frag) = get(&c, app.url(&format!("/packages/json/{tab}")), true).await;
        assert_eq!(status, 200, "{tab}");
        assert!(
            !frag.contains("<html") && frag.contains(probe),
            "{tab}: {frag}"
        );
    }
    // A version's own page and tabs; the README is that version's.
    let (status, page) = get(&c, app.url("/packages/json/1.0.0"), false).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("json 1.0.0") && page.contains("latest is 1.1.0"),
        "{page}"
    );
    let (status, _) = get(&c, app.url("/packages/json/1.0.0/versions"), true).await;
    assert_eq!(status, 200);
    // Any spelling finds it; unknown names and versions are readable 404 pages.
    assert_eq!(get(&c, app.url("/packages/JSON"), false).await.0, 200);
    let (status, page) = get(&c, app.url("/packages/nope"), false).await;
    assert!(status == 404 && page.contains("<html") && page.contains("not found"));
    let (status, page) = get(&c, app.url("/packages/json/9.9.9"), false).await;
    assert!(status == 404 && page.contains("not found"), "{page}");
    let (status, frag) = get(&c, app.url("/packages/json/9.9.9/stats"), true).await;
    assert!(status == 404 && !frag.contains("<html"));
    let (status, _) = get(&c, app.url("/packages/%3Cscript%3E/x/y/z"), false).await;
    assert_eq!(status, 404);
    // Visitors see no owner actions.
    let (_, page) = get(&c, app.url("/packages/json/versions"), false).await;
    assert!(!page.contains("/yank\"") && !page.contains("Add owner"));
}

#[tokio::test]
async fn owners_yank_and_unyank_with_htmx_and_plain_forms() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let (_, page) = get(&alice, app.url("/packages/json/versions"), false).await;
    assert!(page.contains("hx-post=\"/packages/json/1.1.0/yank\"") && page.contains("hx-confirm"));
    let res = alice
        .post(app.url("/packages/json/1.1.0/yank"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let row = res.text().await.unwrap();
    assert!(
        row.starts_with("<tr") && row.contains("badge-yanked") && row.contains("/unyank"),
        "{row}"
    );
    let api: serde_json::Value = app
        .client()
        .get(app.url("/api/v1/packages/json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["package"]["latest_version"], "1.0.0");
    // Without JavaScript: a form post and a redirect back to the tab.
    let res = alice
        .post(app.url("/packages/json/1.1.0/unyank"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/packages/json/versions");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
}

#[tokio::test]
async fn owner_actions_need_an_owner_a_session_and_the_csrf_token() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    // No CSRF token: refused, as a fragment for htmx.
    let res = alice
        .post(app.url("/packages/json/1.1.0/yank"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["hx-retarget"], "#flash");
    // Not signed in.
    let res = app
        .client()
        .post(app.url("/packages/json/1.1.0/yank"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Signed in, but not an owner.
    let bob = app.browser();
    bob.post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let (_, page) = get(&bob, app.url("/packages/json/owners"), false).await;
    assert!(!page.contains("Add owner"));
    let bob_csrf = csrf_of(&page);
    for path in [
        "/packages/json/1.1.0/yank",
        "/packages/json/owners/alice/remove",
    ] {
        let res = bob
            .post(app.url(path))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &bob_csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        assert!(res.text().await.unwrap().contains("not an owner"));
    }
    let res = bob
        .post(app.url("/packages/json/owners"))
        .header("X-CSRF-Token", &bob_csrf)
        .form(&[("username", "bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM package_owners").await,
        1
    );
    // Unknown packages and versions are 404s, not 5xx.
    let res = alice
        .post(app.url("/packages/json/7.7.7/yank"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn add_and_remove_owners_in_place() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let add = |username: &'static str| {
        alice
            .post(app.url("/packages/json/owners"))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &csrf)
            .form(&[("username", username)])
            .send()
    };
    let res = add("bob").await.unwrap();
    assert_eq!(res.status(), 200);
    let panel = res.text().await.unwrap();
    assert!(
        panel.starts_with("<div id=\"owners-panel\">") && panel.contains("bob is now an owner")
    );
    assert!(panel.contains("/packages/json/owners/bob/remove"));
    let res = add("nobody").await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["hx-retarget"], "#flash");
    let res = add("").await.unwrap();
    assert_eq!(res.status(), 400);
    let res = alice
        .post(app.url("/packages/json/owners/bob/remove"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("bob is no longer an owner"));
    // The last owner stays, with a readable message.
    let res = alice
        .post(app.url("/packages/json/owners/alice/remove"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("last owner"));
    // Plain form: redirect back to the Owners tab.
    let res = alice
        .post(app.url("/packages/json/owners"))
        .form(&[("username", "bob"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/packages/json/owners");
}

#[tokio::test]
async fn user_supplied_text_never_runs_script() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("mallory").await;
    let manifest = "[package]\nname = \"evil\"\nversion = \"1.0.0\"\ndescription = \"<script>alert('d')</script>\"\nkeywords = [\"x\"]\n[deps]\n";
    let readme = "# hi\n\n<script>alert('r')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\">x</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n";
    let tb = tarball::build(&[
        ("sema.toml", manifest.as_bytes()),
        ("package.sema", b"(define x 1)"),
        ("README.md", readme.as_bytes()),
    ]);
    assert_eq!(
        publish(&app, &token, "evil", "1.0.0", tb).await.status(),
        201
    );
    // Values the manifest check would refuse, written straight into the table.
    app.sql("UPDATE packages SET repository_url = 'javascript:alert(3)', homepage = 'javascript:alert(4)', keywords = ARRAY['<script>alert(5)</script>', '\"><svg onload=alert(6)>'] WHERE name = 'evil'").await;
    let c = app.client();
    for path in [
        "/packages/evil",
        "/search?q=evil",
        "/users/mallory",
        "/",
        "/packages/evil/feed",
        "/feeds/releases.xml",
    ] {
        let (status, body) = get(&c, app.url(path), false).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("<script>alert"), "{path}: {body}");
        assert!(!body.contains("<svg onload"), "{path}");
        assert!(!body.contains("href=\"javascript:"), "{path}");
        assert!(!body.contains("onerror="), "{path}");
        assert!(!body.contains("<iframe"), "{path}");
    }
    let (_, page) = get(&c, app.url("/packages/evil"), false).await;
    // The bad repository URL is shown as text, not as a link.
    assert!(
        page.contains("javascript:alert(3)") && !page.contains("alert(4)"),
        "{page}"
    );
    assert!(
        page.contains("&#60;script&#62;alert(&#39;d&#39;)&#60;/script&#62;"),
        "{page}"
    );
}

/// Browsing creates no session (so crawlers write nothing), every visitor
/// without one gets the same cached page, and an owner's change shows at once.
#[tokio::test]
async fn visitors_share_a_cached_page_that_follows_changes() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let sessions = app.sql_count("SELECT count(*) FROM sessions").await;
    let visitor = app.client();
    let url = app.url("/packages/json");
    let mut pages = Vec::new();
    for htmx in [false, false, true, true] {
        let mut r = visitor.get(&url);
        if htmx {
            r = r.header("HX-Request", "true");
        }
        let res = r.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none());
        pages.push(res.text().await.unwrap());
    }
    // Served from memory (the setup's own notifications may drop an entry
    // once more, so at least one of the repeats is a hit).
    let hits = ["shelf=\"pages\"", "result=\"hit\""];
    let mut cached = app.metric("sema_pkg_cache_lookups_total", &hits).await;
    for _ in 0..50 {
        if cached >= 1.0 {
            break;
        }
        get(&visitor, url.clone(), false).await;
        cached = app.metric("sema_pkg_cache_lookups_total", &hits).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(cached >= 1.0);
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[2], pages[3]);
    assert!(pages[0].contains("<html") && !pages[2].contains("<html"));
    assert!(
        pages[0].contains("X-CSRF-Token\": \"\""),
        "no token for visitors"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM sessions").await,
        sessions
    );

    // alice yanks 1.1.0 through the web: visitors see 1.0.0 as the latest.
    let res = alice
        .post(app.url("/packages/json/1.1.0/yank"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let (_, after) = get(&visitor, url.clone(), false).await;
    assert!(pages[0].contains("json 1.1.0"));
    assert!(after.contains("json 1.0.0") && !after.contains("json 1.1.0:"));
}

#[tokio::test]
async fn the_activity_tab_is_for_owners_and_administrators_only() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    // An owner action on the web shows up in the trail.
    let res = alice
        .post(app.url("/packages/json/1.0.0/yank"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, page) = get(&alice, app.url("/packages/json"), false).await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/packages/json/activity\""), "{page}");
    let (status, full) = get(&alice, app.url("/packages/json/activity"), false).await;
    assert_eq!(status, 200);
    assert!(full.contains("<html") && full.contains("aria-current=\"page\""));
    assert!(
        full.contains("<code>version.publish</code>") && full.contains("<code>version.yank</code>"),
        "{full}"
    );
    let (status, frag) = get(&alice, app.url("/packages/json/activity"), true).await;
    assert_eq!(status, 200);
    assert!(!frag.contains("<html") && frag.contains("<code>version.yank</code>"));
    // A version's page has the tab too.
    let (status, _) = get(&alice, app.url("/packages/json/1.0.0/activity"), false).await;
    assert_eq!(status, 200);

    // Visitors and other users: no link, and the address does not exist.
    let bob = app.browser();
    let login = bob
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    for (who, c) in [("visitor", app.client()), ("bob", bob)] {
        let (_, page) = get(&c, app.url("/packages/json"), false).await;
        assert!(!page.contains("/activity"), "{who}: {page}");
        for htmx in [false, true] {
            for path in ["/packages/json/activity", "/packages/json/1.0.0/activity"] {
                let (status, body) = get(&c, app.url(path), htmx).await;
                assert_eq!(status, 404, "{who} {path}");
                assert!(!body.contains("version.publish"), "{who} {path}");
            }
        }
    }

    // Administrators see every package's trail.
    let root = app.register("root").await;
    app.sql("UPDATE users SET is_admin = true WHERE username = 'root'")
        .await;
    let (status, page) = get(&root, app.url("/packages/json/activity"), false).await;
    assert_eq!(status, 200);
    assert!(page.contains("<code>version.yank</code>"));
}
