//! `/api`: the API reference, rendered from the OpenAPI document.

use crate::common::{json, TestApp};

#[tokio::test]
async fn the_reference_shows_every_operation_and_schema_of_the_document() {
    let app = TestApp::spawn().await;
    let doc = json(
        app.client()
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let res = app.client().get(app.url("/api")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    let mut operations = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for op in ops.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            let card = html
                .split(&format!("data-operation=\"{id}\""))
                .nth(1)
                .unwrap_or_else(|| panic!("{id} is not shown"));
            let card = card.split("</article>").next().unwrap();
            assert!(
                card.contains(&format!("<code class=\"api-path\">{path}</code>")),
                "{id}"
            );
            for status in op["responses"].as_object().unwrap().keys() {
                assert!(
                    card.contains(&format!("<span class=\"api-status\">{status}</span>")),
                    "{id}: {status}"
                );
            }
            operations += 1;
        }
    }
    assert!(operations >= 25, "{operations}");
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    // Every page's footer links to it.
    let home = app.client().get(app.url("/")).send().await.unwrap();
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("<a href=\"/api\">API</a>"));
}
