//! SIGTERM under download load: every download a client received in full is
//! counted in Postgres after the process exits, and no response is cut mid-body.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{fresh_database, json, tarball};

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_counted_download_and_cuts_no_body() {
    let db = fresh_database().await;
    let blobs = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_sema-pkg"))
            .arg("serve")
            .env("DATABASE_URL", &db)
            .env("BLOB_DIR", blobs.path())
            .env("PORT", port.to_string())
            // Nothing is flushed on the timer: every count must come from the shutdown flush.
            .env("DOWNLOAD_FLUSH_SECS", "3600")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    json(
        browser
            .post(format!("{base}/api/v1/auth/register"))
            .json(&serde_json::json!({"username": "alice", "email": "a@example.com", "password": "correct-horse"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let t = json(
        browser
            .post(format!("{base}/api/v1/tokens"))
            .json(&serde_json::json!({"name": "t"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let token = t["token"].as_str().unwrap().to_string();
    // A tarball big enough that responses are in flight when the signal lands.
    let noise: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let m = tarball::manifest("load", "1.0.0", "");
    let tgz = tarball::build(&[("sema.toml", m.as_bytes()), ("noise.bin", &noise)]);
    let size = tgz.len();
    let form = reqwest::multipart::Form::new()
        .part(
            "tarball",
            reqwest::multipart::Part::bytes(tgz).file_name("p.tar.gz"),
        )
        .text("metadata", "{}");
    let res = client
        .put(format!("{base}/api/v1/packages/load/1.0.0"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let complete = Arc::new(AtomicU64::new(0));
    let cut = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = vec![];
    for _ in 0..8 {
        let (complete, cut, stop, base) =
            (complete.clone(), cut.clone(), stop.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok(res) = c
                    .get(format!("{base}/api/v1/packages/load/1.0.0/download"))
                    .send()
                    .await
                else {
                    // Refused or reset before a response: the server is going away.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                if res.status() != 200 {
                    continue;
                }
                match res.bytes().await {
                    Ok(b) if b.len() == size => complete.fetch_add(1, Ordering::SeqCst),
                    _ => cut.fetch_add(1, Ordering::SeqCst),
                };
            }
        }));
    }
    // Let the load build, then ask the server to stop.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(complete.load(Ordering::SeqCst) > 0, "the load is running");
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(status.success(), "exit status {status:?}");
    let complete = complete.load(Ordering::SeqCst);
    assert_eq!(cut.load(Ordering::SeqCst), 0, "responses cut mid-body");

    let (pg, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let counted: i64 = pg
        .query_one(
            "SELECT COALESCE(SUM(downloads), 0)::bigint FROM version_downloads",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        counted as u64, complete,
        "downloads counted vs received in full"
    );
    drop(pg);
    let name = url::Url::parse(&db)
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
