//! Security headers, feeds, `sitemap.xml` and `robots.txt`.

use crate::common::{publish, tarball, TestApp};

#[tokio::test]
async fn pages_send_security_headers_even_when_they_fail() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/search?q=x",
        "/login",
        "/no/such/page",
        "/packages/nope",
    ] {
        let res = app.client().get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        let body = res.text().await.unwrap();
        // No inline script, no inline style attribute, nothing from another origin.
        assert!(
            !body.contains("<script>") && !body.contains(" style="),
            "{path}"
        );
        for attr in ["src=\"http", "href=\"//", "src=\"//"] {
            assert!(!body.contains(attr), "{path}: {attr}");
        }
        assert!(body.contains("includeIndicatorStyles\":false"), "{path}");
    }
}

#[tokio::test]
async fn atom_feeds_of_releases() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    for v in ["1.0.0", "1.1.0"] {
        let res = publish(
            &app,
            &token,
            "sema/http",
            v,
            tarball::package("sema/http", v),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .client()
        .get(app.url("/feeds/releases.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let xml = res.text().await.unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">")
    );
    assert_eq!(xml.matches("<entry>").count(), 2);
    assert!(
        xml.contains("<title>sema/http 1.1.0</title>") && xml.contains("/packages/sema/http/1.1.0")
    );
    let res = app
        .client()
        .get(app.url("/packages/sema/http/feed"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("sema/http releases"));
    let res = app
        .client()
        .get(app.url("/packages/nope/feed"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The package page advertises its feed.
    let page = app
        .client()
        .get(app.url("/packages/sema/http"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/packages/sema/http/feed\""));
}

#[tokio::test]
async fn sitemap_and_robots() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    publish(
        &app,
        &token,
        "json",
        "1.0.0",
        tarball::package("json", "1.0.0"),
    )
    .await;
    let xml = app
        .client()
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<urlset")
            && xml.contains("/packages/json</loc>")
            && xml.contains("<lastmod>")
    );
    let robots = app
        .client()
        .get(app.url("/robots.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        robots.contains("Sitemap: http://127.0.0.1/sitemap.xml")
            && robots.contains("Disallow: /account")
    );
    assert_eq!(
        app.client()
            .get(app.url("/sitemaps/2.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.client()
            .get(app.url("/sitemaps/x.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn past_fifty_thousand_urls_the_sitemap_is_an_index() {
    let app = TestApp::spawn().await;
    app.sql(
        "INSERT INTO packages (name, canonical_name, description)
         SELECT 'p' || i, 'p' || i, '' FROM generate_series(1, 50001) AS i",
    )
    .await;
    let xml = app
        .client()
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<sitemapindex"),
        "{}",
        &xml[..200.min(xml.len())]
    );
    assert!(
        xml.contains("/sitemaps/1.xml")
            && xml.contains("/sitemaps/2.xml")
            && !xml.contains("/sitemaps/3.xml")
    );
    let one = app
        .client()
        .get(app.url("/sitemaps/1.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(one.matches("<url>").count(), 50_000);
    let two = app
        .client()
        .get(app.url("/sitemaps/2.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(two.matches("<url>").count(), 3);
}

/// Characters XML 1.0 allows: tab, newline, CR, and everything from U+0020
/// except the noncharacters U+FFFE and U+FFFF (Rust chars are never surrogates).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

#[tokio::test]
async fn feeds_are_valid_xml_whatever_is_stored() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let res = publish(
        &app,
        &token,
        "demo",
        "1.0.0",
        tarball::package("demo", "1.0.0"),
    )
    .await;
    assert_eq!(res.status(), 201);
    // Rows from before publishing refused control characters.
    for table in ["versions", "packages"] {
        app.sql(&format!(
            "UPDATE {table} SET description = 'bad' || chr(1) || chr(27) || chr(65535) || ' <&> ok'"
        ))
        .await;
    }
    for path in ["/feeds/releases.xml", "/packages/demo/feed"] {
        let res = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let xml = res.text().await.unwrap();
        let bad: Vec<char> = xml.chars().filter(|c| !xml_char(*c)).collect();
        assert!(bad.is_empty(), "{path}: {bad:?}");
        assert!(
            xml.contains("bad\u{FFFD}\u{FFFD}\u{FFFD} "),
            "{path}: {xml}"
        );
        assert!(!xml.contains("<&>"), "{path}: escaped as ever");
    }
}
