//! A deprecated package still installs with the real `sema` CLI: the
//! metadata's `deprecated` field is additive.

use serde_json::json as j;

use super::{lock, ok, package_dir, project_dir, Shell, V1};
use crate::common::{json, TestApp};

#[tokio::test]
async fn the_real_cli_installs_a_deprecated_package() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let alice = Shell::new(&app);
    alice.login_token(&token);
    let pkg = package_dir("greet", "0.1.0", V1);
    ok(&alice.pkg(pkg.path(), &["publish"]));
    let res = app
        .client()
        .post(app.url("/api/v1/packages/greet/deprecate"))
        .bearer_auth(&token)
        .json(&j!({"message": "No longer maintained."}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(res, 200).await["message"], "No longer maintained.");
    let meta = app
        .client()
        .get(app.url("/api/v1/packages/greet"))
        .send()
        .await
        .unwrap();
    let meta = json(meta, 200).await;
    assert_eq!(
        meta["package"]["deprecated"]["message"],
        "No longer maintained."
    );

    let user = Shell::new(&app);
    let proj = project_dir();
    ok(&user.pkg(proj.path(), &["add", "greet"]));
    let l = lock(proj.path());
    assert_eq!(l["packages"]["greet"]["version"].as_str(), Some("0.1.0"));
    let info = user.pkg(proj.path(), &["info", "greet"]);
    assert!(ok(&info).contains("0.1.0"));
    // A fresh install from the lockfile works too.
    std::fs::remove_dir_all(user.home.path().join("packages")).unwrap();
    ok(&user.pkg(proj.path(), &["install", "--locked"]));
}
