//! What a version can do, on the pages: the capability row, the Capabilities
//! tab with its warning, the marks in the activity tab, the audit log and the
//! Atom feeds, and `cap:` in the search page.

use crate::common::{publish, tarball, TestApp};

async fn get(c: &reqwest::Client, url: String, htmx: bool) -> (u16, String) {
    let mut r = c.get(url);
    if htmx {
        r = r.header("HX-Request", "true");
    }
    let res = r.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn package(name: &str, version: &str, code: &str) -> Vec<u8> {
    let m = tarball::manifest(name, version, "");
    tarball::build(&[
        ("sema.toml", m.as_bytes()),
        ("package.sema", code.as_bytes()),
    ])
}

/// alice publishes fetch 1.0.0 (network; get, put) then the patch 1.0.1
/// (shell; get only), and `pure`, which uses nothing. Returns her browser.
async fn setup(app: &TestApp) -> reqwest::Client {
    let (alice, token) = app.user_with_token("alice").await;
    let releases = [
        (
            "fetch",
            "1.0.0",
            "(defn get (u) (http/get u))\n(defn put (u b) u)",
        ),
        ("fetch", "1.0.1", "(defn get (u)\n  (shell \"curl\" u))"),
        ("pure", "1.0.0", "(defn add (a b) (+ a b))"),
    ];
    for (name, version, code) in releases {
        let res = publish(app, &token, name, version, package(name, version, code)).await;
        assert_eq!(res.status(), 201);
    }
    alice
}

#[tokio::test]
async fn a_patch_that_adds_shell_is_a_warning_on_the_page() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let c = app.client();
    let (status, page) = get(&c, app.url("/packages/fetch"), false).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<dd id=\"cap-row\"><a href=\"/packages/fetch/1.0.1/capabilities\">shell · process</a></dd>"),
        "{page}"
    );
    assert!(
        page.contains("class=\"badge badge-warn\" href=\"/packages/fetch/1.0.1/capabilities\">1.0.1 adds shell, process</a>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/packages/fetch/capabilities\""),
        "{page}"
    );

    let (status, tab) = get(&c, app.url("/packages/fetch/capabilities"), false).await;
    assert_eq!(status, 200);
    assert!(tab.contains("<html"));
    assert!(tab.contains("class=\"cap-diff cap-warn\""), "{tab}");
    assert!(
        tab.contains("<strong>1.0.1 adds capabilities: shell, process</strong>"),
        "{tab}"
    );
    assert!(tab.contains("a patch release"), "{tab}");
    assert!(tab.contains("No longer uses: network"), "{tab}");
    assert!(
        tab.contains("API removed: <code>put</code> <span class=\"badge badge-yanked\">breaking in a patch release</span>"),
        "{tab}"
    );
    assert!(
        tab.contains("<tr><td><code>package.sema</code></td><td class=\"num\">2</td><td><code>shell</code></td><td>shell · process</td></tr>"),
        "{tab}"
    );
    // With htmx, the tabs alone.
    let (status, frag) = get(&c, app.url("/packages/fetch/1.0.1/capabilities"), true).await;
    assert_eq!(status, 200);
    assert!(
        !frag.contains("<html") && frag.contains("cap-warn"),
        "{frag}"
    );

    // The first release: nothing to compare with, no warning.
    let (_, first) = get(&c, app.url("/packages/fetch/1.0.0/capabilities"), false).await;
    assert!(
        first.contains("The first analysed release of fetch"),
        "{first}"
    );
    assert!(!first.contains("cap-warn"), "{first}");
    assert!(first.contains(
        "<dd id=\"cap-row\"><a href=\"/packages/fetch/1.0.0/capabilities\">network</a></dd>"
    ));
    // A package that uses nothing says so.
    let (_, pure) = get(&c, app.url("/packages/pure"), false).await;
    assert!(pure.contains(">no capabilities</a></dd>"), "{pure}");
    assert!(!pure.contains("badge-warn"), "{pure}");
}

#[tokio::test]
async fn feeds_activity_and_the_audit_log_mark_releases_that_add_capabilities() {
    let app = TestApp::spawn().await;
    let alice = setup(&app).await;
    for path in ["/feeds/releases.xml", "/packages/fetch/feed"] {
        let (status, feed) = get(&app.client(), app.url(path), false).await;
        assert_eq!(status, 200);
        assert!(
            feed.contains("<title>fetch 1.0.1 (adds shell, process)</title>"),
            "{path}: {feed}"
        );
        assert!(
            feed.contains(
                "<summary>Adds capabilities: shell, process. The fetch package</summary>"
            ),
            "{feed}"
        );
        assert_eq!(
            feed.matches("<category term=\"adds-capabilities\"").count(),
            1,
            "{feed}"
        );
        assert!(feed.contains("<title>fetch 1.0.0</title>"), "{feed}");
    }
    let (status, activity) = get(&alice, app.url("/packages/fetch/activity"), false).await;
    assert_eq!(status, 200);
    assert_eq!(
        activity
            .matches("<span class=\"badge badge-warn\">adds shell, process</span>")
            .count(),
        1,
        "{activity}"
    );
    let root = app.register("root").await;
    app.sql("UPDATE users SET is_admin = true WHERE username = 'root'")
        .await;
    let (status, audit) = get(&root, app.url("/admin/audit?package=fetch"), false).await;
    assert_eq!(status, 200);
    assert_eq!(
        audit
            .matches("<span class=\"badge badge-warn\">adds shell, process</span>")
            .count(),
        1,
        "{audit}"
    );
}

#[tokio::test]
async fn the_search_page_takes_cap_filters() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let (status, page) = get(&app.client(), app.url("/search?q=cap%3Anone"), false).await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/packages/pure\""), "{page}");
    assert!(!page.contains("href=\"/packages/fetch\""), "{page}");
    let (_, page) = get(&app.client(), app.url("/search?q=-cap%3Ashell"), false).await;
    assert!(page.contains("href=\"/packages/pure\"") && !page.contains("href=\"/packages/fetch\""));
    let (status, page) = get(&app.client(), app.url("/search?q=cap%3Ateleport"), false).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("unknown capability"), "{page}");
}
