//! `sema-pkg seed --packages N --users U --versions V --tarballs K`: the bulk
//! seeder builds a registry that the real client installs from.

use crate::admin::sema_pkg;
use crate::common::TestApp;
use crate::{lock, ok, project_dir, Shell};

#[tokio::test]
async fn bulk_seed_builds_a_registry_the_client_installs_from() {
    let app = TestApp::spawn().await;
    let (seeded, out) = sema_pkg(
        &app,
        &[
            "seed",
            "--packages",
            "60",
            "--users",
            "7",
            "--versions",
            "5",
            "--tarballs",
            "60",
        ],
    );
    assert!(seeded, "{out}");

    assert_eq!(app.sql_count("SELECT count(*) FROM packages").await, 60);
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 7);
    let per_package = "SELECT count(*) AS n FROM versions GROUP BY package_id";
    assert_eq!(
        app.sql_count(&format!("SELECT max(n) FROM ({per_package}) x"))
            .await,
        5
    );
    assert_eq!(
        app.sql_count(&format!("SELECT min(n) FROM ({per_package}) x"))
            .await,
        1
    );
    // Dependencies name packages that exist; every version has its tarball.
    assert!(app.sql_count("SELECT count(*) FROM dependencies").await > 20);
    let dangling = "SELECT count(*) FROM dependencies d
        LEFT JOIN packages p ON p.canonical_name = d.canonical_name WHERE p.id IS NULL";
    assert_eq!(app.sql_count(dangling).await, 0);
    let versions = app.sql_count("SELECT count(*) FROM versions").await;
    assert_eq!(app.blob_count() as i64, versions);
    assert!(
        app.sql_count("SELECT count(*) FROM package_downloads WHERE recent_downloads > 0")
            .await
            > 0
    );

    // The real client adds the package with the most direct dependencies: it
    // resolves them transitively, downloads every tarball and checks its sha256.
    let name = app
        .sql_text(
            "SELECT p.name FROM packages p JOIN versions v ON v.package_id = p.id
             JOIN dependencies d ON d.version_id = v.id
             WHERE v.id = (SELECT max(id) FROM versions WHERE package_id = p.id)
             GROUP BY p.name ORDER BY count(*) DESC, p.name LIMIT 1",
        )
        .await;
    let sh = Shell::new(&app);
    let proj = project_dir();
    ok(&sh.pkg(proj.path(), &["add", &name]));
    let packages = lock(proj.path())["packages"].as_table().unwrap().clone();
    assert!(packages.len() >= 2, "{packages:?}");
    for (dep, entry) in &packages {
        let sum = entry["checksum"].as_str().unwrap();
        let stored = format!(
            "SELECT count(*) FROM versions v JOIN packages p ON p.id = v.package_id
             WHERE p.name = '{dep}' AND v.version = '{}' AND v.checksum = '{sum}'",
            entry["version"].as_str().unwrap()
        );
        assert_eq!(app.sql_count(&stored).await, 1, "{dep}: {entry:?}");
    }
}
