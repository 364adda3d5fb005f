//! `sema-pkg admin|package|stats|doctor` against a running registry's database.

use std::process::Command;

use crate::common::{expect_error, json, publish, tarball, TestApp};

/// `sema-pkg ARGS` against the app's database and blob folder: (success, stdout + stderr).
pub fn sema_pkg(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sema-pkg"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("BLOB_DIR", app.blob_dir.path())
        .env("SEMA_PKG_PASSWORD", "another-horse")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn users_tokens_and_bans_from_the_command_line() {
    let app = TestApp::spawn().await;
    let (ok, out) = sema_pkg(
        &app,
        &["admin", "create-user", "carol", "carol@example.com"],
    );
    assert!(ok, "{out}");
    let res = app
        .client()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "carol", "password": "another-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (ok, token) = sema_pkg(
        &app,
        &[
            "admin",
            "token-create",
            "carol",
            "--name",
            "ops",
            "--scopes",
            "publish-new,yank",
        ],
    );
    assert!(ok && token.trim().starts_with("sema_pat_"), "{token}");
    let token = token.trim().to_string();
    let me = json(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(me["is_admin"], false);
    assert!(sema_pkg(&app, &["admin", "promote", "carol"]).0);
    let me = json(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(me["is_admin"], true);
    assert!(sema_pkg(&app, &["admin", "demote", "carol"]).0);
    // A ban stops the token and the session at once.
    let browser = app.register("dave").await;
    assert!(sema_pkg(&app, &["admin", "ban", "dave"]).0);
    expect_error(
        browser.get(app.url("/api/v1/me")).send().await.unwrap(),
        401,
    )
    .await;
    assert!(sema_pkg(&app, &["admin", "ban", "carol"]).0);
    expect_error(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(sema_pkg(&app, &["admin", "unban", "carol"]).0);
    assert_eq!(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(sema_pkg(&app, &["admin", "revoke-tokens", "carol"]).0);
    expect_error(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(sema_pkg(&app, &["admin", "reset-password", "dave"]).0);
    let (ok, out) = sema_pkg(&app, &["admin", "promote", "nobody"]);
    assert!(
        !ok && out.contains("not found") && !out.contains("panicked"),
        "{out}"
    );
    assert!(
        app.sql_count("SELECT count(*) FROM audit_log WHERE action LIKE 'admin.%'")
            .await
            >= 8
    );
}

#[tokio::test]
async fn package_commands_stats_and_doctor() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    json(
        publish(
            &app,
            &alice,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    assert!(sema_pkg(&app, &["package", "yank", "demo", "0.1.0"]).0);
    let v = json(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["versions"][0]["yanked"], true);
    assert!(sema_pkg(&app, &["package", "unyank", "demo", "0.1.0"]).0);
    let (ok, out) = sema_pkg(&app, &["stats"]);
    assert!(
        ok && out.contains("packages") && out.contains("versions"),
        "{out}"
    );
    let (ok, out) = sema_pkg(&app, &["doctor"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("migrations current") && out.contains("no orphan blobs"),
        "{out}"
    );
    // Removal leaves a tombstone: gone, and nobody can take the name.
    assert!(sema_pkg(&app, &["package", "remove", "demo"]).0);
    expect_error(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let (_, bob) = app.user_with_token("bob").await;
    let e = expect_error(
        publish(
            &app,
            &bob,
            "Demo",
            "1.0.0",
            tarball::package("Demo", "1.0.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("removed"), "{e}");
    let (ok, out) = sema_pkg(&app, &["doctor"]);
    assert!(ok && out.contains("1 orphan blobs"), "{out}");
}

#[tokio::test]
async fn create_user_reserves_the_namespace_and_refuses_someone_elses() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let res = publish(
        &app,
        &alice,
        "acme/lib",
        "0.1.0",
        tarball::package("acme/lib", "0.1.0"),
    )
    .await;
    json(res, 201).await;
    let (ok, out) = sema_pkg(&app, &["admin", "create-user", "Acme", "acme@example.com"]);
    assert!(
        !ok && out.contains("namespace \"acme\" belongs to another user"),
        "{out}"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE lower(username) = 'acme'")
            .await,
        0
    );
    let (ok, out) = sema_pkg(
        &app,
        &["admin", "create-user", "carol", "carol@example.com"],
    );
    assert!(ok, "{out}");
    assert_eq!(
        app.sql_text("SELECT u.username FROM namespaces n JOIN users u ON u.id = n.owner_id WHERE n.name = 'carol'")
            .await,
        "carol"
    );
}
