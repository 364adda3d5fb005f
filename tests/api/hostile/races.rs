//! Races: many clients at once never leave a half state.

use serde_json::json;

use super::form;
use crate::common::{json as body, publish, tarball, TestApp};

async fn put(base: &str, token: &str, name: &str, version: &str, tgz: Vec<u8>) -> u16 {
    reqwest::Client::new()
        .put(format!("{base}/api/v1/packages/{name}/{version}"))
        .bearer_auth(token)
        .multipart(form(tgz))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_clients_publishing_one_version_make_one_row_and_one_blob() {
    let app = TestApp::spawn_with(|c| c.database_max_connections = 16).await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("racy", "1.0.0");
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (base, token, tgz) = (app.base.clone(), token.clone(), tgz.clone());
            tokio::spawn(async move { put(&base, &token, "racy", "1.0.0", tgz).await })
        })
        .collect();
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
    assert_eq!(app.sql_count("SELECT count(*) FROM packages").await, 1);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM package_owners").await,
        1
    );
    assert_eq!(app.blob_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_clients_publishing_one_version_with_different_bytes_make_one_row() {
    let app = TestApp::spawn_with(|c| c.database_max_connections = 16).await;
    let (_, token) = app.user_with_token("alice").await;
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (base, token) = (app.base.clone(), token.clone());
            let tgz = tarball::package_with("racy", "1.0.0", "", &format!("(define x {i})"));
            tokio::spawn(async move { put(&base, &token, "racy", "1.0.0", tgz).await })
        })
        .collect();
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
    // The losers' blobs are removed again; only the winner's stays.
    assert_eq!(app.blob_count(), 1);
    let checksum = app
        .sql_count("SELECT count(*) FROM versions v WHERE length(v.checksum) = 64")
        .await;
    assert_eq!(checksum, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_while_it_publishes_leaves_whole_publishes_or_none() {
    let app = TestApp::spawn_with(|c| c.database_max_connections = 16).await;
    let (browser, _) = app.user_with_token("alice").await;
    for round in 0..3 {
        let v = body(
            browser
                .post(app.url("/api/v1/tokens"))
                .json(&json!({"name": format!("ci-{round}")}))
                .send()
                .await
                .unwrap(),
            201,
        )
        .await;
        let (id, token) = (
            v["id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        );
        let name = format!("rev{round}");
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (base, token, name) = (app.base.clone(), token.clone(), name.clone());
                let version = format!("1.0.{i}");
                let tgz = tarball::package(&name, &version);
                tokio::spawn(async move {
                    // Spread the publishes around the revocation.
                    tokio::time::sleep(std::time::Duration::from_millis(i * 8)).await;
                    (
                        version.clone(),
                        put(&base, &token, &name, &version, tgz).await,
                    )
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(20 + round * 20)).await;
        body(
            browser
                .delete(app.url(&format!("/api/v1/tokens/{id}")))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        let mut results = vec![];
        for t in tasks {
            results.push(t.await.unwrap());
        }
        for (version, status) in &results {
            let rows = app
                .sql_count(&format!(
                    "SELECT count(*) FROM versions v JOIN packages p ON p.id = v.package_id
                     WHERE p.name = '{name}' AND v.version = '{version}'"
                ))
                .await;
            match status {
                201 => assert_eq!(rows, 1, "{name}@{version} answered 201 but has no row"),
                // The first publish may be refused, and a later one then creates the package.
                401 | 403 => assert_eq!(rows, 0, "{name}@{version} refused but stored"),
                other => panic!("{name}@{version}: unexpected {other} in {results:?}"),
            }
        }
        // After the revocation returns, the token is dead.
        assert_eq!(
            put(
                &app.base,
                &token,
                &name,
                "9.9.9",
                tarball::package(&name, "9.9.9")
            )
            .await,
            401
        );
        // Every row has its blob.
        let versions = app
            .sql_count("SELECT count(DISTINCT checksum) FROM versions")
            .await;
        assert_eq!(versions as usize, app.blob_count());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yank_and_publish_interleaved_stay_consistent() {
    let app = TestApp::spawn_with(|c| c.database_max_connections = 16).await;
    let (_, token) = app.user_with_token("alice").await;
    body(
        publish(
            &app,
            &token,
            "mix",
            "1.0.0",
            tarball::package("mix", "1.0.0"),
        )
        .await,
        201,
    )
    .await;
    let mut tasks = vec![];
    for i in 1..=12u32 {
        let (base, token) = (app.base.clone(), token.clone());
        let version = format!("1.0.{i}");
        let tgz = tarball::package("mix", &version);
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut log = vec![];
            let s = put(&base, &token, "mix", &version, tgz).await;
            log.push(("publish", version.clone(), s));
            // Yank and unyank the new version, the old one, and the next one
            // (which may not exist yet), all while others publish.
            for (what, v) in [
                ("yank", version.clone()),
                ("yank", "1.0.0".to_string()),
                ("unyank", "1.0.0".to_string()),
                ("yank", format!("1.0.{}", i + 1)),
                ("unyank", version.clone()),
                ("yank", version.clone()),
            ] {
                let s = c
                    .post(format!("{base}/api/v1/packages/mix/{v}/{what}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                log.push((what, v, s));
            }
            log
        }));
    }
    let mut log = vec![];
    for t in tasks {
        log.extend(t.await.unwrap());
    }
    for (what, v, s) in &log {
        match (*what, *s) {
            ("publish", 201) | ("yank" | "unyank", 200) => {}
            // Yanking the next version before it is published.
            ("yank", 404) if v != "1.0.0" => {}
            other => panic!("{what} {v}: {other:?}\n{log:?}"),
        }
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 13);
    assert_eq!(app.blob_count(), 13);
    // Each task's last word on its own version was a yank.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked AND version <> '1.0.0'")
            .await,
        12
    );
    // yanked_at is set exactly when yanked.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions WHERE yanked <> (yanked_at IS NOT NULL)")
            .await,
        0
    );
    let info = body(
        app.client()
            .get(app.url("/api/v1/packages/mix"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["versions"].as_array().unwrap().len(), 13);
}
