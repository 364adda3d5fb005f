//! The layout, static assets and error pages.

use crate::common::TestApp;

/// The `href`/`src` of the first `/static/{stem}.…{ext}` URL on a page.
fn asset_url(html: &str, stem: &str, ext: &str) -> String {
    let at = html
        .find(&format!("\"/static/{stem}."))
        .unwrap_or_else(|| panic!("{stem} is linked"));
    let url = html[at + 1..].split('"').next().unwrap().to_string();
    assert!(url.ends_with(ext), "{url}");
    url
}

#[tokio::test]
async fn pages_use_the_layout_and_self_hosted_assets() {
    let app = TestApp::spawn().await;
    let home = app.client().get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        !html.contains("http://") || !html.contains("<script src=\"http"),
        "no third-party assets"
    );
    for (stem, ext) in [("style", ".css"), ("htmx.min", ".js"), ("app", ".js")] {
        let url = asset_url(&html, stem, ext);
        // Versioned: the name carries ten hex digits of the content's hash.
        let hash = url.trim_end_matches(ext).rsplit('.').next().unwrap();
        assert!(
            hash.len() == 10 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{url}"
        );
        let res = app.client().get(app.url(&url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    // The plain names still answer, for anything that links to them, but are revalidated.
    for asset in [
        "/static/style.css",
        "/static/htmx.min.js",
        "/static/app.js",
        "/static/fonts/cormorant-latin-600-normal.woff2",
    ] {
        let res = app.client().get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=0, must-revalidate"
        );
    }
    let res = app
        .client()
        .get(app.url("/static/app.0123456789.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "an unknown version is not the current file"
    );
}

#[tokio::test]
async fn static_files_are_compressed_once_and_revalidate_by_etag() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let html = app
        .client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let url = app.url(&asset_url(&html, "htmx.min", ".js"));
    let get = |encoding: &'static str| {
        app.client()
            .get(url.clone())
            .header("Accept-Encoding", encoding)
            .send()
    };
    let raw = get("identity").await.unwrap();
    assert!(raw.headers().get("content-encoding").is_none());
    assert_eq!(raw.headers()["vary"], "Accept-Encoding");
    assert_eq!(
        raw.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let etag = raw.headers()["etag"].to_str().unwrap().to_string();
    let raw = raw.bytes().await.unwrap();
    assert!(raw.len() > 40_000, "htmx is {} bytes", raw.len());

    let br = get("gzip, deflate, br").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let br = br.bytes().await.unwrap();
    assert!(
        br.len() * 3 < raw.len(),
        "brotli: {} of {}",
        br.len(),
        raw.len()
    );
    let mut plain = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, raw);

    // br refused (q=0): gzip.
    let gz = get("br;q=0, gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, raw);

    let res = app
        .client()
        .get(url.clone())
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    // HEAD: the headers alone.
    let res = app
        .client()
        .head(url)
        .header("Accept-Encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert!(res.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn style_sheets_load_fonts_by_versioned_name() {
    let app = TestApp::spawn().await;
    let html = app
        .client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let css = app
        .client()
        .get(app.url(&asset_url(&html, "style", ".css")))
        .header("Accept-Encoding", "identity")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = css
        .find("url(\"fonts/cormorant-latin-600-normal.")
        .expect("the font is named");
    let font = css[at + 5..].split('"').next().unwrap();
    assert!(
        font.ends_with(".woff2") && font.len() > "fonts/cormorant-latin-600-normal..woff2".len()
    );
    let res = app
        .client()
        .get(app.url(&format!("/static/{font}")))
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "font/woff2");
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn unknown_pages_are_a_404_page_and_htmx_gets_a_fragment() {
    let app = TestApp::spawn().await;
    let res = app
        .client()
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<html") && html.contains("Not Found"),
        "{html}"
    );
    let res = app
        .client()
        .get(app.url("/no/such/page"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<html") && html.contains("nothing at this address"),
        "{html}"
    );
    // A signed-in visitor's error page still names them in the header.
    let alice = app.register("alice").await;
    let res = alice.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("<a href=\"/account\">alice</a>"), "{html}");
}

#[tokio::test]
async fn pages_share_the_per_client_read_limit_and_answer_a_429_page() {
    let app = TestApp::spawn_with(|c| c.read_rate_per_second = 1).await;
    let c = app.client();
    let mut statuses = vec![];
    for path in ["/search?q=x", "/", "/api/v1/search?q=x"] {
        statuses.push(c.get(app.url(path)).send().await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 200],
        "a burst of three seconds' allowance"
    );
    let res = c.get(app.url("/search?q=x")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(
        page.contains("<html") && page.contains("too many requests"),
        "{page}"
    );
    // htmx gets the fragment, with the same status.
    let res = c
        .get(app.url("/search?q=x"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(!res.text().await.unwrap().contains("<html"));
}
