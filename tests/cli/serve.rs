//! The `sema-pkg` binary itself: configuration errors, and memory that stays
//! flat while a too-large upload streams in.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{fresh_database, json};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sema-pkg")
}

#[test]
fn a_bad_config_value_is_one_line_naming_the_variable() {
    for (var, value) in [
        ("PORT", "abc"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("BLOB_BACKEND", "ftp"),
        ("TRUSTED_PROXIES", "not-an-ip"),
        ("UPSTREAM_URL", "ftp://pkg.example.com"),
        ("REGISTRY_ACCESS", "secret"),
        ("REGISTRATION", "maybe"),
    ] {
        let out = Command::new(bin())
            .arg("migrate")
            .env(var, value)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(var), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = Command::new(bin())
        .arg("migrate")
        .env("BASE_URL", "https://pkg.example.com")
        .env_remove("SESSION_SECRET")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESSION_SECRET"));
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A `sema-pkg serve` process; killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary on a free port and waits until it answers.
pub async fn start_server(db: &str, blobs: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(bin());
    cmd.arg("serve")
        .env("DATABASE_URL", db)
        .env("BLOB_DIR", blobs)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server {
        child: cmd.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sema-pkg serve did not start");
}

pub async fn drop_database(db: &str) {
    let name = url::Url::parse(db)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let (admin, conn) = tokio_postgres::connect(&crate::common::admin_url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_100_mb_upload_against_a_50_mb_limit_is_refused_with_flat_memory() {
    let db = fresh_database().await;
    let blobs = tempfile::tempdir().unwrap();
    let limit = (50 * 1024 * 1024).to_string();
    let server = start_server(&db, blobs.path(), &[("MAX_TARBALL_BYTES", &limit)]).await;
    let base = server.base.clone();
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    c.post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "alice", "email": "a@example.com", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    let token = json(
        c.post(format!("{base}/api/v1/tokens"))
            .json(&serde_json::json!({"name": "t"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = token["token"].as_str().unwrap().to_string();
    let before = peak_rss_kib(server.child.id());
    // 100 MiB streamed in 1 MiB chunks, with no Content-Length, so only streaming can stop it.
    let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(vec![0x5au8; 1024 * 1024]));
    let form = reqwest::multipart::Form::new().text("metadata", "{}").part(
        "tarball",
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .file_name("package.tar.gz"),
    );
    let res = reqwest::Client::new()
        .put(format!("{base}/api/v1/packages/big/0.1.0"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await;
    // The server may close the connection right after its 413, before the client finished sending.
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    let after = peak_rss_kib(server.child.id());
    let grew_mib = (after.saturating_sub(before)) / 1024;
    assert!(
        grew_mib < 32,
        "peak RSS grew by {grew_mib} MiB during a refused 100 MiB upload"
    );
    let versions = json(
        reqwest::Client::new()
            .get(format!("{base}/api/v1/packages/big"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(versions["error"].is_string());
    let leftovers = std::fs::read_dir(blobs.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "sha256")
        .count();
    assert_eq!(leftovers, 0, "no blob written");
    drop(server);
    drop_database(&db).await;
}

/// Managed Postgres wants TLS: `sslmode=require` encrypts (checked in
/// pg_stat_ssl), and `verify-full` refuses a certificate no trusted CA signed.
#[tokio::test]
async fn postgres_over_tls_with_sslmode_require() {
    let db = fresh_database().await;
    let with = |mode: &str| format!("{db}?sslmode={mode}");
    let client = sema_pkg::db::tls::client(&with("require")).await.unwrap();
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "the connection is encrypted");
    let plain = sema_pkg::db::tls::client(&db).await.unwrap();
    let row = plain
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0));
    // The machine's server certificate is self-signed (Debian's snakeoil): verification must refuse it.
    assert!(sema_pkg::db::tls::client(&with("verify-full"))
        .await
        .is_err());
    // The whole server runs over TLS: migrations, pool, sessions.
    let blobs = tempfile::tempdir().unwrap();
    let server = start_server(&with("require"), blobs.path(), &[]).await;
    let ready = json(
        reqwest::Client::new()
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(ready["database"], "up");
    drop(server);
    drop(client);
    drop(plain);
    drop_database(&db).await;
}
