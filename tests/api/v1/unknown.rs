use crate::common::{expect_error, TestApp};

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::spawn().await;
    let e = expect_error(
        app.client()
            .get(app.url("/api/v1/nope"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(e.contains("no such API endpoint"));
    // A known path with a method it does not serve: 405 naming the ones it does.
    let res = app
        .client()
        .patch(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    let e = expect_error(res, 405).await;
    assert!(e.contains("PATCH") && e.contains("GET"), "{e}");
}
