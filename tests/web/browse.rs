//! `/`, `/search` and `/users/{username}`.

use crate::common::{publish, tarball, TestApp};

async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    for (name, desc) in [
        ("json", "JSON for Sema"),
        ("json-schema", "Schemas"),
        ("csv", "Comma separated values"),
    ] {
        let tb = tarball::package_with(
            name,
            "1.0.0",
            &format!("keywords = [\"data\"]\n# {desc}"),
            "(define x 1)",
        );
        assert_eq!(publish(&app, &token, name, "1.0.0", tb).await.status(), 201);
    }
    app
}

async fn get(app: &TestApp, path: &str, htmx: bool) -> (u16, String) {
    let mut r = app.client().get(app.url(path));
    if htmx {
        r = r.header("HX-Request", "true");
    }
    let res = r.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_front_page_counts_and_lists_packages() {
    let app = seeded().await;
    let (status, page) = get(&app, "/", false).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html") && page.contains("Most downloaded") && page.contains("Newest"));
    assert!(page.contains("<dd>3</dd>"), "three packages: {page}");
    assert!(page.contains("href=\"/packages/json-schema\""));
    assert!(page.contains("<meta name=\"description\""));
    let (status, frag) = get(&app, "/", true).await;
    assert!(status == 200 && !frag.contains("<html") && frag.contains("Recently updated"));
}

#[tokio::test]
async fn search_is_a_page_and_its_results_a_fragment() {
    let app = seeded().await;
    let (status, page) = get(&app, "/search?q=json", false).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<html") && page.contains("hx-push-url=\"true\"") && page.contains("delay:")
    );
    assert!(page.contains("value=\"json\"") && page.contains("/packages/json-schema"));
    let (status, frag) = get(&app, "/search?q=json", true).await;
    assert_eq!(status, 200);
    assert!(
        !frag.contains("<html") && !frag.contains("<form") && frag.contains("/packages/json\""),
        "{frag}"
    );
    assert!(frag.contains("<title>"), "htmx updates the title");
    // Pagination links carry the query.
    let (_, frag) = get(&app, "/search?q=&per_page=1&sort=name", true).await;
    assert!(
        frag.contains("/search?q=&amp;sort=name&amp;page=2") || frag.contains("page=2"),
        "{frag}"
    );
    let (_, page) = get(&app, "/search?q=zzzz", false).await;
    assert!(page.contains("No packages match"));
    // Bad input is a readable page, never a 5xx.
    for bad in [
        "/search?sort=nope",
        "/search?page=abc",
        "/search?q=%ZZ",
        "/search?q=%00%27%22%3C",
    ] {
        let (status, body) = get(&app, bad, false).await;
        assert!(status == 200 || status == 400, "{bad}: {status}");
        assert!(body.contains("<html"), "{bad}");
    }
    let (status, body) = get(&app, "/search?sort=nope", true).await;
    assert!(status == 400 && !body.contains("<html"));
}

#[tokio::test]
async fn a_users_page_lists_their_packages() {
    let app = seeded().await;
    let (status, page) = get(&app, "/users/alice", false).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<html") && page.contains("3 packages") && page.contains("/packages/csv")
    );
    let (status, frag) = get(&app, "/users/ALICE", true).await;
    assert!(status == 200 && !frag.contains("<html") && frag.contains("/packages/json"));
    let (status, page) = get(&app, "/users/nobody", false).await;
    assert!(status == 404 && page.contains("not found"));
}

#[tokio::test]
async fn the_account_page_lists_your_packages() {
    let app = seeded().await;
    let b = app.browser();
    b.post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Your packages") && page.contains("/packages/json-schema"),
        "{page}"
    );
    let frag = b
        .get(app.url("/account"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!frag.contains("<html") && frag.contains("API tokens"));
}
