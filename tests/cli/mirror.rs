//! A team registry with the real `sema` 2.0.0: private, mirroring another real
//! instance through a proxy that can stop it; and `sema-pkg package claim`.

use std::time::Duration;

use sema_pkg::config::UpstreamConfig;

use crate::common::{expect_error, json, publish, tarball, TestApp};
use crate::proxy::Proxy;
use crate::{fails, lock, ok, package_dir, project_dir, Shell};

fn upstream(url: &str) -> UpstreamConfig {
    UpstreamConfig {
        url: url.to_string(),
        ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(5),
        concurrency: 8,
        token: None,
    }
}

const JSON_CODE: &str = "(define (shout s) (string-append s \"!\"))\n";
const LIB_CODE: &str = "(define (greet name) (string-append \"hello, \" name))\n";

// Multi-threaded: the proxy's tasks run while a `sema` process blocks this thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sema_installs_a_private_package_that_depends_on_a_mirrored_one_even_with_upstream_stopped()
{
    let public = TestApp::spawn().await;
    let proxy = Proxy::start(public.base.trim_start_matches("http://").to_string()).await;
    let url = format!("http://{}", proxy.addr);
    let team = TestApp::spawn_with(|c| {
        c.private = true;
        c.registration_open = true;
        c.upstream = Some(upstream(&url));
    })
    .await;

    // `json` is on the public registry, published with the real CLI.
    let (_, public_token) = public.user_with_token("alice").await;
    let author = Shell::new(&public);
    author.login_token(&public_token);
    let dir = package_dir("json", "1.0.0", JSON_CODE);
    ok(&author.pkg(dir.path(), &["publish"]));
    let theirs = json(
        public
            .client()
            .get(public.url("/api/v1/packages/json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;

    // The team's private package depends on it: publish asks the mirror.
    let (_, team_token) = team.user_with_token("bob").await;
    let dev = Shell::new(&team);
    dev.login_token(&team_token);
    let lib = package_dir("teamlib", "0.1.0", LIB_CODE);
    let manifest = std::fs::read_to_string(lib.path().join("sema.toml")).unwrap();
    std::fs::write(
        lib.path().join("sema.toml"),
        format!("{manifest}json = \"1.0.0\"\n"),
    )
    .unwrap();
    ok(&dev.pkg(lib.path(), &["publish"]));

    // A teammate adds it; json comes along from the team registry.
    let mate = Shell::new(&team);
    mate.login_token(&team_token);
    let proj = project_dir();
    ok(&mate.pkg(proj.path(), &["add", "teamlib"]));
    let l = lock(proj.path());
    let entry = &l["packages"]["json"];
    assert_eq!(entry["registry"].as_str(), Some(team.base.as_str()));
    assert_eq!(entry["direct"].as_bool(), Some(false));
    assert_eq!(
        entry["checksum"].as_str(),
        theirs["versions"][0]["checksum"].as_str(),
        "the same bytes as upstream, so lockfiles verify against either"
    );
    let main = "(import \"json\")\n(import \"teamlib\")\n(println (shout (greet \"team\")))\n";
    std::fs::write(proj.path().join("main.sema"), main).unwrap();
    assert_eq!(
        ok(&mate.sema(proj.path(), &["main.sema"])).trim(),
        "hello, team!"
    );

    // Upstream goes away: a locked install still works from the team registry.
    proxy.cut();
    std::fs::remove_dir_all(mate.home.path().join("packages")).unwrap();
    ok(&mate.pkg(proj.path(), &["install", "--locked"]));
    assert_eq!(
        ok(&mate.sema(proj.path(), &["main.sema"])).trim(),
        "hello, team!"
    );

    // Anonymous: refused; search says why the CLI cannot pass.
    let anon = Shell::new(&team);
    let r = anon.pkg(proj.path(), &["info", "teamlib"]);
    assert!(fails(&r).contains("401"), "{}", r.stderr);
    let r = anon.pkg(proj.path(), &["search", "teamlib"]);
    assert!(
        fails(&r).contains("never sends its token on search"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn sema_pkg_package_claim_lets_a_local_package_take_an_upstream_name() {
    let public = TestApp::spawn().await;
    let (_, token) = public.user_with_token("alice").await;
    let res = publish(
        &public,
        &token,
        "json",
        "1.0.0",
        tarball::package("json", "1.0.0"),
    )
    .await;
    json(res, 201).await;
    let team = TestApp::spawn_with(|c| c.upstream = Some(upstream(&public.base))).await;
    let (_, bob) = team.user_with_token("bob").await;
    let attempt = || {
        publish(
            &team,
            &bob,
            "json",
            "2.0.0",
            tarball::package("json", "2.0.0"),
        )
    };
    let err = expect_error(attempt().await, 409).await;
    assert!(err.contains("sema-pkg package claim json"), "{err}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sema-pkg"))
        .args(["package", "claim", "json"])
        .env("DATABASE_URL", &team.database_url)
        .env("BLOB_DIR", team.blob_dir.path())
        .env("RUST_LOG", "off")
        .env_remove("UPSTREAM_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("claimed json"));

    json(attempt().await, 201).await;
    let ours = json(
        team.client()
            .get(team.url("/api/v1/packages/json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(ours["package"]["mirrored_from"], serde_json::Value::Null);
    assert_eq!(ours["versions"][0]["version"], "2.0.0");
    let claims =
        "SELECT count(*) FROM audit_log WHERE action = 'admin.claim' AND actor = 'admin-cli'";
    assert_eq!(team.sql_count(claims).await, 1);
}

/// `sema-pkg doctor` with these extra variables.
fn doctor(app: &TestApp, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sema-pkg"));
    cmd.arg("doctor")
        .env("DATABASE_URL", &app.database_url)
        .env("BLOB_DIR", app.blob_dir.path())
        .env("RUST_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_that_upstream_answers() {
    let public = TestApp::spawn().await;
    let team = TestApp::spawn().await;
    let (healthy, out) = doctor(
        &team,
        &[
            ("UPSTREAM_URL", &public.base),
            ("REGISTRY_ACCESS", "private"),
        ],
    );
    assert!(healthy, "{out}");
    assert!(
        out.contains(&format!("[ ok ] upstream {} reachable", public.base)),
        "{out}"
    );
    assert!(out.contains("registration closed"), "{out}");
    let (healthy, out) = doctor(&team, &[("UPSTREAM_URL", "http://127.0.0.1:1")]);
    assert!(!healthy, "{out}");
    assert!(
        out.contains("[FAIL] upstream http://127.0.0.1:1 unreachable"),
        "{out}"
    );
}
