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

/// 200 packages `widget-i` (every fifth `acme/widget-i`) straight into the
/// tables, every second one mentioning springs, every third with keyword
/// `gears`, every seventh owned by carol (the rest by dave). Downloads today
/// grow by a quarter octave per `i` (from ~1200): each widget is in the hot
/// postings and in its own popularity bucket, so the candidate windows and
/// the final order agree and every page is exact.
async fn widgets(app: &TestApp) {
    app.user_with_token("carol").await;
    app.user_with_token("dave").await;
    app.sql("INSERT INTO namespaces (name, owner_id) SELECT 'acme', id FROM users WHERE username = 'carol'")
        .await;
    app.sql(
        "INSERT INTO packages (name, canonical_name, namespace, description, keywords)
         SELECT n, n, CASE WHEN i % 5 = 0 THEN 'acme' END,
                CASE WHEN i % 2 = 0 THEN 'Sturdy widget with springs' ELSE 'Sturdy widget' END,
                CASE WHEN i % 3 = 0 THEN '{gears}'::text[] ELSE '{}' END
         FROM generate_series(1, 200) i,
              LATERAL (SELECT CASE WHEN i % 5 = 0 THEN 'acme/widget-' ELSE 'widget-' END || i AS n) x",
    )
    .await;
    app.sql(
        "INSERT INTO package_owners (package_id, user_id)
         SELECT p.id, u.id FROM packages p JOIN users u
           ON u.username = CASE WHEN substring(p.name FROM '[0-9]+$')::int % 7 = 0 THEN 'carol' ELSE 'dave' END
         WHERE p.name LIKE '%widget-%'",
    )
    .await;
    app.sql(
        "INSERT INTO versions (package_id, version, version_key, checksum, size_bytes)
         SELECT id, '1.0.0', '1.0.0', 'x', 1 FROM packages WHERE name LIKE '%widget-%'",
    )
    .await;
    app.sql(
        "INSERT INTO version_downloads (version_id, date, downloads)
         SELECT v.id, current_date, floor(2 ^ ((substring(p.name FROM '[0-9]+$')::int + 40) / 4.0))::bigint
         FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.name LIKE '%widget-%'",
    )
    .await;
}

/// Which widget numbers a query should find.
type Keep = fn(i64) -> bool;

/// The widgets whose number passes `keep`, most downloaded (highest number) first.
fn widget_names(keep: Keep) -> Vec<String> {
    (1..=200)
        .rev()
        .filter(|&i| keep(i))
        .map(|i| {
            if i % 5 == 0 {
                format!("acme/widget-{i}")
            } else {
                format!("widget-{i}")
            }
        })
        .collect()
}

/// Every page of a query at 50 per page, concatenated.
async fn all_pages(app: &TestApp, query: &str) -> (Vec<String>, i64) {
    let first = search(app, &format!("{query}&per_page=50")).await;
    let total = first["total"].as_i64().unwrap();
    let mut all = names(&first);
    for page in 2..=(total + 49) / 50 + 1 {
        all.extend(names(
            &search(app, &format!("{query}&per_page=50&page={page}")).await,
        ));
    }
    (all, total)
}

#[tokio::test]
async fn each_filter_combined_with_words_finds_exactly_the_intersection() {
    let app = TestApp::spawn().await;
    widgets(&app).await;
    let (_, t) = app.user_with_token("erin").await;
    // One unpopular package with a rare word, in a popular keyword's list.
    put(
        &app,
        &t,
        "lonely",
        "1.0.0",
        "A quixotic gadget",
        &["gears"],
        "Docs.",
    )
    .await;
    let cases: [(&str, Keep); 7] = [
        ("q=springs&keyword=gears", |i| i % 6 == 0),
        ("q=springs+keyword:gears", |i| i % 6 == 0),
        ("q=springs&ns=acme", |i| i % 10 == 0),
        ("q=ns:acme+springs", |i| i % 10 == 0),
        ("q=springs+owner:carol", |i| i % 14 == 0),
        ("q=sturdy+springs&keyword=gears&ns=acme", |i| i % 30 == 0),
        ("q=widget&keyword=gears&owner=dave", |i| {
            i % 3 == 0 && i % 7 != 0
        }),
    ];
    for (query, keep) in cases {
        let want = widget_names(keep);
        let (got, total) = all_pages(&app, query).await;
        assert_eq!(total, want.len() as i64, "{query}");
        assert_eq!(got, want, "{query}");
    }
    // A rare word with a popular filter, and words that no filtered package has.
    assert_eq!(
        names(&search(&app, "q=quixotic&keyword=gears").await),
        ["lonely"]
    );
    assert_eq!(
        names(&search(&app, "q=quixotic&ns=acme").await),
        Vec::<String>::new()
    );
    assert_eq!(search(&app, "q=springs&owner=erin").await["total"], 0);
    // Filters alone browse, by downloads.
    let (got, total) = all_pages(&app, "q=ns:acme").await;
    assert_eq!((got, total), (widget_names(|i| i % 5 == 0), 40));
    // Owner changes reach the filter.
    app.sql(
        "DELETE FROM package_owners WHERE package_id = (SELECT id FROM packages WHERE name = 'widget-196')",
    )
    .await;
    let (got, _) = all_pages(&app, "q=springs+owner:carol").await;
    assert_eq!(got, widget_names(|i| i % 14 == 0 && i != 196));
}

#[tokio::test]
async fn deep_pages_serve_every_match_once_in_order() {
    let app = TestApp::spawn().await;
    widgets(&app).await;
    // A word every widget has (hot postings), its plural, a name prefix, and
    // a filtered word: pages of 50 hold each match once, in rank order
    // (equal ranks: most downloaded first); the page past them is empty.
    for query in ["q=widget", "q=widgets", "q=widg", "q=sturdy&keyword=gears"] {
        let keep: Keep = if query.contains("gears") {
            |i| i % 3 == 0
        } else {
            |_| true
        };
        let (got, total) = all_pages(&app, query).await;
        assert_eq!(total, widget_names(keep).len() as i64, "{query}");
        assert_eq!(got, widget_names(keep), "{query}");
        let past = (total + 49) / 50 + 1;
        let v = search(&app, &format!("{query}&per_page=50&page={past}")).await;
        assert!(names(&v).is_empty(), "{query}");
        assert_eq!(v["total"], total, "{query}");
    }
    // Download sorts page the same way; `name` sorts the page's window.
    for sort in ["downloads", "recent-downloads"] {
        let (got, _) = all_pages(&app, &format!("q=springs&sort={sort}")).await;
        assert_eq!(got, widget_names(|i| i % 2 == 0), "{sort}");
    }
    let got = names(&search(&app, "q=springs&sort=name").await);
    assert_eq!(got.len(), 20);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
}

#[tokio::test]
async fn typos_of_short_words_find_the_name() {
    let app = TestApp::spawn().await;
    let (_, t) = app.user_with_token("alice").await;
    for (name, description) in [
        ("json", "Encoding"),
        ("http", "Requests"),
        ("yaml", "Configuration files"),
        ("csv", "Tables"),
        ("json-schema", "Validation"),
    ] {
        put(&app, &t, name, "1.0.0", description, &[], "Docs.").await;
    }
    for (typo, want) in [
        ("jsno", "json"),
        ("htp", "http"),
        ("yml", "yaml"),
        ("csvv", "csv"),
        ("jsonn", "json"),
        ("json-shema", "json-schema"),
    ] {
        let v = search(&app, &format!("q={typo}")).await;
        assert_eq!(names(&v).first().map(String::as_str), Some(want), "{typo}");
        assert_eq!(v["packages"][0]["exact_match"], false, "{typo}");
    }
    // A typo is a fallback: with a filter that excludes the name, nothing.
    assert_eq!(
        search(&app, "q=jsno&owner=alice").await["packages"][0]["name"],
        "json"
    );
    assert_eq!(search(&app, "q=jsno&owner=nobody").await["total"], 0);
    // Nothing close: nothing.
    assert_eq!(search(&app, "q=qqq").await["total"], 0);
}

/// `cap:none`, `cap:NAME` and `-cap:NAME` read the latest unyanked version's
/// effective capabilities (its own and its pinned dependencies').
#[tokio::test]
async fn capability_filters_read_the_latest_version() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let pkg = |name: &str, version: &str, deps: &str, code: &str| {
        let m = format!("{}{deps}", tarball::manifest(name, version, ""));
        tarball::build(&[
            ("sema.toml", m.as_bytes()),
            ("package.sema", code.as_bytes()),
        ])
    };
    let releases = [
        ("pure", "1.0.0", "", "(define (add a b) (+ a b))"),
        ("net", "1.0.0", "", "(define (get u) (http/get u))"),
        ("uses-net", "1.0.0", "net = \"1.0.0\"\n", "(define (hi) 1)"),
        ("turned", "1.0.0", "", "(define (hi) 1)"),
        ("turned", "1.1.0", "", "(define (hi) (shell \"id\"))"),
        ("undone", "1.0.0", "", "(define (hi) 1)"),
        ("undone", "1.1.0", "", "(define (hi) (shell \"id\"))"),
    ];
    for (name, version, deps, code) in releases {
        let tgz = pkg(name, version, deps, code);
        body(publish(&app, &token, name, version, tgz).await, 201).await;
    }
    let yank = app
        .client()
        .post(app.url("/api/v1/packages/undone/1.1.0/yank"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    body(yank, 200).await;
    let sorted = |v: serde_json::Value| {
        let mut n = names(&v);
        n.sort();
        n
    };
    assert_eq!(sorted(search(&app, "q=cap:none").await), ["pure", "undone"]);
    assert_eq!(
        sorted(search(&app, "q=cap:network").await),
        ["net", "uses-net"]
    );
    assert_eq!(
        sorted(search(&app, "q=-cap:shell").await),
        ["net", "pure", "undone", "uses-net"]
    );
    assert_eq!(
        sorted(search(&app, "q=-cap:shell%20-cap:network").await),
        ["pure", "undone"]
    );
    assert_eq!(
        sorted(search(&app, "q=turned%20-cap:shell").await),
        Vec::<String>::new()
    );
    assert_eq!(sorted(search(&app, "q=pure%20cap:none").await), ["pure"]);
    // Unyanking makes the shell release latest again.
    let unyank = app
        .client()
        .post(app.url("/api/v1/packages/undone/1.1.0/unyank"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    body(unyank, 200).await;
    assert_eq!(sorted(search(&app, "q=cap:none").await), ["pure"]);
    let err = expect_error(
        app.client()
            .get(app.url("/api/v1/search?q=cap:teleport"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(err.contains("unknown capability \"teleport\""), "{err}");
}
