//! The S3 blob backend against a real S3-compatible server (Garage).

use crate::common::{expect_error, json, publish, s3::Garage, tarball, TestApp};

#[tokio::test]
async fn publish_and_download_through_s3() {
    let garage = Garage::start();
    let cfg = garage.blob_config();
    let app = TestApp::spawn_with(move |c| c.blob = cfg).await;
    let ready = json(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(ready["blob_store"], "up");
    let (_, token) = app.user_with_token("alice").await;
    // Bigger than one multipart chunk would be slow here; a few hundred KiB of incompressible data.
    let noise: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let m = tarball::manifest("demo", "0.1.0", "");
    let tgz = tarball::build(&[("sema.toml", m.as_bytes()), ("data.bin", &noise)]);
    let v = json(
        publish(&app, &token, "demo", "0.1.0", tgz.clone()).await,
        201,
    )
    .await;
    let checksum = v["checksum"].as_str().unwrap().to_string();
    let storage = sema_pkg::storage::Storage::new(&garage.blob_config()).unwrap();
    let meta = storage
        .operator()
        .stat(&sema_pkg::storage::blob_path(&checksum))
        .await
        .unwrap();
    assert_eq!(meta.content_length(), tgz.len() as u64);
    let res = app
        .client()
        .get(app.url("/api/v1/packages/demo/0.1.0/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), tgz);
    assert_eq!(app.blob_count(), 0, "nothing on the local filesystem");
}

#[tokio::test]
async fn a_wrong_secret_is_a_503_and_leaves_nothing() {
    let garage = Garage::start();
    let mut cfg = garage.blob_config();
    if let sema_pkg::config::BlobConfig::S3 {
        secret_access_key, ..
    } = &mut cfg
    {
        *secret_access_key = Some("0".repeat(64));
    }
    let app = TestApp::spawn_with(move |c| c.blob = cfg).await;
    let ready = json(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        503,
    )
    .await;
    assert_eq!(ready["blob_store"], "down");
    assert_eq!(ready["database"], "up");
    let (_, token) = app.user_with_token("alice").await;
    let e = expect_error(
        publish(
            &app,
            &token,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        503,
    )
    .await;
    assert!(e.contains("blob store"), "{e}");
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 0);
    assert_eq!(app.sql_count("SELECT count(*) FROM packages").await, 0);
}

#[tokio::test]
async fn an_outage_during_publish_leaves_no_version_row() {
    let mut garage = Garage::start();
    let cfg = garage.blob_config();
    let app = TestApp::spawn_with(move |c| c.blob = cfg).await;
    let (_, token) = app.user_with_token("alice").await;
    json(
        publish(
            &app,
            &token,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    garage.stop();
    let e = expect_error(
        publish(
            &app,
            &token,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        503,
    )
    .await;
    assert!(e.contains("try again"), "{e}");
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
    json(
        app.client().get(app.url("/readyz")).send().await.unwrap(),
        503,
    )
    .await;
    // Metadata still answers while blobs are down.
    json(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
}

#[tokio::test]
async fn downloads_can_redirect_to_presigned_urls_and_are_still_counted() {
    let garage = Garage::start();
    let cfg = garage.blob_config();
    let app = TestApp::spawn_with(move |c| {
        c.blob = cfg;
        c.download_redirect = true;
    })
    .await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("demo", "0.1.0");
    json(
        publish(&app, &token, "demo", "0.1.0", tgz.clone()).await,
        201,
    )
    .await;
    let res = app
        .client()
        .get(app.url("/api/v1/packages/demo/0.1.0/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&garage.endpoint) && location.contains("X-Amz-Signature="),
        "{location}"
    );
    let body = reqwest::get(&location).await.unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(body.bytes().await.unwrap().to_vec(), tgz);
    let counted = app
        .eventually_count(
            "SELECT COALESCE(sum(downloads), 0) FROM version_downloads",
            1,
        )
        .await;
    assert_eq!(counted, 1);
}

/// `sema-pkg blobs migrate --from fs --to s3` from the app's blob folder to Garage.
fn migrate(app: &TestApp, garage: &Garage) -> std::process::Command {
    let mut cmd = crate::seed::command(app, &["blobs", "migrate", "--from", "fs", "--to", "s3"]);
    cmd.env("BLOB_S3_BUCKET", &garage.bucket)
        .env("BLOB_S3_ENDPOINT", &garage.endpoint)
        .env("BLOB_S3_REGION", "garage")
        .env("BLOB_S3_ACCESS_KEY_ID", &garage.key_id)
        .env("BLOB_S3_SECRET_ACCESS_KEY", &garage.secret);
    cmd
}

#[tokio::test]
async fn an_interrupted_blobs_migrate_copies_only_what_is_missing() {
    let garage = Garage::start();
    let app = TestApp::spawn().await;
    crate::seed::finish(&mut crate::seed::command(
        &app,
        &[
            "seed",
            "--packages",
            "120",
            "--versions",
            "1",
            "--tarballs",
            "120",
        ],
    ));
    let total = app.blob_count();
    assert_eq!(total, 120);
    crate::seed::interrupt(&mut migrate(&app, &garage), |done, all| {
        done >= 30 && done < all
    });
    let out = crate::seed::finish(&mut migrate(&app, &garage));
    let numbers: Vec<usize> = out
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    // "{copied} blobs copied and verified, {present} already present" is the first stdout line.
    let (copied, present) = (numbers[0], numbers[1]);
    assert!(
        present >= 30 && copied >= 1 && copied + present == total,
        "{out}"
    );
    let again = crate::seed::finish(&mut migrate(&app, &garage));
    assert!(
        again.starts_with(&format!(
            "0 blobs copied and verified, {total} already present"
        )),
        "{again}"
    );
}

#[tokio::test]
async fn blobs_migrate_from_fs_to_s3_copies_and_verifies_everything() {
    let garage = Garage::start();
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let mut tarballs = vec![];
    for v in ["0.1.0", "0.2.0"] {
        let tgz = tarball::package("demo", v);
        json(publish(&app, &token, "demo", v, tgz.clone()).await, 201).await;
        tarballs.push((v, tgz));
    }
    let run = || migrate(&app, &garage).output().unwrap();
    let out = run();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("2 blobs copied and verified"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = String::from_utf8_lossy(&run().stdout).into_owned();
    assert!(
        again.contains("0 blobs copied and verified, 2 already present"),
        "{again}"
    );
    // The same database served from S3 gives the same bytes.
    let cfg = garage.blob_config();
    let db = app.database_url.clone();
    let s3_app = TestApp::spawn_with(move |c| {
        c.blob = cfg;
        c.database_url = db;
    })
    .await;
    for (v, tgz) in tarballs {
        let res = s3_app
            .client()
            .get(s3_app.url(&format!("/api/v1/packages/demo/{v}/download")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.bytes().await.unwrap().to_vec(), tgz);
    }
}
