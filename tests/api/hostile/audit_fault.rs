//! The audit row is written in the change's own transaction: when it cannot
//! be written (a trigger here makes every insert into `audit_log` raise), the
//! change is refused with a clean 5xx and nothing of it stays.

use super::{snapshot, Snapshot};
use crate::common::{publish, tarball, TestApp};

/// What the snapshot does not count: flags on rows that exist either way.
async fn flags(app: &TestApp) -> (i64, i64, i64) {
    (
        app.sql_count("SELECT count(*) FROM users WHERE banned_at IS NOT NULL")
            .await,
        app.sql_count("SELECT count(*) FROM audit_log").await,
        app.sql_count("SELECT count(*) FROM owner_invitations")
            .await,
    )
}

/// A 5xx with a JSON `error` and the request's id, as every server error under /api.
async fn server_error(what: &str, res: reqwest::Response) {
    let status = res.status().as_u16();
    let id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 500, "{what}: {body}");
    assert!(!id.is_empty(), "{what}: no X-Request-Id");
    assert_eq!(body["request_id"], id.as_str(), "{what}: {body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains(&id), "{what}: {error}");
}

#[tokio::test]
async fn when_the_audit_row_cannot_be_written_the_change_is_not_made() {
    let app = TestApp::spawn().await;
    let (alice, token) = app.user_with_token("alice").await;
    let res = publish(
        &app,
        &token,
        "json",
        "1.0.0",
        tarball::package("json", "1.0.0"),
    )
    .await;
    assert_eq!(res.status(), 201);
    app.register("bob").await;
    let root = app.register("root").await;
    app.sql("UPDATE users SET is_admin = true WHERE username = 'root'")
        .await;
    let admin_page = root.get(app.url("/admin")).send().await.unwrap();
    let html = admin_page.text().await.unwrap();
    let needle = "name=\"csrf_token\" value=\"";
    let at = html.find(needle).expect("a csrf field") + needle.len();
    let csrf = html[at..].split('"').next().unwrap().to_string();

    app.sql(
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'audit log is read-only in this test'; END $$",
    )
    .await;
    app.sql(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
         FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
    )
    .await;
    let before: Snapshot = snapshot(&app).await;
    let flags_before = flags(&app).await;

    let c = app.client();
    let yank = c
        .post(app.url("/api/v1/packages/json/1.0.0/yank"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    server_error("yank", yank).await;
    let owner = c
        .post(app.url("/api/v1/packages/json/owners"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"username": "bob"}))
        .send()
        .await
        .unwrap();
    server_error("owner add", owner).await;
    let token_create = alice
        .post(app.url("/api/v1/tokens"))
        .json(&serde_json::json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    server_error("token create", token_create).await;
    let res = publish(
        &app,
        &token,
        "json",
        "1.1.0",
        tarball::package("json", "1.1.0"),
    )
    .await;
    server_error("publish", res).await;

    let ban = root
        .post(app.url("/admin/users/bob/ban"))
        .header("X-CSRF-Token", &csrf)
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    let id = ban.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(ban.status(), 500);
    let page = ban.text().await.unwrap();
    assert!(page.contains(&id), "the error names the request: {page}");

    assert_eq!(snapshot(&app).await, before, "nothing was written");
    assert_eq!(flags(&app).await, flags_before, "nobody was banned");
    // The blob a refused publish stored was deleted again.
    assert_eq!(app.blob_count(), 1);
}
