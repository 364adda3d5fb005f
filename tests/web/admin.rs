//! `/admin`: users, packages and the audit log for administrators; a 404 for everyone else.

use crate::common::{publish, tarball, TestApp};
use crate::csrf_at;

struct Setup {
    root: reqwest::Client,
    csrf: String,
    alice: reqwest::Client,
    bob: reqwest::Client,
}

/// `root` is an administrator; alice owns `json` 1.0.0 and 1.1.0; bob exists.
async fn setup(app: &TestApp) -> Setup {
    let root = app.register("root").await;
    app.sql("UPDATE users SET is_admin = true WHERE username = 'root'")
        .await;
    let (alice, token) = app.user_with_token("alice").await;
    for v in ["1.0.0", "1.1.0"] {
        let res = publish(app, &token, "json", v, tarball::package("json", v)).await;
        assert_eq!(res.status(), 201);
    }
    let bob = app.register("bob").await;
    let csrf = csrf_at(app, &root, "/admin").await;
    Setup {
        root,
        csrf,
        alice,
        bob,
    }
}

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let res = c.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// An htmx post, the CSRF token in the header as the page's `hx-headers` sends it.
async fn act(app: &TestApp, c: &reqwest::Client, csrf: &str, path: &str) -> (u16, String) {
    let res = c
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The newest audit entry with this action, as `action|actor|package|version|subject`.
async fn last_entry(app: &TestApp, action: &str) -> String {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let mut conn = app.pool.get().await.unwrap();
    diesel::sql_query(
        "SELECT concat_ws('|', action, coalesce(actor, '-'), coalesce(package, '-'), \
         coalesce(version, '-'), coalesce(subject, '-')) AS line \
         FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(action)
    .get_result::<Row>(&mut conn)
    .await
    .map(|r| r.line)
    .unwrap_or_default()
}

#[tokio::test]
async fn visitors_and_non_admins_get_a_404_for_every_admin_address() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let alice_csrf = csrf_at(&app, &s.alice, "/account").await;
    for (who, c) in [("visitor", app.browser()), ("alice", s.alice.clone())] {
        for path in [
            "/admin",
            "/admin/users",
            "/admin/packages",
            "/admin/packages/json",
            "/admin/audit?action=admin.",
        ] {
            let (status, page) = get(&c, app.url(path)).await;
            assert_eq!(status, 404, "{who} {path}");
            assert!(page.contains("nothing at this address"), "{who} {path}");
            assert!(!page.contains("Audit log"), "{who} {path}");
        }
        for path in [
            "/admin/users/bob/ban",
            "/admin/users/alice/promote",
            "/admin/packages/json/1.0.0/yank",
            "/admin/packages/json/remove",
        ] {
            let (status, _) = act(&app, &c, &alice_csrf, path).await;
            assert_eq!(status, 404, "{who} {path}");
        }
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE banned_at IS NOT NULL OR (is_admin AND username <> 'root')")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.%'")
            .await,
        0
    );
    // The administrator sees every section; their account page links to it.
    let (status, page) = get(&s.root, app.url("/admin")).await;
    assert_eq!(status, 200);
    for probe in [
        "id=\"admin-users\"",
        "id=\"admin-packages\"",
        "id=\"admin-audit\"",
        ">bob<",
        ">json<",
        "version.publish",
    ] {
        assert!(page.contains(probe), "{probe}: {page}");
    }
    let (_, account) = get(&s.root, app.url("/account")).await;
    assert!(account.contains("href=\"/admin\""));
    let (_, account) = get(&s.alice, app.url("/account")).await;
    assert!(!account.contains("href=\"/admin\""));
}

#[tokio::test]
async fn ban_unban_promote_demote_work_and_are_audited_like_the_cli() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (status, row) = act(&app, &s.root, &s.csrf, "/admin/users/bob/ban").await;
    assert_eq!(status, 200, "{row}");
    assert!(!row.contains("<html") && row.starts_with("<tr"), "{row}");
    assert!(
        row.contains("banned") && row.contains("/admin/users/bob/unban"),
        "{row}"
    );
    // A ban takes effect at once: bob's session is gone.
    let res = s.bob.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        last_entry(&app, "admin.ban").await,
        "admin.ban|root|-|-|bob"
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id \
             WHERE a.action = 'admin.ban' AND u.username = 'root' AND a.ip IS NOT NULL"
        )
        .await,
        1
    );

    // The command line writes the same entry, but for its actor.
    let state = sema_pkg::connect((*app.config).clone()).unwrap();
    let cmd = sema_pkg::cli::admin::AdminCommand::Ban {
        username: "bob".into(),
    };
    sema_pkg::cli::admin::run_admin(&state, cmd).await.unwrap();
    assert_eq!(
        last_entry(&app, "admin.ban").await,
        "admin.ban|admin-cli|-|-|bob"
    );

    let (status, row) = act(&app, &s.root, &s.csrf, "/admin/users/bob/unban").await;
    assert_eq!(status, 200, "{row}");
    assert!(row.contains("/admin/users/bob/ban"), "{row}");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE banned_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        last_entry(&app, "admin.unban").await,
        "admin.unban|root|-|-|bob"
    );

    let (status, row) = act(&app, &s.root, &s.csrf, "/admin/users/bob/promote").await;
    assert_eq!(status, 200, "{row}");
    assert!(
        row.contains("admin</span>") && row.contains("/demote"),
        "{row}"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE is_admin AND username = 'bob'")
            .await,
        1
    );
    assert_eq!(
        last_entry(&app, "admin.promote").await,
        "admin.promote|root|-|-|bob"
    );
    let (status, _) = act(&app, &s.root, &s.csrf, "/admin/users/bob/demote").await;
    assert_eq!(status, 200);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE is_admin AND username = 'bob'")
            .await,
        0
    );
    assert_eq!(
        last_entry(&app, "admin.demote").await,
        "admin.demote|root|-|-|bob"
    );

    // Without JavaScript: a plain form asks first on a page of its own and
    // changes nothing; the answer bans, then back to the list.
    let res = s
        .root
        .post(app.url("/admin/users/alice/ban"))
        .form(&[("csrf_token", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<h1 id=\"confirm-h\">Ban alice?</h1>")
            && page.contains("action=\"/admin/users/alice/ban\"")
            && page.contains("name=\"confirmed\" value=\"yes\""),
        "{page}"
    );
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM users WHERE banned_at IS NOT NULL AND username = 'alice'"
        )
        .await,
        0,
        "asking changed nothing"
    );
    let res = s
        .root
        .post(app.url("/admin/users/alice/ban"))
        .form(&[("csrf_token", s.csrf.as_str()), ("confirmed", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/users?q=alice");
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM users WHERE banned_at IS NOT NULL AND username = 'alice'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn yank_unyank_and_remove_work_and_are_audited_like_the_cli() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (status, page) = get(&s.root, app.url("/admin/packages/json")).await;
    assert_eq!(status, 200);
    assert!(page.contains("/admin/packages/json/1.0.0/yank") && page.contains("alice"));

    let (status, row) = act(&app, &s.root, &s.csrf, "/admin/packages/json/1.0.0/yank").await;
    assert_eq!(status, 200, "{row}");
    assert!(
        row.starts_with("<tr") && row.contains("/admin/packages/json/1.0.0/unyank"),
        "{row}"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked AND version = '1.0.0'")
            .await,
        1
    );
    assert_eq!(
        last_entry(&app, "admin.yank").await,
        "admin.yank|root|json|1.0.0|-"
    );
    let state = sema_pkg::connect((*app.config).clone()).unwrap();
    let cmd = sema_pkg::cli::admin::PackageCommand::Yank {
        name: "json".into(),
        version: "1.0.0".into(),
    };
    sema_pkg::cli::admin::run_package(&state, cmd)
        .await
        .unwrap();
    assert_eq!(
        last_entry(&app, "admin.yank").await,
        "admin.yank|admin-cli|json|1.0.0|-"
    );

    let (status, _) = act(&app, &s.root, &s.csrf, "/admin/packages/json/1.0.0/unyank").await;
    assert_eq!(status, 200);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
    assert_eq!(
        last_entry(&app, "admin.unyank").await,
        "admin.unyank|root|json|1.0.0|-"
    );

    let (status, done) = act(&app, &s.root, &s.csrf, "/admin/packages/json/remove").await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("json was removed"), "{done}");
    assert_eq!(
        last_entry(&app, "admin.remove").await,
        "admin.remove|root|json|-|-"
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 0);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages WHERE removed_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(get(&app.browser(), app.url("/packages/json")).await.0, 404);
    // The tombstone stays listed for administrators.
    let (_, list) = get(&s.root, app.url("/admin/packages?q=json")).await;
    assert!(list.contains("removed "), "{list}");
}

#[tokio::test]
async fn every_admin_action_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for path in [
        "/admin/users/bob/ban",
        "/admin/users/bob/promote",
        "/admin/packages/json/1.0.0/yank",
        "/admin/packages/json/remove",
    ] {
        let res = s
            .root
            .post(app.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let text = res.text().await.unwrap();
        assert!(text.contains("reload the page"), "{path}: {text}");
        let (status, _) = act(&app, &s.root, "not-the-token", path).await;
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.%'")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE banned_at IS NOT NULL OR (is_admin AND username = 'bob')")
            .await,
        0
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages WHERE removed_at IS NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn bad_input_gets_a_readable_4xx_never_a_5xx() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for (path, status, probe) in [
        ("/admin/users?page=abc", 400, "page must be a number"),
        ("/admin/users?page=0", 400, "page must be a number"),
        (
            "/admin/audit?page=99999999999999999999",
            400,
            "page must be a number",
        ),
        ("/admin/packages?page=-1", 400, "page must be a number"),
        ("/admin/packages/nope", 404, "not found"),
        ("/admin/packages/a%00b", 404, ""),
        ("/admin/users?q=%25_%5C", 200, "Users matching"),
        (
            "/admin/audit?actor=%27%3B+DROP+TABLE+users&package=%25&action=_",
            200,
            "Entries: 0",
        ),
    ] {
        let (got, page) = get(&s.root, app.url(path)).await;
        assert_eq!(got, status, "{path}: {page}");
        assert!(page.contains(probe), "{path}: {page}");
    }
    let long = "x".repeat(5000);
    let (got, _) = get(&s.root, app.url(&format!("/admin/users?q={long}"))).await;
    assert_eq!(got, 200);
    for (path, status, probe) in [
        ("/admin/users/nobody/ban", 404, "not found"),
        ("/admin/users/root/ban", 400, "cannot ban yourself"),
        ("/admin/users/ROOT/demote", 400, "cannot demote yourself"),
        ("/admin/users/bob/explode", 404, ""),
        ("/admin/packages/json/9.9.9/yank", 404, "not found"),
        ("/admin/packages/nope/remove", 404, "not found"),
    ] {
        let (got, fragment) = act(&app, &s.root, &s.csrf, path).await;
        assert_eq!(got, status, "{path}: {fragment}");
        assert!(!fragment.contains("<html"), "{path}: a fragment for htmx");
        assert!(fragment.contains(probe), "{path}: {fragment}");
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.%'")
            .await,
        0
    );
}

#[tokio::test]
async fn lists_search_and_the_audit_log_filters_and_pages() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (_, users) = get(&s.root, app.url("/admin/users?q=ALI")).await;
    assert!(
        users.contains(">alice<") && !users.contains(">bob<"),
        "{users}"
    );
    // htmx gets the section alone.
    let res = s
        .root
        .get(app.url("/admin/packages?q=JS"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    let section = res.text().await.unwrap();
    assert!(!section.contains("<html") && section.contains("id=\"admin-packages\""));
    assert!(section.contains("/admin/packages/json"), "{section}");
    let (_, none) = get(&s.root, app.url("/admin/packages?q=zzz")).await;
    assert!(none.contains("(removed ones included): 0"), "{none}");

    app.sql(
        "INSERT INTO audit_log (action, actor, package, at) \
         SELECT 'test.event', 'Carol', 'json', now() - n * interval '1 second' \
         FROM generate_series(1, 120) AS n",
    )
    .await;
    let (_, page1) = get(&s.root, app.url("/admin/audit?action=test.&actor=carol")).await;
    assert!(
        page1.contains("Entries: 120") && page1.contains("page 1 of 3"),
        "{page1}"
    );
    assert_eq!(page1.matches("<code>test.event</code>").count(), 50);
    // The next page keeps the filters (the `&` are HTML-escaped in the attribute).
    let unescaped = page1.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        unescaped.contains("href=\"/admin/audit?actor=carol&action=test.&page=2\""),
        "{page1}"
    );
    let (_, page3) = get(
        &s.root,
        app.url("/admin/audit?action=test.&actor=carol&page=3"),
    )
    .await;
    assert_eq!(page3.matches("<code>test.event</code>").count(), 20);
    assert!(page3.contains("rel=\"prev\"") && !page3.contains("rel=\"next\""));
    // By package: the two publishes and the 120 test entries.
    let (_, by_pkg) = get(&s.root, app.url("/admin/audit?package=JSON")).await;
    assert!(by_pkg.contains("Entries: 122"), "{by_pkg}");
    let (_, publishes) = get(&s.root, app.url("/admin/audit?action=version.publish")).await;
    assert!(publishes.contains("Entries: 2"), "{publishes}");
    // `_` is a literal underscore, not a wildcard.
    let (_, literal) = get(&s.root, app.url("/admin/audit?action=test_")).await;
    assert!(literal.contains("Entries: 0"), "{literal}");
}

#[tokio::test]
async fn a_name_is_claimed_from_the_packages_section_and_audited_like_the_cli() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (_, page) = get(&s.root, app.url("/admin")).await;
    assert!(page.contains("action=\"/admin/claims\""), "{page}");
    let claim = |c: &reqwest::Client, name: &str, csrf: &str| {
        c.post(app.url("/admin/claims"))
            .form(&[("name", name), ("csrf_token", csrf)])
            .send()
    };
    // Not an administrator: the ordinary 404; without the token: refused.
    let alice_csrf = csrf_at(&app, &s.alice, "/account").await;
    let res = claim(&s.alice, "http", &alice_csrf).await.unwrap();
    assert_eq!(res.status(), 404);
    let res = claim(&s.root, "http", "wrong").await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.sql_count("SELECT count(*) FROM name_claims").await, 0);

    let res = claim(&s.root, "Http", &s.csrf).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/audit?action=admin.claim");
    assert_eq!(
        app.sql_text("SELECT name FROM name_claims WHERE canonical_name = 'http'")
            .await,
        "Http"
    );
    assert_eq!(
        last_entry(&app, "admin.claim").await,
        "admin.claim|root|-|-|Http"
    );
    // Claiming twice is harmless; a local package has nothing to claim; a bad name is a 400.
    let res = claim(&s.root, "http", &s.csrf).await.unwrap();
    assert_eq!(res.status(), 303);
    let res = claim(&s.root, "json", &s.csrf).await.unwrap();
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("already a local package"));
    let res = claim(&s.root, "bad name!", &s.csrf).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.sql_count("SELECT count(*) FROM name_claims").await, 1);
}

#[tokio::test]
async fn without_javascript_yank_and_remove_ask_first_and_unyank_does_not() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let post = |path: &'static str, confirmed: bool| {
        let mut form = vec![("csrf_token", s.csrf.clone())];
        if confirmed {
            form.push(("confirmed", "yes".into()));
        }
        s.root.post(app.url(path)).form(&form).send()
    };
    for (path, title) in [
        ("/admin/packages/json/1.0.0/yank", "Yank json 1.0.0?"),
        ("/admin/packages/json/remove", "Remove json?"),
    ] {
        let res = post(path, false).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(&format!("<h1 id=\"confirm-h\">{title}</h1>"))
                && page.contains(&format!("action=\"{path}\""))
                && page.contains("<a href=\"/admin/packages/json\">Cancel</a>"),
            "{path}: {page}"
        );
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.%'")
            .await,
        0,
        "asking changed nothing"
    );
    // No question about what does not exist.
    assert_eq!(
        post("/admin/packages/json/9.9.9/yank", false)
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        post("/admin/packages/nope/remove", false)
            .await
            .unwrap()
            .status(),
        404
    );
    let res = post("/admin/packages/json/1.0.0/yank", true).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        1
    );
    // Unyanking takes nothing away: no question.
    let res = post("/admin/packages/json/1.0.0/unyank", false)
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        0
    );
    let res = post("/admin/packages/json/remove", true).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages WHERE removed_at IS NOT NULL")
            .await,
        1
    );
}
