use crate::common::{json, TestApp};

#[tokio::test]
async fn healthz_and_readyz() {
    let app = TestApp::spawn().await;
    let v = json(
        app.client().get(app.url("/healthz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(v["ok"], true);
    let v = json(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(v["database"], "up");
    assert_eq!(v["blob_store"], "up");
}

#[tokio::test]
async fn readyz_names_a_broken_blob_store() {
    let app = TestApp::spawn().await;
    // Make the blob root unwritable by replacing it with a file.
    std::fs::remove_dir_all(app.blob_dir.path()).unwrap();
    std::fs::write(app.blob_dir.path(), b"not a directory").unwrap();
    let res = app.client().get(app.url("/readyz")).send().await.unwrap();
    let v = json(res, 503).await;
    assert_eq!(v["blob_store"], "down");
    assert_eq!(v["database"], "up");
    assert!(v["error"].as_str().unwrap().contains("blob store"));
    std::fs::remove_file(app.blob_dir.path()).unwrap();
    std::fs::create_dir(app.blob_dir.path()).unwrap();
}

#[tokio::test]
async fn readyz_probes_the_blob_store_at_most_once_in_a_few_seconds() {
    let app = TestApp::spawn().await;
    let ready = || app.client().get(app.url("/readyz")).send();
    assert_eq!(json(ready().await.unwrap(), 200).await["blob_store"], "up");
    // Each probe writes, reads and deletes a blob (three S3 requests). Break
    // the store: answers within the cache window come from the last probe.
    std::fs::remove_dir_all(app.blob_dir.path()).unwrap();
    std::fs::write(app.blob_dir.path(), b"not a directory").unwrap();
    let answers = futures_util::future::join_all((0..20).map(|_| ready())).await;
    for res in answers {
        assert_eq!(json(res.unwrap(), 200).await["blob_store"], "up");
    }
    // The database is still checked every time.
    assert_eq!(json(ready().await.unwrap(), 200).await["database"], "up");
    // Once the window has passed, the next call probes again and sees it.
    tokio::time::sleep(sema_pkg::storage::PROBE_TTL).await;
    assert_eq!(
        json(ready().await.unwrap(), 503).await["blob_store"],
        "down"
    );
    std::fs::remove_file(app.blob_dir.path()).unwrap();
    std::fs::create_dir(app.blob_dir.path()).unwrap();
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app
        .client()
        .get(app.url("/api/v1/packages/nope"))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "{id}");
    let res = app
        .client()
        .get(app.url("/healthz"))
        .header("x-request-id", "from-the-proxy-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "from-the-proxy-1");
    let res = app
        .client()
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id with spaces");
}
