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

/// Bob, signed in, accepts his invitation to json: owners join only by accepting.
async fn bob_accepts(app: &TestApp) {
    let bob = app.browser();
    bob.post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let res = bob
        .post(app.url("/api/v1/me/invitations/json/accept"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
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
        panel.starts_with("<div id=\"owners-panel\"") && panel.contains("bob is invited"),
        "{panel}"
    );
    // Invited, not an owner: not listed or counted until bob accepts on his account page.
    assert!(!panel.contains("/packages/json/owners/bob/remove"));
    assert!(
        panel.contains("<span class=\"n\" id=\"n-owners\" hx-swap-oob=\"true\">1</span>"),
        "{panel}"
    );
    let bob = app.browser();
    bob.post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bob", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let (_, account) = get(&bob, app.url("/account"), false).await;
    assert!(
        account.contains("/account/invitations/json/accept"),
        "{account}"
    );
    let res = bob
        .post(app.url("/account/invitations/json/accept"))
        .form(&[("csrf_token", csrf_of(&account))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/packages/json/owners");
    let (_, page) = get(&alice, app.url("/packages/json/owners"), false).await;
    assert!(
        page.contains("/packages/json/owners/bob/remove") && page.contains("id=\"n-owners\">2<"),
        "{page}"
    );
    assert!(page.contains("<a href=\"/users/alice\">alice</a>, <a href=\"/users/bob\">bob</a>"));
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
    let panel = res.text().await.unwrap();
    assert!(panel.contains("bob is no longer an owner"), "{panel}");
    // The tab's count and the sidebar follow, swapped out of band.
    assert!(
        panel.contains("<span class=\"n\" id=\"n-owners\" hx-swap-oob=\"true\">1</span>"),
        "{panel}"
    );
    assert!(panel.contains(
        "<dd id=\"side-owners\" hx-swap-oob=\"true\"><a href=\"/users/alice\">alice</a></dd>"
    ));
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
        .form(&[("csrf_token", csrf.as_str()), ("confirmed", "yes")])
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
    // An owner sees what happened, not from where: addresses are for administrators.
    assert!(!full.contains("dim\">127.0.0.1</td>"), "{full}");
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
    assert!(page.contains("dim\">127.0.0.1</td>"), "{page}");
}

#[tokio::test]
async fn a_version_page_pins_its_install_line_and_counts_its_own_downloads() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    app.sql("INSERT INTO version_downloads (version_id, date, downloads) SELECT id, CURRENT_DATE, CASE version WHEN '1.0.0' THEN 7 ELSE 5 END FROM versions")
        .await;
    let c = app.client();
    let (_, page) = get(&c, app.url("/packages/json/1.0.0"), false).await;
    assert!(page.contains("<code id=\"install-cmd\">sema pkg add json@1.0.0</code>"));
    assert!(page.contains("<code id=\"toml-line\">json = &#34;1.0.0&#34;</code>"));
    assert!(page.contains("↓ 7 of 1.0.0") && !page.contains("↓ 12"));
    assert!(page.contains("href=\"/api/v1/packages/json/1.0.0/download\" download"));
    // The tarball's files, listed from the blob store.
    assert!(
        page.contains("<code>README.md</code>") && page.contains("<code>sema.toml</code>"),
        "{page}"
    );
    // The selector lists every version, the shown one marked, and keeps the tab.
    assert!(page.contains("<a href=\"/packages/json/1.0.0\" aria-current=\"page\">1.0.0</a>"));
    let (_, stats) = get(&c, app.url("/packages/json/1.0.0/stats"), false).await;
    assert!(stats.contains("href=\"/packages/json/1.1.0/stats\""));
    // The package's own page: the latest, unpinned, and the package's total.
    let (_, page) = get(&c, app.url("/packages/json"), false).await;
    assert!(page.contains("<code id=\"install-cmd\">sema pkg add json</code>"));
    assert!(page.contains("<code id=\"toml-line\">json = &#34;1.1.0&#34;</code>"));
    assert!(page.contains("↓ 12 downloads"));
    // Link previews and one address per page (on BASE_URL, not the address asked).
    assert!(page.contains("<link rel=\"canonical\" href=\"http://127.0.0.1/packages/json\">"));
    assert!(page.contains("<meta property=\"og:title\" content=\"json\">"));
    // The README's `# json 1.1.0` is an h2 with an anchor: the page has one h1.
    assert_eq!(page.matches("<h1").count(), 1);
    assert!(page.contains("<h2 id=\"json-110\">json 1.1.0<a class=\"anchor\" href=\"#json-110\">"));
    // Copy buttons wait for JavaScript.
    assert!(
        page.contains("data-copy=\"#install-cmd\" aria-label=\"Copy the install command\" hidden>")
    );
}

#[tokio::test]
async fn the_dependents_tab_has_a_count() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let (_, token) = app.user_with_token("carol").await;
    let manifest = "[package]\nname = \"web\"\nversion = \"0.1.0\"\n[deps]\njson = \"1.0.0\"\n";
    let tb = tarball::build(&[
        ("sema.toml", manifest.as_bytes()),
        ("package.sema", b"(define y 1)"),
    ]);
    assert_eq!(
        publish(&app, &token, "web", "0.1.0", tb).await.status(),
        201
    );
    let (_, page) = get(&app.client(), app.url("/packages/json"), false).await;
    assert!(
        page.contains("Dependents <span class=\"n\" id=\"n-dependents\">1</span>"),
        "{page}"
    );
}

#[tokio::test]
async fn without_javascript_yanking_and_removing_an_owner_ask_first() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let post = |path: &'static str, confirmed: bool| {
        let mut form = vec![("csrf_token", csrf.clone())];
        if confirmed {
            form.push(("confirmed", "yes".into()));
        }
        alice.post(app.url(path)).form(&form).send()
    };
    let res = post("/packages/json/1.1.0/yank", false).await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<h1 id=\"confirm-h\">Yank json 1.1.0?</h1>"),
        "{page}"
    );
    assert!(page.contains("action=\"/packages/json/1.1.0/yank\""));
    assert!(page.contains("name=\"confirmed\" value=\"yes\""));
    assert!(page.contains("<a href=\"/packages/json/versions\">Cancel</a>"));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0,
        "asking changed nothing"
    );
    let res = post("/packages/json/9.9.9/yank", false).await.unwrap();
    assert_eq!(
        res.status(),
        404,
        "no question about a version that does not exist"
    );
    let res = post("/packages/json/1.1.0/yank", true).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        1
    );
    // Unyanking takes nothing away: no question.
    let res = post("/packages/json/1.1.0/unyank", false).await.unwrap();
    assert_eq!(res.status(), 303);

    alice
        .post(app.url("/packages/json/owners"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "bob")])
        .send()
        .await
        .unwrap();
    bob_accepts(&app).await;
    let res = post("/packages/json/owners/bob/remove", false)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Remove bob as an owner of json?"));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM package_owners").await,
        2
    );
    let res = post("/packages/json/owners/bob/remove", true)
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM package_owners").await,
        1
    );
}

#[tokio::test]
async fn without_javascript_a_refused_owner_comes_back_to_the_form_once() {
    let app = TestApp::spawn().await;
    let (alice, csrf) = setup(&app).await;
    let res = alice
        .post(app.url("/packages/json/owners"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "nobody-here")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/packages/json/owners");
    let (status, page) = get(&alice, app.url("/packages/json/owners"), false).await;
    assert_eq!(status, 200);
    assert!(page.contains("role=\"alert\" data-transient>"), "{page}");
    assert!(page.contains("not found") && page.contains("value=\"nobody-here\""));
    // The header still names alice: this is her page, not an error page.
    assert!(page.contains("<a href=\"/account\">alice</a>"));
    let (_, again) = get(&alice, app.url("/packages/json/owners"), false).await;
    assert!(!again.contains("data-transient") && !again.contains("nobody-here"));
    // Success is said once too.
    alice
        .post(app.url("/packages/json/owners"))
        .form(&[("csrf_token", csrf.as_str()), ("username", "bob")])
        .send()
        .await
        .unwrap();
    let (_, page) = get(&alice, app.url("/packages/json/owners"), false).await;
    assert!(
        page.contains("bob is invited") && page.contains("id=\"n-owners\">1<"),
        "{page}"
    );
}
