//! `sema-pkg analyze --all`: the backfill of version analyses, on the seeded demo.

use serde_json::json;

use crate::admin::sema_pkg;
use crate::common::{json as body, TestApp};
use crate::{lock, ok, package_dir, project_dir, Shell};

const CAPS_OF: &str = "SELECT array_to_string(a.caps, ',') || '|' || array_to_string(a.effective_caps, ',')
     FROM version_analysis a JOIN versions v ON v.id = a.version_id JOIN packages p ON p.id = v.package_id
     WHERE p.name = 'sema/http' AND v.version = '1.0.0'";

#[tokio::test]
async fn the_backfill_analyses_the_demo_resumes_and_settles() {
    let app = TestApp::spawn().await;
    let (ok, out) = sema_pkg(&app, &["seed"]);
    assert!(ok, "{out}");
    let versions = app.sql_count("SELECT count(*) FROM versions").await;
    assert!(versions > 20);
    // The demo publishes through the real path, so it is analysed already.
    let analysed = "SELECT count(*) FROM version_analysis WHERE analyzer = 1";
    assert_eq!(app.sql_count(analysed).await, versions);
    assert_eq!(app.sql_text(CAPS_OF).await, "network|network");

    // As if all but two were published before analysis existed.
    app.sql("DELETE FROM version_analysis WHERE version_id NOT IN (SELECT id FROM versions ORDER BY id LIMIT 2)")
        .await;
    let (ok, out) = sema_pkg(&app, &["analyze", "--all"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{} versions to analyse", versions - 2)),
        "{out}"
    );
    assert!(
        out.contains(&format!("analysed {} versions (0 failed)", versions - 2)),
        "{out}"
    );
    assert_eq!(app.sql_count(analysed).await, versions);
    assert_eq!(app.sql_text(CAPS_OF).await, "network|network");

    // Done is done: a second run finds nothing.
    let (ok, out) = sema_pkg(&app, &["analyze", "--all"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("\n0 versions to analyse") || out.starts_with("0 versions to analyse"),
        "{out}"
    );

    // An older analyzer's rows are redone, and effective capabilities settled.
    app.sql(
        "UPDATE version_analysis SET analyzer = 0, effective_caps = '{shell}'
         WHERE version_id = (SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id
                             WHERE p.name = 'sema/http' AND v.version = '1.0.0')",
    )
    .await;
    app.sql("UPDATE version_analysis SET effective_caps = '{serial}' WHERE version_id = (SELECT min(id) FROM versions)")
        .await;
    let (ok, out) = sema_pkg(&app, &["analyze", "--all"]);
    assert!(ok, "{out}");
    assert!(out.contains("1 versions to analyse"), "{out}");
    assert!(
        out.contains("effective capabilities changed for 1"),
        "{out}"
    );
    assert_eq!(app.sql_text(CAPS_OF).await, "network|network");
    assert_eq!(
        app.sql_count(
            "SELECT count(*) FROM version_analysis WHERE 'serial' = ANY (effective_caps)"
        )
        .await,
        0
    );

    // A tarball missing from the blob store is reported, and the run fails.
    app.sql("DELETE FROM version_analysis WHERE version_id = (SELECT max(id) FROM versions)")
        .await;
    let checksum = app
        .sql_text("SELECT checksum FROM versions ORDER BY id DESC LIMIT 1")
        .await;
    let blob = app
        .blob_dir
        .path()
        .join(::sema_pkg::storage::blob_path(&checksum));
    std::fs::remove_file(&blob).unwrap();
    let (ok, out) = sema_pkg(&app, &["analyze", "--all"]);
    assert!(!ok, "{out}");
    assert!(out.contains("1 versions could not be analysed"), "{out}");
}

/// The new fields change nothing the real client reads: it publishes and
/// installs a package whose analysis says it runs shell commands.
#[tokio::test]
async fn the_real_cli_publishes_and_installs_an_analysed_package() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let alice = Shell::new(&app);
    alice.login_token(&token);
    let code = "(define (run cmd) (shell cmd))\n(define (home) (env \"HOME\"))\n";
    let pkg = package_dir("runner", "0.1.0", code);
    ok(&alice.pkg(pkg.path(), &["publish"]));
    let res = app
        .client()
        .get(app.url("/api/v1/packages/runner/0.1.0"))
        .send()
        .await
        .unwrap();
    let v = body(res, 200).await;
    assert_eq!(
        v["capabilities"],
        json!({"own": ["shell", "env-read", "process"], "effective": ["shell", "env-read", "process"], "dynamic": false})
    );
    assert_eq!(v["api"][0]["name"], "home");
    assert_eq!(v["api"][1]["name"], "run");

    let user = Shell::new(&app);
    let proj = project_dir();
    ok(&user.pkg(proj.path(), &["add", "runner"]));
    let l = lock(proj.path());
    assert_eq!(l["packages"]["runner"]["version"].as_str(), Some("0.1.0"));
    let info = user.pkg(proj.path(), &["info", "runner"]);
    assert!(ok(&info).contains("0.1.0 — "));
}
