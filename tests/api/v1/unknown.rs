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
    let res = app
        .client()
        .patch(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert!(status == 404 || status == 405, "{status}");
    expect_error(res, status).await;
}
