//! `GET /api/v1/search`: matching, ranking, pagination, sorts, filters and
//! hostile input, on small fixed corpora published through the real API.

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

/// Publishes `name@version` with this description, keywords and README.
async fn put(
    app: &TestApp,
    token: &str,
    name: &str,
    version: &str,
    description: &str,
    keywords: &[&str],
    readme: &str,
) {
    let keywords = keywords
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let manifest = format!(
        "[package]\nname = {name:?}\nversion = {version:?}\ndescription = {description:?}\nkeywords = [{keywords}]\nentrypoint = \"package.sema\"\n\n[deps]\n"
    );
    let tgz = tarball::build(&[
        ("sema.toml", manifest.as_bytes()),
        ("package.sema", b"(define x 1)"),
        ("README.md", readme.as_bytes()),
    ]);
    body(publish(app, token, name, version, tgz).await, 201).await;
}

async fn search(app: &TestApp, query: &str) -> serde_json::Value {
    body(
        app.client()
            .get(app.url(&format!("/api/v1/search?{query}")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// Sets a package's download history: `recent` today, `old` 200 days ago.
async fn downloads(app: &TestApp, name: &str, recent: i64, old: i64) {
    for (days, n) in [(0, recent), (200, old)] {
        if n > 0 {
            app.sql(&format!(
                "INSERT INTO version_downloads (version_id, date, downloads)
                 SELECT v.id, current_date - {days}, {n} FROM versions v JOIN packages p ON p.id = v.package_id
                 WHERE p.name = '{name}' ORDER BY v.id DESC LIMIT 1"
            ))
            .await;
        }
    }
}

/// The corpus for the relevance tests.
async fn corpus(app: &TestApp) {
    let (_, alice) = app.user_with_token("alice").await;
    let (_, sema) = app.user_with_token("sema").await;
    put(
        app,
        &alice,
        "json",
        "1.0.0",
        "Fast encoding and decoding",
        &["serialization"],
        "# json\n\nEncode values.",
    )
    .await;
    put(
        app,
        &alice,
        "json-schema",
        "0.2.0",
        "Validate documents against schemas",
        &["validation"],
        "# json-schema\n\nSchemas.",
    )
    .await;
    put(
        app,
        &alice,
        "yaml",
        "1.0.0",
        "YAML reader that also reads JSON files",
        &["config"],
        "# yaml\n\nReads YAML.",
    )
    .await;
    put(
        app,
        &alice,
        "confy",
        "0.1.0",
        "Configuration loader",
        &["config"],
        "# confy\n\nLoads settings from TOML or json.",
    )
    .await;
    put(
        app,
        &alice,
        "http-client",
        "1.0.0",
        "Requests with retries",
        &["web"],
        "# http-client\n\nSends requests.",
    )
    .await;
    put(
        app,
        &alice,
        "html",
        "1.0.0",
        "Markup builder",
        &["web"],
        "# html\n\nBuilds markup.",
    )
    .await;
    put(
        app,
        &sema,
        "sema/http",
        "1.0.0",
        "Server and router",
        &["web"],
        "# sema/http\n\nServes.",
    )
    .await;
    put(
        app,
        &alice,
        "logging",
        "1.0.0",
        "Leveled output with sinks",
        &["log"],
        "# logging\n\nWrites lines.",
    )
    .await;
    put(
        app,
        &alice,
        "it",
        "1.0.0",
        "Iterator helpers",
        &["iter"],
        "# it\n\nIterates.",
    )
    .await;
}

#[tokio::test]
async fn exact_name_first_then_name_keyword_description_readme() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    // Give the description and README mentions more downloads than the
    // name matches: weight still wins over popularity.
    downloads(&app, "yaml", 5000, 0).await;
    downloads(&app, "confy", 9000, 0).await;
    let v = search(&app, "q=json").await;
    assert_eq!(names(&v), ["json", "json-schema", "yaml", "confy"]);
    assert_eq!(v["total"], 4);
    assert!(v["total"].is_i64(), "total must be a JSON integer");
    assert_eq!(v["packages"][0]["exact_match"], true);
    assert_eq!(v["packages"][1]["exact_match"], false);
    assert_eq!(v["packages"][0]["latest_version"], "1.0.0");
    assert_eq!(v["packages"][2]["downloads"], 5000);
    assert_eq!(v["packages"][2]["recent_downloads"], 5000);
    // Case-insensitive, and the seed's path is the same search.
    assert_eq!(names(&search(&app, "q=JSON").await)[0], "json");
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages?q=Json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(names(&v)[0], "json");
    // A name that is an English stop word is still found, and first.
    assert_eq!(names(&search(&app, "q=it").await)[0], "it");
    // Stemming: `logs` meets `logging`.
    assert_eq!(names(&search(&app, "q=logs").await), ["logging"]);
}

#[tokio::test]
async fn prefixes_typos_and_name_parts() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    downloads(&app, "sema/http", 300, 0).await;
    downloads(&app, "http-client", 200, 0).await;
    downloads(&app, "html", 100, 0).await;
    // A prefix of a name or of a part after `-` or `/`; ties go to popularity.
    assert_eq!(
        names(&search(&app, "q=ht").await),
        ["sema/http", "http-client", "html"]
    );
    assert_eq!(names(&search(&app, "q=sch").await), ["json-schema"]);
    assert_eq!(names(&search(&app, "q=json-sch").await), ["json-schema"]);
    assert_eq!(names(&search(&app, "q=sema%2Fht").await), ["sema/http"]);
    // Typos in a name.
    assert_eq!(names(&search(&app, "q=jsno").await)[0], "json");
    assert_eq!(names(&search(&app, "q=loging").await)[0], "logging");
    // Hyphenated and namespaced names by their parts and whole.
    assert_eq!(names(&search(&app, "q=schema").await), ["json-schema"]);
    let mut http = names(&search(&app, "q=http").await);
    http.sort();
    assert_eq!(http, ["http-client", "sema/http"]);
    let v = search(&app, "q=sema%2Fhttp").await;
    assert_eq!(names(&v)[0], "sema/http");
    assert_eq!(v["packages"][0]["exact_match"], true);
    let v = search(&app, "q=json-schema").await;
    assert_eq!(names(&v), ["json-schema"]);
    assert_eq!(v["packages"][0]["exact_match"], true);
    // Several words: all of them must match.
    assert_eq!(names(&search(&app, "q=json+schema").await), ["json-schema"]);
    assert_eq!(names(&search(&app, "q=yaml+json").await), ["yaml"]);
    assert_eq!(search(&app, "q=yaml+router").await["total"], 0);
    assert_eq!(search(&app, "q=zzzzqqq").await["total"], 0);
}

#[tokio::test]
async fn popular_beats_obscure_on_ties_by_recent_downloads() {
    let app = TestApp::spawn().await;
    let (_, t) = app.user_with_token("alice").await;
    for name in ["alpha-widget", "beta-widget", "gamma-widget"] {
        put(&app, &t, name, "1.0.0", "A gizmo toolkit", &[], "Docs.").await;
    }
    // gamma: many downloads, but long ago; beta: fewer, recent.
    downloads(&app, "gamma-widget", 0, 10_000).await;
    downloads(&app, "beta-widget", 50, 0).await;
    downloads(&app, "alpha-widget", 10, 0).await;
    let v = search(&app, "q=gizmo").await;
    assert_eq!(names(&v), ["beta-widget", "alpha-widget", "gamma-widget"]);
    assert_eq!(v["packages"][2]["downloads"], 10_000);
    assert_eq!(v["packages"][2]["recent_downloads"], 0);
    // All-time downloads is its own sort.
    let v = search(&app, "q=gizmo&sort=downloads").await;
    assert_eq!(names(&v), ["gamma-widget", "beta-widget", "alpha-widget"]);
    // Counts flushed later by the server land in the same totals.
    app.sql(
        "INSERT INTO version_downloads (version_id, date, downloads)
         SELECT v.id, current_date, 1000 FROM versions v JOIN packages p ON p.id = v.package_id
         WHERE p.name = 'alpha-widget'
         ON CONFLICT (version_id, date) DO UPDATE SET downloads = version_downloads.downloads + excluded.downloads",
    )
    .await;
    let v = search(&app, "q=gizmo").await;
    assert_eq!(names(&v)[0], "alpha-widget");
    assert_eq!(v["packages"][0]["recent_downloads"], 1010);
}

#[tokio::test]
async fn pagination_and_every_sort() {
    let app = TestApp::spawn().await;
    let (_, t) = app.user_with_token("alice").await;
    for name in ["pkg-c", "pkg-a", "pkg-e", "pkg-b", "pkg-d"] {
        put(&app, &t, name, "1.0.0", "A thing", &[], "Docs.").await;
    }
    downloads(&app, "pkg-b", 5, 500).await;
    downloads(&app, "pkg-d", 40, 0).await;
    downloads(&app, "pkg-a", 30, 0).await;
    // A later version moves pkg-e to the top of "updated"; "new" keeps creation order.
    put(&app, &t, "pkg-e", "1.1.0", "A thing", &[], "Docs.").await;
    put(&app, &t, "pkg-e", "1.0.1", "A thing", &[], "Docs.").await;

    let cases = [
        ("relevance", ["pkg-d", "pkg-a", "pkg-b", "pkg-c", "pkg-e"]),
        ("downloads", ["pkg-b", "pkg-d", "pkg-a", "pkg-c", "pkg-e"]),
        (
            "recent-downloads",
            ["pkg-d", "pkg-a", "pkg-b", "pkg-c", "pkg-e"],
        ),
        ("updated", ["pkg-e", "pkg-d", "pkg-b", "pkg-a", "pkg-c"]),
        ("new", ["pkg-d", "pkg-b", "pkg-e", "pkg-a", "pkg-c"]),
        ("name", ["pkg-a", "pkg-b", "pkg-c", "pkg-d", "pkg-e"]),
    ];
    for (sort, want) in cases {
        let v = search(&app, &format!("q=thing&sort={sort}")).await;
        assert_eq!(names(&v), want, "sort={sort}");
        assert_eq!(v["total"], 5);
        // Pages of two walk the same order, with honest totals past the end.
        let mut walked = Vec::new();
        for page in 1..=4 {
            let v = search(&app, &format!("q=thing&sort={sort}&per_page=2&page={page}")).await;
            assert_eq!(v["total"], 5);
            assert_eq!(v["page"], page);
            assert_eq!(v["per_page"], 2);
            walked.extend(names(&v));
        }
        assert_eq!(walked, want, "paged sort={sort}");
        // The same orders when browsing without a query.
        let v = search(&app, &format!("q=&sort={sort}")).await;
        assert_eq!(v["total"], 5);
        if sort != "relevance" {
            assert_eq!(names(&v), want, "browse sort={sort}");
        }
    }
    // An empty query browses by all-time downloads.
    let v = search(&app, "q=").await;
    assert_eq!(names(&v), ["pkg-b", "pkg-d", "pkg-a", "pkg-c", "pkg-e"]);
    assert_eq!(names(&search(&app, "").await), names(&v));
    // The latest version is the highest, not the last published.
    assert_eq!(v["packages"][4]["latest_version"], "1.1.0");
    // per_page is capped; a far page is empty but counted.
    let v = search(&app, "q=thing&per_page=1000").await;
    assert_eq!(v["per_page"], 100);
    let v = search(&app, "q=thing&page=99999999").await;
    assert_eq!(v["total"], 5);
    assert!(v["packages"].as_array().unwrap().is_empty());
    let v = search(&app, "per_page=0").await;
    assert_eq!(v["per_page"], 1);
}

#[tokio::test]
async fn keyword_owner_and_namespace_filters() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    let (_, bob) = app.user_with_token("bob").await;
    put(
        &app,
        &bob,
        "web-kit",
        "1.0.0",
        "Web toolkit",
        &["web", "http"],
        "Docs.",
    )
    .await;
    let sorted = |v: &serde_json::Value| {
        let mut n = names(v);
        n.sort();
        n
    };
    let web = ["html", "http-client", "sema/http", "web-kit"];
    assert_eq!(sorted(&search(&app, "q=keyword:web").await), web);
    assert_eq!(sorted(&search(&app, "keyword=Web").await), web);
    assert_eq!(
        names(&search(&app, "q=keyword:web+owner:bob").await),
        ["web-kit"]
    );
    assert_eq!(
        names(&search(&app, "q=keyword:web&owner=bob").await),
        ["web-kit"]
    );
    assert_eq!(names(&search(&app, "q=ns:sema").await), ["sema/http"]);
    assert_eq!(names(&search(&app, "q=http&ns=sema").await), ["sema/http"]);
    assert_eq!(
        sorted(&search(&app, "q=http+keyword:web").await),
        ["http-client", "sema/http", "web-kit"]
    );
    assert_eq!(
        names(&search(&app, "q=http+owner:sema").await),
        ["sema/http"]
    );
    assert_eq!(search(&app, "q=owner:nobody").await["total"], 0);
    assert_eq!(search(&app, "q=json+keyword:web").await["total"], 0);
    // `owner:` alone browses that user's packages.
    assert_eq!(search(&app, "q=owner:alice").await["total"], 8);
}

#[tokio::test]
async fn hostile_queries_never_5xx() {
    let app = TestApp::spawn().await;
    let (_, t) = app.user_with_token("alice").await;
    body(
        publish(&app, &t, "json", "0.1.0", tarball::package("json", "0.1.0")).await,
        201,
    )
    .await;
    let long = "x".repeat(10_000);
    let words = "json ".repeat(300);
    for q in [
        "%27%22",
        "a%26b%7Cc",
        "!%3A()",
        "json%20%26%20!",
        "%22json%22",
        "json%3A*",
        "json%20%3C-%3E%20x",
        "-json",
        "or%20json%20or",
        "%E2%9C%93",
        "%E6%97%A5%E6%9C%AC%E8%AA%9E",
        "%F0%9F%A6%80json",
        "%25",
        "_",
        "%5C",
        "%00",
        "json%00",
        "owner:%00",
        "keyword:",
        "ns:%27",
        "%0A%09",
        long.as_str(),
        words.as_str(),
    ] {
        let res = app
            .client()
            .get(app.url(&format!("/api/v1/search?q={q}")))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{q}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["total"].is_i64(), "{q}: {text}");
    }
    let v = search(&app, &format!("q={}", words.replace(' ', "+"))).await;
    assert_eq!(names(&v), ["json"]);
    // Bad parameters are 400s with a JSON error, never 5xx.
    for qs in [
        "sort=bogus",
        "q=json&sort=%00",
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "per_page=abc",
    ] {
        let res = app
            .client()
            .get(app.url(&format!("/api/v1/search?{qs}")))
            .send()
            .await
            .unwrap();
        expect_error(res, 400).await;
    }
    for qs in [
        "per_page=-5",
        "per_page=1000000000",
        "q=%FF",
        "owner=%00&ns=%00&keyword=%00",
    ] {
        let res = app
            .client()
            .get(app.url(&format!("/api/v1/search?{qs}")))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status() == 400,
            "{qs}: {}",
            res.status()
        );
    }
}

/// `n` packages `{prefix}-1…n` straight into the tables (publishing a
/// thousand tarballs would only slow the test), each with one version and
/// `base + i` downloads today; the triggers keep the rollup and search rows.
async fn bulk(app: &TestApp, prefix: &str, n: i64, description: &str, base: i64) {
    app.sql(&format!(
        "INSERT INTO packages (name, canonical_name, description)
         SELECT '{prefix}-' || i, '{prefix}-' || i, '{description}' FROM generate_series(1, {n}) i"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO versions (package_id, version, version_key, checksum, size_bytes)
         SELECT id, '1.0.0', '1.0.0', 'x', 1 FROM packages WHERE name LIKE '{prefix}-%'"
    ))
    .await;
    if base > 0 {
        app.sql(&format!(
            "INSERT INTO version_downloads (version_id, date, downloads)
             SELECT v.id, current_date, {base} + p.id FROM versions v JOIN packages p ON p.id = v.package_id
             WHERE p.name LIKE '{prefix}-%'"
        ))
        .await;
    }
}

#[tokio::test]
async fn totals_stop_at_the_cap_and_pages_past_it_are_empty() {
    let app = TestApp::spawn().await;
    bulk(&app, "capped", 1100, "A capword thing", 0).await;
    for q in ["q=capword", "q=capped", "q=thing+capword", "q="] {
        let v = search(&app, q).await;
        assert_eq!(v["total"], 1000, "{q}");
        assert!(v["total"].is_i64());
        assert_eq!(v["total_capped"], true, "{q}");
        assert_eq!(names(&v).len(), 20, "{q}");
        // The last served page is full; past it, pages are empty.
        let v = search(&app, &format!("{q}&per_page=100&page=10")).await;
        assert_eq!(names(&v).len(), 100, "{q}");
        let v = search(&app, &format!("{q}&per_page=100&page=11")).await;
        assert!(names(&v).is_empty(), "{q}");
        assert_eq!(v["total"], 1000);
    }
    // Below the cap, totals are exact: `capped-7`, `capped-70`…`79`, `capped-700`…`799`.
    let v = search(&app, "q=capped-7").await;
    assert_eq!(v["total"], 111);
    assert_eq!(v["total_capped"], false);
    assert_eq!(names(&v)[0], "capped-7");
    assert_eq!(v["packages"][0]["exact_match"], true);
    let v = search(&app, "q=capword+zzzz").await;
    assert_eq!(
        (v["total"].as_i64(), v["total_capped"].as_bool()),
        (Some(0), Some(false))
    );
    // The web page says so.
    let page = app
        .client()
        .get(app.url("/search?q=capword"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1,000+ packages"), "{page}");
}

#[tokio::test]
async fn name_matches_are_ranked_even_when_many_popular_packages_mention_the_word() {
    let app = TestApp::spawn().await;
    // More popular description-only matches than the ranking window holds.
    bulk(&app, "noise", 150, "Works with zebra", 1000).await;
    let (_, t) = app.user_with_token("alice").await;
    put(&app, &t, "zebra-kit", "1.0.0", "Stripes", &[], "Docs.").await;
    put(&app, &t, "okapi", "1.0.0", "Not a zebra", &[], "Docs.").await;
    let v = search(&app, "q=zebra").await;
    assert_eq!(names(&v)[0], "zebra-kit");
    assert_eq!(v["total"], 152);
    assert_eq!(v["total_capped"], false);
    // Among equal text matches the most downloaded come first.
    assert_eq!(v["packages"][1]["name"], "noise-150");
    let recent: Vec<i64> = v["packages"].as_array().unwrap()[1..]
        .iter()
        .map(|p| p["recent_downloads"].as_i64().unwrap())
        .collect();
    assert!(recent.windows(2).all(|w| w[0] >= w[1]), "{recent:?}");
    // A deeper page widens the window: every match can be reached.
    let v = search(&app, "q=zebra&per_page=100&page=2").await;
    assert_eq!(v["total"], 152);
    assert_eq!(names(&v).len(), 52);
    assert_eq!(names(&v).last().unwrap(), "okapi");
}

#[tokio::test]
async fn the_daily_sweep_ages_out_old_downloads_under_a_lock() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    let (_, t) = app.user_with_token("alice").await;
    put(&app, &t, "old-news", "1.0.0", "A gadget", &[], "Docs.").await;
    put(&app, &t, "fresh", "1.0.0", "A gadget", &[], "Docs.").await;
    downloads(&app, "fresh", 100, 0).await;
    // 500 downloads 95 days ago, and a rollup computed six days ago, when
    // they were still in the 90-day window (the flusher never touches it again).
    app.sql(
        "INSERT INTO version_downloads (version_id, date, downloads)
         SELECT v.id, current_date - 95, 500 FROM versions v JOIN packages p ON p.id = v.package_id
         WHERE p.name = 'old-news'",
    )
    .await;
    let stale =
        "UPDATE package_downloads SET recent_downloads = 500, refreshed_on = current_date - 6
                 WHERE package_id = (SELECT id FROM packages WHERE name = 'old-news')";
    app.sql(stale).await;
    app.sql(
        "UPDATE package_search SET popularity = package_popularity(500)
         WHERE package_id = (SELECT id FROM packages WHERE name = 'old-news')",
    )
    .await;
    assert_eq!(
        names(&search(&app, "q=gadget").await),
        ["old-news", "fresh"]
    );

    // Another instance is sweeping: this one leaves it alone.
    let mut other = app.pool.get().await.unwrap();
    diesel::sql_query("SELECT pg_advisory_lock(hashtext('sema-pkg: sweep package_downloads'))")
        .execute(&mut other)
        .await
        .unwrap();
    assert_eq!(
        sema_pkg::downloads::sweep_recent(&app.pool).await.unwrap(),
        None
    );
    assert_eq!(
        names(&search(&app, "q=gadget").await),
        ["old-news", "fresh"]
    );
    diesel::sql_query("SELECT pg_advisory_unlock(hashtext('sema-pkg: sweep package_downloads'))")
        .execute(&mut other)
        .await
        .unwrap();
    drop(other);

    let swept = sema_pkg::downloads::sweep_recent(&app.pool).await.unwrap();
    assert_eq!(swept, Some(1), "only the stale rollup");
    let v = search(&app, "q=gadget").await;
    assert_eq!(names(&v), ["fresh", "old-news"]);
    assert_eq!(v["packages"][1]["recent_downloads"], 0);
    assert_eq!(v["packages"][1]["downloads"], 500);
    assert_eq!(
        app.sql_count(
            "SELECT popularity FROM package_search s JOIN packages p ON p.id = s.package_id
             WHERE p.name = 'old-news'"
        )
        .await,
        0
    );
    // Swept today: a second sweep has nothing to do.
    assert_eq!(
        sema_pkg::downloads::sweep_recent(&app.pool).await.unwrap(),
        Some(0)
    );
}
