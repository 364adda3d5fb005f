//! `DATABASE_READ_URL`: reads that tolerate lag go to a real streaming
//! replica (made by `cluster`), writers read their own writes, and a replica
//! that is gone or too far behind is bypassed without errors.

use std::time::Duration;

use serde_json::json;

use crate::cluster::Cluster;
use crate::common::{self, json, tarball, TestApp};
use sema_pkg::config::ReplicaConfig;

const DB: &str = "sema_pkg_replica";

/// A primary/replica pair and the app reading from both, once the replica is in use.
async fn setup(max_lag_secs: u64) -> (Cluster, TestApp) {
    let cluster = Cluster::start();
    let primary = cluster.primary_url(DB);
    sema_pkg::db::create_database_if_missing(&primary)
        .await
        .unwrap();
    sema_pkg::db::migrate(&primary).await.unwrap();
    let replica = ReplicaConfig {
        url: cluster.replica_url(DB),
        max_lag: Duration::from_secs(max_lag_secs),
    };
    let app = TestApp::spawn_with(move |c| {
        c.database_url = primary;
        c.replica = Some(replica);
    })
    .await;
    assert!(
        until(&app, "sema_pkg_db_replica_usable", |v| v == 1.0).await,
        "the replica never came into use"
    );
    (cluster, app)
}

/// Polls a gauge for up to 15 s; whether it got there.
async fn until(app: &TestApp, metric: &str, ok: impl Fn(f64) -> bool) -> bool {
    for _ in 0..150 {
        if ok(app.metric(metric, &[]).await) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn count(port: u16, sql: &str) -> i64 {
    let c = Cluster::client(port, DB).await;
    c.query_one(&format!("SELECT ({sql})::bigint"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Waits until the replica has replayed `versions` versions.
async fn replicated(cluster: &Cluster, versions: i64) {
    for _ in 0..150 {
        if count(cluster.replica_port, "SELECT count(*) FROM versions").await == versions {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica never replayed {versions} versions");
}

async fn publish(app: &TestApp, token: &str, name: &str, version: &str) {
    let tgz = tarball::package(name, version);
    json(common::publish(app, token, name, version, tgz).await, 201).await;
}

/// The published versions a client sees.
async fn versions(
    app: &TestApp,
    client: &reqwest::Client,
    token: Option<&str>,
    name: &str,
) -> Vec<String> {
    let mut req = client.get(app.url(&format!("/api/v1/packages/{name}/versions")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let v = json(req.send().await.unwrap(), 200).await;
    let mut out: Vec<String> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn lag_tolerant_reads_go_to_the_replica_and_doctor_checks_it() {
    let (cluster, app) = setup(10).await;
    let (_, token) = app.user_with_token("alice").await;
    publish(&app, &token, "hello", "1.0.0").await;
    replicated(&cluster, 1).await;

    let anon = app.client();
    let found = json(
        anon.get(app.url("/api/v1/search?q=hello"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(found["packages"][0]["name"], "hello", "{found}");
    // The search's statement (its text starts so) ran on the replica's connections, never the primary's.
    let search_sql = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'WITH exact AS (SELECT p.id FROM packages p%'";
    assert!(count(cluster.replica_port, search_sql).await >= 1);
    assert_eq!(count(cluster.primary_port, search_sql).await, 0);

    let before = app
        .metric("sema_pkg_db_reads_total", &["pool=\"replica\""])
        .await;
    for path in [
        "/api/v1/packages/hello",
        "/",
        "/packages/hello",
        "/feeds/releases.xml",
        "/sitemap.xml",
    ] {
        let res = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let after = app
        .metric("sema_pkg_db_reads_total", &["pool=\"replica\""])
        .await;
    assert!(after >= before + 5.0, "replica reads {before} -> {after}");
    assert!(app.metric("sema_pkg_db_replica_lag_seconds", &[]).await >= 0.0);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sema-pkg"))
        .arg("doctor")
        .env("DATABASE_URL", cluster.primary_url(DB))
        .env("DATABASE_READ_URL", cluster.replica_url(DB))
        .env("BLOB_DIR", app.blob_dir.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("[ ok ] read replica reachable, in recovery"),
        "{report}"
    );
}

#[tokio::test]
async fn a_just_published_version_is_visible_to_its_publisher_at_once() {
    let (cluster, app) = setup(60).await;
    let (alice, token) = app.user_with_token("alice").await;
    publish(&app, &token, "hello", "1.0.0").await;
    replicated(&cluster, 1).await;
    // The replica stops replaying: still within the lag limit, but stale from now on.
    let replica = Cluster::client(cluster.replica_port, DB).await;
    replica
        .batch_execute("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();

    publish(&app, &token, "hello", "1.1.0").await;
    let cli = app.client();
    assert_eq!(
        versions(&app, &cli, Some(&token), "hello").await,
        ["1.0.0", "1.1.0"]
    );
    let shown = json(
        cli.get(app.url("/api/v1/packages/hello"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(shown["versions"].as_array().unwrap().len(), 2, "{shown}");
    // Everyone else reads the replica, which has not seen it yet.
    assert_eq!(
        versions(&app, &app.client(), None, "hello").await,
        ["1.0.0"]
    );
    assert_eq!(app.metric("sema_pkg_db_replica_usable", &[]).await, 1.0);

    // A session's write (here a yank) is read back by that session at once.
    let res = alice
        .post(app.url("/api/v1/packages/hello/1.1.0/yank"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let seen = json(
        alice
            .get(app.url("/api/v1/packages/hello/1.1.0"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(seen["version"]["yanked"], true, "{seen}");
}

#[tokio::test]
async fn stopping_the_replica_sends_reads_back_to_the_primary_without_errors() {
    let (cluster, app) = setup(10).await;
    let (_, token) = app.user_with_token("alice").await;
    publish(&app, &token, "hello", "1.0.0").await;
    replicated(&cluster, 1).await;
    let anon = app.client();
    assert_eq!(versions(&app, &anon, None, "hello").await, ["1.0.0"]);
    assert!(
        app.metric("sema_pkg_db_reads_total", &["pool=\"replica\""])
            .await
            >= 1.0
    );

    cluster.stop_replica();
    let before = app
        .metric("sema_pkg_db_reads_total", &["pool=\"primary\""])
        .await;
    for _ in 0..3 {
        assert_eq!(versions(&app, &anon, None, "hello").await, ["1.0.0"]);
        for path in [
            "/api/v1/search?q=hello",
            "/packages/hello",
            "/",
            "/sitemap.xml",
        ] {
            let res = anon.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
        }
    }
    let after = app
        .metric("sema_pkg_db_reads_total", &["pool=\"primary\""])
        .await;
    assert!(after >= before + 15.0, "primary reads {before} -> {after}");
    assert!(until(&app, "sema_pkg_db_replica_usable", |v| v == 0.0).await);
}

#[tokio::test]
async fn a_replica_paused_beyond_the_lag_limit_is_bypassed() {
    let (cluster, app) = setup(1).await;
    let (_, token) = app.user_with_token("alice").await;
    publish(&app, &token, "hello", "1.0.0").await;
    replicated(&cluster, 1).await;
    let replica = Cluster::client(cluster.replica_port, DB).await;
    replica
        .batch_execute("SELECT pg_wal_replay_pause()")
        .await
        .unwrap();
    // A change the paused replica never sees.
    publish(&app, &token, "fresh", "1.0.0").await;
    assert!(
        until(&app, "sema_pkg_db_replica_usable", |v| v == 0.0).await,
        "a replica over the lag limit stayed in use"
    );
    assert!(app.metric("sema_pkg_db_replica_lag_seconds", &[]).await > 1.0);
    assert_eq!(
        count(
            cluster.replica_port,
            "SELECT count(*) FROM packages WHERE name = 'fresh'"
        )
        .await,
        0
    );

    // Search has no second try on the primary: finding it proves the primary answered.
    let found = json(
        app.client()
            .get(app.url("/api/v1/search?q=fresh"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(found["packages"][0]["name"], "fresh", "{found}");

    // Caught up again, it is used again.
    replica
        .batch_execute("SELECT pg_wal_replay_resume()")
        .await
        .unwrap();
    assert!(until(&app, "sema_pkg_db_replica_usable", |v| v == 1.0).await);
}
