//! `/api/v1/packages/{name}…` on a team registry that mirrors another real
//! instance (`UPSTREAM_URL`), reached through a TCP proxy that can stop or
//! stall it.

use std::time::Duration;

use sema_pkg::config::UpstreamConfig;

use crate::common::{expect_error, json, publish, tarball, TestApp};
use crate::proxy::Proxy;

pub struct Pair {
    pub upstream: TestApp,
    pub mirror: TestApp,
    pub proxy: Proxy,
    /// The upstream's URL as the mirror knows it (the proxy's).
    pub url: String,
    /// A token of `alice` on the upstream.
    pub token: String,
}

pub fn upstream_config(url: &str) -> UpstreamConfig {
    UpstreamConfig {
        url: url.to_string(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(5),
        concurrency: 8,
        token: None,
    }
}

/// A public upstream (tarballs always read from its blob store, so a test may
/// alter one) and a registry mirroring it.
pub async fn pair(tweak: impl FnOnce(&mut UpstreamConfig)) -> Pair {
    let upstream = TestApp::spawn_with(|c| c.blob_cache_bytes = 0).await;
    let proxy = Proxy::start(upstream.base.trim_start_matches("http://").to_string()).await;
    let url = format!("http://{}", proxy.addr);
    let mut cfg = upstream_config(&url);
    tweak(&mut cfg);
    let mirror = TestApp::spawn_with(|c| c.upstream = Some(cfg)).await;
    let (_, token) = upstream.user_with_token("alice").await;
    Pair {
        upstream,
        mirror,
        proxy,
        url,
        token,
    }
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client().get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_mirrored_package_looks_local_its_tarball_is_fetched_once_and_a_yank_shows_after_refresh()
{
    let p = pair(|c| c.ttl = Duration::from_secs(1)).await;
    let tgz = tarball::package("json", "1.0.0");
    json(
        publish(&p.upstream, &p.token, "json", "1.0.0", tgz.clone()).await,
        201,
    )
    .await;
    let theirs = json(get(&p.upstream, "/api/v1/packages/json").await, 200).await;

    // Any spelling; the same checksums, sizes and times as upstream, marked.
    let ours = json(get(&p.mirror, "/api/v1/packages/JSON").await, 200).await;
    assert_eq!(ours["package"]["name"], "json");
    assert_eq!(ours["package"]["mirrored_from"], p.url.as_str());
    assert_eq!(theirs["package"]["mirrored_from"], serde_json::Value::Null);
    for key in [
        "version",
        "checksum",
        "size_bytes",
        "yanked",
        "published_at",
    ] {
        assert_eq!(
            ours["versions"][0][key], theirs["versions"][0][key],
            "{key}"
        );
    }
    assert_eq!(ours["versions"][0]["checksum"], sha256(&tgz).as_str());
    assert_eq!(
        p.mirror.blob_count(),
        0,
        "tarballs wait for their first download"
    );

    for _ in 0..3 {
        let res = get(&p.mirror, "/api/v1/packages/json/1.0.0/download").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().to_vec(), tgz);
    }
    assert_eq!(p.mirror.blob_count(), 1);
    let downloads = "SELECT COALESCE(sum(downloads), 0) FROM version_downloads";
    assert_eq!(p.upstream.eventually_count(downloads, 1).await, 1);
    assert_eq!(p.mirror.eventually_count(downloads, 3).await, 3);
    let fetched = p
        .mirror
        .metric("sema_pkg_mirror_events_total", &["tarball_fetch"])
        .await;
    assert_eq!(fetched, 1.0);

    // Search and the page show it with local packages, marked.
    let found = json(get(&p.mirror, "/api/v1/search?q=json").await, 200).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["packages"][0]["mirrored_from"], p.url.as_str());
    let page = get(&p.mirror, "/packages/json").await.text().await.unwrap();
    assert!(page.contains("Mirrored from"), "{page}");
    let results = get(&p.mirror, "/search?q=json").await.text().await.unwrap();
    assert!(results.contains(">mirrored</span>"), "{results}");

    // A yank upstream shows once the copy is older than UPSTREAM_TTL_SECS.
    let res = p
        .upstream
        .client()
        .post(p.upstream.url("/api/v1/packages/json/1.0.0/yank"))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    json(res, 200).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let ours = json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    assert_eq!(ours["versions"][0]["yanked"], true);
    assert_eq!(
        p.mirror
            .sql_count("SELECT count(*) FROM versions WHERE yanked")
            .await,
        1
    );
}

#[tokio::test]
async fn a_tarball_whose_sha256_differs_from_the_upstream_metadata_is_refused_and_nothing_is_stored(
) {
    let p = pair(|_| {}).await;
    let tgz = tarball::package("json", "1.0.0");
    let sum = sha256(&tgz);
    json(
        publish(&p.upstream, &p.token, "json", "1.0.0", tgz).await,
        201,
    )
    .await;
    json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    // Upstream now serves other bytes (of the same length) than its metadata promises.
    let blob = p
        .upstream
        .blob_dir
        .path()
        .join(format!("sha256/{}/{sum}.tar.gz", &sum[..2]));
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap();

    let res = get(&p.mirror, "/api/v1/packages/json/1.0.0/download").await;
    let err = expect_error(res, 502).await;
    assert!(err.contains(&sum) && err.contains(&sha256(&bytes)), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert_eq!(p.mirror.blob_count(), 0);
    assert_eq!(
        p.mirror
            .sql_count("SELECT count(*) FROM versions WHERE stored")
            .await,
        0
    );
    let mismatches = p
        .mirror
        .metric("sema_pkg_mirror_events_total", &["checksum_mismatch"])
        .await;
    assert_eq!(mismatches, 1.0);
}

#[tokio::test]
async fn a_slow_upstream_gets_a_stale_answer_or_a_clean_504() {
    let p = pair(|c| {
        c.ttl = Duration::from_secs(1);
        c.timeout = Duration::from_secs(1);
    })
    .await;
    for name in ["json", "yaml"] {
        let tgz = tarball::package(name, "1.0.0");
        json(
            publish(&p.upstream, &p.token, name, "1.0.0", tgz).await,
            201,
        )
        .await;
    }
    json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    // Upstream stalls: connections stay open, nothing comes back.
    p.proxy.blackhole();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The copy is stale: after the timeout, it is served.
    let stale = json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    assert_eq!(stale["versions"][0]["version"], "1.0.0");
    assert!(
        p.mirror
            .metric("sema_pkg_mirror_events_total", &["stale"])
            .await
            >= 1.0
    );
    // Served at once while upstream is known to be failing.
    let start = std::time::Instant::now();
    json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    assert!(start.elapsed() < Duration::from_millis(900));

    // No copy at all: a JSON 504 that says why.
    let err = expect_error(get(&p.mirror, "/api/v1/packages/yaml").await, 504).await;
    assert!(err.contains("did not answer in time"), "{err}");
    assert!(err.contains(&p.url), "{err}");
    // The tarball was never fetched either.
    let res = get(&p.mirror, "/api/v1/packages/json/1.0.0/download").await;
    expect_error(res, 504).await;
    assert_eq!(p.mirror.blob_count(), 0);
}

#[tokio::test]
async fn an_unreachable_upstream_with_nothing_cached_is_a_json_502() {
    // Nothing listens on port 1.
    let app =
        TestApp::spawn_with(|c| c.upstream = Some(upstream_config("http://127.0.0.1:1"))).await;
    let err = expect_error(get(&app, "/api/v1/packages/json").await, 502).await;
    assert!(err.contains("unreachable"), "{err}");
    // Not a name at all: the ordinary 404, upstream is not asked.
    expect_error(get(&app, "/api/v1/packages/bad!name").await, 404).await;
    assert_eq!(
        app.metric("sema_pkg_mirror_events_total", &["upstream_error"])
            .await,
        1.0
    );
}

#[tokio::test]
async fn fifty_concurrent_first_installs_of_one_mirrored_version_make_one_upstream_download() {
    let p = pair(|_| {}).await;
    let tgz = tarball::package("json", "1.0.0");
    json(
        publish(&p.upstream, &p.token, "json", "1.0.0", tgz.clone()).await,
        201,
    )
    .await;
    let mut installs = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (c, base) = (p.mirror.client(), p.mirror.base.clone());
        // What `sema pkg install` does: the metadata, then the tarball.
        installs.spawn(async move {
            let meta = c
                .get(format!("{base}/api/v1/packages/json"))
                .send()
                .await
                .unwrap();
            assert_eq!(meta.status(), 200);
            let res = c
                .get(format!("{base}/api/v1/packages/json/1.0.0/download"))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
        });
    }
    while let Some(done) = installs.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, tgz);
    }
    let downloads = "SELECT COALESCE(sum(downloads), 0) FROM version_downloads";
    assert_eq!(p.mirror.eventually_count(downloads, 50).await, 50);
    // Upstream counted one download (its flusher runs every second: wait past it).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(p.upstream.sql_count(downloads).await, 1);
    for (event, n) in [("tarball_fetch", 1.0), ("fetch", 1.0)] {
        let seen = p
            .mirror
            .metric("sema_pkg_mirror_events_total", &[&format!("\"{event}\"")])
            .await;
        assert_eq!(seen, n, "{event}");
    }
}

#[tokio::test]
async fn the_dependency_confusion_attempt_is_refused_and_allowed_after_a_claim() {
    let p = pair(|_| {}).await;
    let tgz = tarball::package("json", "1.0.0");
    json(
        publish(&p.upstream, &p.token, "json", "1.0.0", tgz).await,
        201,
    )
    .await;
    let (_, bob) = p.mirror.user_with_token("bob").await;
    // Never seen here before: upstream is asked, and it has the name.
    for spelling in ["JSON", "json"] {
        let tgz = tarball::package(spelling, "9.0.0");
        let res = publish(&p.mirror, &bob, spelling, "9.0.0", tgz).await;
        let err = expect_error(res, 409).await;
        assert!(err.contains(&p.url), "{err}");
        assert!(err.contains("sema-pkg package claim"), "{err}");
    }
    assert_eq!(
        p.mirror
            .sql_count("SELECT count(*) FROM versions WHERE NOT stored")
            .await,
        1,
        "only the mirrored 1.0.0"
    );
    // A name upstream lacks is free.
    let res = publish(
        &p.mirror,
        &bob,
        "teamonly",
        "0.1.0",
        tarball::package("teamonly", "0.1.0"),
    )
    .await;
    json(res, 201).await;

    // An administrator claims the name (the function `sema-pkg package claim` and /admin call).
    let mut conn = p.mirror.pool.get().await.unwrap();
    let origin = sema_pkg::audit::Origin::cli();
    sema_pkg::usecase::packages::claim_name(
        &mut conn,
        sema_pkg::usecase::Actor::Cli,
        &origin,
        "Json",
    )
    .await
    .unwrap();
    drop(conn);
    let res = publish(
        &p.mirror,
        &bob,
        "json",
        "9.0.0",
        tarball::package("json", "9.0.0"),
    )
    .await;
    json(res, 201).await;
    let ours = json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    assert_eq!(ours["package"]["mirrored_from"], serde_json::Value::Null);
    assert_eq!(ours["owners"], serde_json::json!(["bob"]));
    assert_eq!(ours["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        p.mirror
            .sql_count(
                "SELECT count(*) FROM audit_log WHERE action = 'admin.claim' AND subject = 'Json'"
            )
            .await,
        1
    );
    // A local name always wins: upstream's json is not mixed back in.
    p.mirror.sql("UPDATE packages SET fetched_at = NULL").await;
    let ours = json(get(&p.mirror, "/api/v1/packages/json").await, 200).await;
    assert_eq!(ours["versions"][0]["version"], "9.0.0");
}

#[tokio::test]
async fn search_returns_local_and_upstream_packages_together_and_marks_the_mirrored_ones() {
    let p = pair(|_| {}).await;
    let up = tarball::package("json-schema", "1.0.0");
    json(
        publish(&p.upstream, &p.token, "json-schema", "1.0.0", up).await,
        201,
    )
    .await;
    let (_, bob) = p.mirror.user_with_token("bob").await;
    let ours = tarball::package("json-team", "0.1.0");
    json(
        publish(&p.mirror, &bob, "json-team", "0.1.0", ours).await,
        201,
    )
    .await;
    // json-schema was never asked for here: the search brings it in.
    let found = json(get(&p.mirror, "/api/v1/search?q=json").await, 200).await;
    assert_eq!(found["total"], 2, "{found}");
    let marks: Vec<(String, bool)> = found["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["mirrored_from"].is_string(),
            )
        })
        .collect();
    assert!(marks.contains(&("json-schema".into(), true)), "{marks:?}");
    assert!(marks.contains(&("json-team".into(), false)), "{marks:?}");
    // Upstream down: search still answers with what is held here.
    p.proxy.cut();
    let found = json(get(&p.mirror, "/api/v1/search?q=team").await, 200).await;
    assert_eq!(found["packages"][0]["name"], "json-team");
}

#[tokio::test]
async fn a_local_package_may_depend_on_a_mirrored_version() {
    let p = pair(|_| {}).await;
    let tgz = tarball::package("json", "1.0.0");
    json(
        publish(&p.upstream, &p.token, "json", "1.0.0", tgz).await,
        201,
    )
    .await;
    let (_, bob) = p.mirror.user_with_token("bob").await;
    let app = |version: &str, dep: &str| {
        tarball::with_manifest(&format!(
            "[package]\nname = \"app\"\nversion = \"{version}\"\n\n[deps]\njson = \"{dep}\"\n"
        ))
    };
    // json was never asked for here: the dependency check asks the mirror.
    json(
        publish(&p.mirror, &bob, "app", "0.1.0", app("0.1.0", "1.0.0")).await,
        201,
    )
    .await;
    let err = expect_error(
        publish(&p.mirror, &bob, "app", "0.2.0", app("0.2.0", "9.9.9")).await,
        422,
    )
    .await;
    assert!(err.contains("json@9.9.9") && err.contains(&p.url), "{err}");
    let deps = json(
        get(&p.mirror, "/api/v1/packages/json/dependents").await,
        200,
    )
    .await;
    assert_eq!(deps["dependents"][0]["name"], "app");
}
