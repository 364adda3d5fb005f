//! `sema-pkg seed --packages N --users U --versions V --tarballs K`: the bulk
//! seeder builds a registry that the real client installs from.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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

/// `sema-pkg ARGS` against the app's database and blob folder, not yet started.
pub fn command(app: &TestApp, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sema-pkg"));
    cmd.args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("BLOB_DIR", app.blob_dir.path())
        .env("RUST_LOG", "off");
    cmd
}

/// Runs `cmd` with a progress line per step and kills it (SIGKILL: no chance
/// to tidy up) at the first line whose `done/total` satisfies `stop`.
pub fn interrupt(cmd: &mut Command, stop: impl Fn(u64, u64) -> bool) {
    let mut child = cmd
        .env("PROGRESS_EVERY_SECS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        // `label: done/total (p%), rate/s, ETA s`
        let counts = line
            .split_once(": ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .and_then(|(counts, _)| counts.split_once('/'))
            .and_then(|(d, t)| Some((d.parse().ok()?, t.parse().ok()?)));
        if let Some((done, total)) = counts {
            if stop(done, total) {
                child.kill().unwrap();
                child.wait().unwrap();
                return;
            }
        }
    }
    let _ = child.wait();
    panic!("the command finished before it could be interrupted");
}

/// Summary lines of stdout and stderr; fails unless the command succeeded.
pub fn finish(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

#[tokio::test]
async fn an_interrupted_bulk_seed_resumes_and_ends_as_an_uninterrupted_one() {
    let args = [
        "seed",
        "--packages",
        "3000",
        "--versions",
        "3",
        "--tarballs",
        "40",
    ];
    let app = TestApp::spawn().await;
    interrupt(&mut command(&app, &args), |done, total| {
        done >= 600 && done < total
    });
    let before = app.sql_count("SELECT count(*) FROM packages").await;
    // Batches of 100 commit whole: never a half-written one.
    assert!(
        (600..3000).contains(&before) && before % 100 == 0,
        "{before}"
    );
    let out = finish(&mut command(&app, &args));
    assert!(
        out.contains(&format!("resuming an interrupted seed: {before} of 3000"))
            && out.contains(&format!("({} in this run)", 3000 - before)),
        "{out}"
    );

    // The same registry as a run that was never interrupted.
    let fresh = TestApp::spawn().await;
    finish(&mut command(&fresh, &args));
    let fingerprints = [
        "SELECT count(*)::text FROM packages",
        "SELECT count(*)::text FROM seed_runs WHERE finished_at IS NOT NULL",
        "SELECT md5(string_agg(username || email, ',' ORDER BY id)) FROM users",
        "SELECT md5(string_agg(name || owner_id, ',' ORDER BY name)) FROM namespaces",
        "SELECT md5(string_agg(p.id || p.name || v.id || v.version || v.checksum || v.size_bytes, ',' ORDER BY v.id))
         FROM versions v JOIN packages p ON p.id = v.package_id",
        "SELECT md5(string_agg(version_id || canonical_name || req, ',' ORDER BY version_id, canonical_name)) FROM dependencies",
        "SELECT md5(string_agg(package_id || ':' || downloads, ',' ORDER BY package_id)) FROM package_downloads",
        "SELECT count(*)::text FROM package_search",
    ];
    for sql in fingerprints {
        assert_eq!(app.sql_text(sql).await, fresh.sql_text(sql).await, "{sql}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 15);
    assert_eq!(app.blob_count(), fresh.blob_count());
    assert!(app.blob_count() > 40);
}
