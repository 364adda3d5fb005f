//! The layout, static assets and error pages.

use crate::common::TestApp;

#[tokio::test]
async fn pages_use_the_layout_and_self_hosted_assets() {
    let app = TestApp::spawn().await;
    let home = app.client().get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("/static/style.css") && html.contains("/static/htmx.min.js"));
    assert!(
        !html.contains("http://") || !html.contains("<script src=\"http"),
        "no third-party assets"
    );
    for asset in [
        "/static/style.css",
        "/static/htmx.min.js",
        "/static/app.js",
        "/static/fonts/cormorant-latin-600-normal.woff2",
    ] {
        assert_eq!(
            app.client()
                .get(app.url(asset))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{asset}"
        );
    }
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
}
