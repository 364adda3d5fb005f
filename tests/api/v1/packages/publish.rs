//! `PUT /api/v1/packages/{name}/{version}`.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Nothing of a refused upload may stay behind.
async fn assert_empty(app: &TestApp) {
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions").await,
        0,
        "no version rows"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM packages").await,
        0,
        "no package rows"
    );
    assert_eq!(app.blob_count(), 0, "no blobs");
}

#[tokio::test]
async fn publish_creates_the_package_with_its_publisher_as_owner() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package_with(
        "demo",
        "0.1.0",
        "license = \"MIT\"\nkeywords = [\"Web\"]\nrepository = \"https://example.com/demo\"",
        "(define x 1)",
    );
    let v = body(
        publish(&app, &token, "demo", "0.1.0", tgz.clone()).await,
        201,
    )
    .await;
    assert_eq!(
        v,
        json!({"ok": true, "package": "demo", "version": "0.1.0", "checksum": sha256_hex(&tgz), "size": tgz.len()})
    );
    let blob = app.blob_dir.path().join(format!(
        "sha256/{}/{}.tar.gz",
        &sha256_hex(&tgz)[..2],
        sha256_hex(&tgz)
    ));
    assert_eq!(std::fs::read(blob).unwrap(), tgz);
    let info = body(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["owners"], json!(["alice"]));
    assert_eq!(info["package"]["license"], "MIT");
    assert_eq!(info["package"]["keywords"], json!(["web"]));
    assert_eq!(
        info["package"]["repository_url"],
        "https://example.com/demo"
    );
}

#[tokio::test]
async fn byte_identical_republish_is_200_with_the_same_body_and_different_bytes_409() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("demo", "1.0.0");
    let first = body(
        publish(&app, &token, "demo", "1.0.0", tgz.clone()).await,
        201,
    )
    .await;
    let again = body(publish(&app, &token, "demo", "1.0.0", tgz).await, 200).await;
    assert_eq!(first, again);
    let e = expect_error(
        publish(
            &app,
            &token,
            "demo",
            "1.0.0",
            tarball::package_with("demo", "1.0.0", "", "(changed)"),
        )
        .await,
        409,
    )
    .await;
    assert!(e.contains("immutable"), "{e}");
    // A build-metadata twin is the same version.
    let e = expect_error(
        publish(
            &app,
            &token,
            "demo",
            "1.0.0+build.2",
            tarball::package("demo", "1.0.0+build.2"),
        )
        .await,
        409,
    )
    .await;
    assert!(e.contains("build metadata"), "{e}");
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 1);
}

#[tokio::test]
async fn concurrent_publishes_of_one_version_make_one_row() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("racy", "1.0.0");
    let mut tasks = vec![];
    for _ in 0..16 {
        let (tgz, token) = (tgz.clone(), token.clone());
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let form = reqwest::multipart::Form::new()
                .part(
                    "tarball",
                    reqwest::multipart::Part::bytes(tgz).file_name("package.tar.gz"),
                )
                .text("metadata", "{}");
            reqwest::Client::new()
                .put(format!("{base}/api/v1/packages/racy/1.0.0"))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
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

#[tokio::test]
async fn names_and_versions_are_checked() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    for (name, version) in [
        ("Bad%20Name!", "0.1.0"),
        ("a.b", "0.1.0"),
        ("a@b", "0.1.0"),
        ("-x", "0.1.0"),
        ("owners", "0.1.0"),
        ("ns/versions", "0.1.0"),
        ("a/b/c", "0.1.0"),
        (&"x".repeat(65), "0.1.0"),
        ("good", "1.0"),
        ("good", "v1.0.0"),
        ("good", "01.0.0"),
    ] {
        let res = publish(
            &app,
            &token,
            name,
            version,
            tarball::package("good", "0.1.0"),
        )
        .await;
        let e = expect_error(res, 400).await;
        assert!(e.contains("invalid"), "{name} {version}: {e}");
    }
    // The URL parser folds `%2e%2e` into `..` before sending: whatever arrives is refused.
    let res = publish(
        &app,
        &token,
        "%2e%2e",
        "0.1.0",
        tarball::package("good", "0.1.0"),
    )
    .await;
    let status = res.status().as_u16();
    assert!(status == 400 || status == 404, "{status}");
    expect_error(res, status).await;
    assert_empty(&app).await;
}

#[tokio::test]
async fn canonical_names_collide() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(
        publish(
            &app,
            &alice,
            "My_Pkg",
            "0.1.0",
            tarball::package("My_Pkg", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    expect_error(
        publish(
            &app,
            &bob,
            "my-pkg",
            "0.1.0",
            tarball::package("my-pkg", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    // Lookups accept any spelling and answer with the published one.
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages/MY-PKG"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["package"]["name"], "My_Pkg");
}

#[tokio::test]
async fn namespaces_belong_to_their_first_publisher_or_namesake() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(
        publish(
            &app,
            &alice,
            "tools/json",
            "0.1.0",
            tarball::package("tools/json", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    body(
        publish(
            &app,
            &alice,
            "tools/http",
            "0.1.0",
            tarball::package("tools/http", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let e = expect_error(
        publish(
            &app,
            &bob,
            "tools/csv",
            "0.1.0",
            tarball::package("tools/csv", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("namespace"), "{e}");
    // `alice/…` is alice's even before she uses it.
    let e = expect_error(
        publish(
            &app,
            &bob,
            "alice/x",
            "0.1.0",
            tarball::package("alice/x", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("alice"), "{e}");
    body(
        publish(
            &app,
            &bob,
            "bob/x",
            "0.1.0",
            tarball::package("bob/x", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let v = body(
        app.client()
            .get(app.url("/api/v1/packages/tools/json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["package"]["name"], "tools/json");
}

#[tokio::test]
async fn only_owners_publish_new_versions() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    body(
        publish(
            &app,
            &alice,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let e = expect_error(
        publish(
            &app,
            &bob,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("owner"), "{e}");
}

#[tokio::test]
async fn token_scopes_and_patterns_apply() {
    let app = TestApp::spawn().await;
    let c = app.register("alice").await;
    let update_only = app
        .token(&c, json!({"name": "u", "scopes": ["publish-update"]}))
        .await;
    let new_only = app
        .token(&c, json!({"name": "n", "scopes": ["publish-new"]}))
        .await;
    let json_only = app
        .token(&c, json!({"name": "j", "packages": ["json*"]}))
        .await;
    let e = expect_error(
        publish(
            &app,
            &update_only,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("publish-new"), "{e}");
    body(
        publish(
            &app,
            &new_only,
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    let e = expect_error(
        publish(
            &app,
            &new_only,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("publish-update"), "{e}");
    body(
        publish(
            &app,
            &update_only,
            "demo",
            "0.2.0",
            tarball::package("demo", "0.2.0"),
        )
        .await,
        201,
    )
    .await;
    let e = expect_error(
        publish(
            &app,
            &json_only,
            "other",
            "0.1.0",
            tarball::package("other", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("json*"), "{e}");
    body(
        publish(
            &app,
            &json_only,
            "json-schema",
            "0.1.0",
            tarball::package("json-schema", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn unauthenticated_publish_is_401_json() {
    let app = TestApp::spawn().await;
    let e = expect_error(
        publish(
            &app,
            "sema_pat_unknown",
            "demo",
            "0.1.0",
            tarball::package("demo", "0.1.0"),
        )
        .await,
        401,
    )
    .await;
    assert!(!e.is_empty());
    assert_empty(&app).await;
}

#[tokio::test]
async fn every_tarball_rule_has_a_clear_error() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let base = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n";
    let ok_manifest = tarball::manifest("demo", "0.1.0", "");
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("not gzip", b"plain text".to_vec(), 400, "not gzip"),
        (
            "truncated gzip",
            tarball::package("demo", "0.1.0")[..40].to_vec(),
            400,
            "tarball",
        ),
        (
            "no sema.toml",
            tarball::build(&[("package.sema", b"x")]),
            400,
            "no sema.toml",
        ),
        (
            "nested sema.toml",
            tarball::build(&[("sub/sema.toml", ok_manifest.as_bytes())]),
            400,
            "no sema.toml",
        ),
        (
            "invalid toml",
            tarball::with_manifest("[package"),
            422,
            "not valid TOML",
        ),
        (
            "no [package]",
            tarball::with_manifest("x = 1"),
            422,
            "[package]",
        ),
        (
            "wrong name",
            tarball::with_manifest("[package]\nname = \"other\"\nversion = \"0.1.0\""),
            422,
            "name",
        ),
        (
            "wrong version",
            tarball::with_manifest("[package]\nname = \"demo\"\nversion = \"0.2.0\""),
            422,
            "version",
        ),
        (
            "non-string dep",
            tarball::with_manifest(&format!("{base}[deps]\njson = 1")),
            422,
            "must be a string",
        ),
        (
            "unknown dep",
            tarball::with_manifest(&format!("{base}[deps]\njson = \"1.0.0\"")),
            422,
            "not published",
        ),
        (
            "bad req",
            tarball::with_manifest(&format!("{base}sema_version_req = \">>2\"")),
            422,
            "sema_version_req",
        ),
        (
            "long req",
            tarball::with_manifest(&format!("{base}sema_version_req = \"{}\"", "1".repeat(129))),
            422,
            "128",
        ),
        (
            "entrypoint ..",
            tarball::with_manifest(&format!("{base}entrypoint = \"../x.sema\"")),
            422,
            "entrypoint",
        ),
        (
            "entrypoint abs",
            tarball::with_manifest(&format!("{base}entrypoint = \"/x.sema\"")),
            422,
            "entrypoint",
        ),
        (
            "symlink",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("link", b'2', b"", "/etc/passwd"),
            ]),
            400,
            "symlink",
        ),
        (
            "hardlink",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("hard", b'1', b"", "sema.toml"),
            ]),
            400,
            "hardlink",
        ),
        (
            "device",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("dev", b'3', b"", ""),
            ]),
            400,
            "device",
        ),
        (
            "fifo",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("fifo", b'6', b"", ""),
            ]),
            400,
            "FIFO",
        ),
        (
            "dotdot",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("../evil", b'0', b"x", ""),
            ]),
            400,
            "..",
        ),
        (
            "absolute",
            tarball::raw(&[
                tarball::raw_entry("sema.toml", b'0', ok_manifest.as_bytes(), ""),
                tarball::raw_entry("/etc/evil", b'0', b"x", ""),
            ]),
            400,
            "absolute",
        ),
    ];
    for (what, tgz, status, needle) in cases {
        let e = expect_error(publish(&app, &token, "demo", "0.1.0", tgz).await, status).await;
        assert!(e.contains(needle), "{what}: {e}");
    }
    assert_empty(&app).await;
}

#[tokio::test]
async fn gzip_and_tar_bombs_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    // 300 MiB of zeros compresses to ~300 KiB.
    let m = tarball::manifest("demo", "0.1.0", "");
    let zeros = vec![0u8; 300 * 1024 * 1024];
    let bomb = tarball::build(&[("sema.toml", m.as_bytes()), ("zeros", &zeros)]);
    drop(zeros);
    assert!(bomb.len() < 2 * 1024 * 1024);
    let status = publish(&app, &token, "demo", "0.1.0", bomb).await;
    let e = expect_error(status, 413).await;
    assert!(e.contains("larger than") || e.contains("unpacks"), "{e}");
    // 20,000 tiny entries.
    let mut entries = vec![tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "")];
    for i in 0..20_000 {
        entries.push(tarball::raw_entry(&format!("f{i}"), b'0', b"", ""));
    }
    let e = expect_error(
        publish(&app, &token, "demo", "0.1.0", tarball::raw(&entries)).await,
        400,
    )
    .await;
    assert!(e.contains("entries"), "{e}");
    assert_empty(&app).await;
}

/// The `metadata` part's known fields must have the CLI's types; the 400
/// names the field. Its values never win over the manifest's.
#[tokio::test]
async fn metadata_fields_of_the_wrong_type_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let url = app.url("/api/v1/packages/demo/0.1.0");
    let send = |metadata: &'static str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "tarball",
                reqwest::multipart::Part::bytes(tarball::package("demo", "0.1.0"))
                    .file_name("package.tar.gz"),
            )
            .text("metadata", metadata);
        app.client()
            .put(&url)
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    for (metadata, field, kind) in [
        (r#"{"description": 5}"#, "description", "a number"),
        (
            r#"{"repository_url": ["https://x"]}"#,
            "repository_url",
            "a list",
        ),
        (
            r#"{"sema_version_req": {"a": 1}}"#,
            "sema_version_req",
            "an object",
        ),
        (
            r#"{"description": "d", "repository_url": true}"#,
            "repository_url",
            "a boolean",
        ),
    ] {
        let e = expect_error(send(metadata).await.unwrap(), 400).await;
        assert!(
            e.contains(&format!("`{field}` must be a string or null, not {kind}")),
            "{metadata}: {e}"
        );
    }
    assert_empty(&app).await;
    // Strings, nulls and unknown keys pass; the manifest's description wins.
    let ok =
        send(r#"{"description": "from metadata", "repository_url": null, "dependencies": [1]}"#);
    body(ok.await.unwrap(), 201).await;
    let info = body(
        app.client()
            .get(app.url("/api/v1/packages/demo"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(info["package"]["description"], "The demo package", "{info}");
}

#[tokio::test]
async fn multipart_must_be_what_the_cli_sends() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let tgz = tarball::package("demo", "0.1.0");
    let url = app.url("/api/v1/packages/demo/0.1.0");
    let c = app.client();
    let part = |b: Vec<u8>| reqwest::multipart::Part::bytes(b).file_name("package.tar.gz");
    let forms = vec![
        (
            "no metadata",
            reqwest::multipart::Form::new().part("tarball", part(tgz.clone())),
        ),
        (
            "no tarball",
            reqwest::multipart::Form::new().text("metadata", "{}"),
        ),
        (
            "two tarballs",
            reqwest::multipart::Form::new()
                .part("tarball", part(tgz.clone()))
                .part("tarball", part(tgz.clone()))
                .text("metadata", "{}"),
        ),
        (
            "wrong name",
            reqwest::multipart::Form::new()
                .part("file", part(tgz.clone()))
                .text("metadata", "{}"),
        ),
        (
            "non-JSON metadata",
            reqwest::multipart::Form::new()
                .part("tarball", part(tgz.clone()))
                .text("metadata", "not json"),
        ),
        (
            "huge metadata",
            reqwest::multipart::Form::new()
                .part("tarball", part(tgz.clone()))
                .text("metadata", format!("\"{}\"", "x".repeat(100_000))),
        ),
        (
            "empty tarball",
            reqwest::multipart::Form::new()
                .part("tarball", part(vec![]))
                .text("metadata", "{}"),
        ),
    ];
    for (what, form) in forms {
        let res = c
            .put(&url)
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let e = expect_error(res, 400).await;
        assert!(e.contains("multipart"), "{what}: {e}");
    }
    for (ct, body) in [
        ("application/json", "{}".to_string()),
        ("multipart/form-data", "x".to_string()),
        (
            "multipart/form-data; boundary=zz",
            "--zz\r\ntrunc".to_string(),
        ),
    ] {
        let res = c
            .put(&url)
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(res, 400).await;
    }
    assert_empty(&app).await;
}

#[tokio::test]
async fn oversized_uploads_are_refused_early_with_flat_memory() {
    let app = TestApp::spawn_with(|c| c.max_tarball_bytes = 1024 * 1024).await;
    let (_, token) = app.user_with_token("alice").await;
    // Declared too large: refused before the body is read.
    let res = app
        .client()
        .put(app.url("/api/v1/packages/demo/0.1.0"))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", (100u64 * 1024 * 1024).to_string())
        .body(vec![0u8; 1024])
        .send()
        .await;
    if let Ok(res) = res {
        expect_error(res, 413).await;
    }
    // Streamed (chunked, no length): stopped as soon as it passes the limit.
    let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1024 * 1024]));
    let stream = futures_util::stream::iter(chunks);
    let form = reqwest::multipart::Form::new().text("metadata", "{}").part(
        "tarball",
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stream))
            .file_name("package.tar.gz"),
    );
    let res = app
        .client()
        .put(app.url("/api/v1/packages/demo/0.1.0"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await;
    if let Ok(res) = res {
        let e = expect_error(res, 413).await;
        assert!(e.contains("limit"), "{e}");
    }
    assert_empty(&app).await;
}

#[tokio::test]
async fn a_claimed_namespace_stays_with_its_owner_whoever_registers_its_name() {
    let app = TestApp::spawn().await;
    let (_, alice) = app.user_with_token("alice").await;
    let pkg = |name: &str| tarball::package(name, "0.1.0");
    body(
        publish(&app, &alice, "acme/lib", "0.1.0", pkg("acme/lib")).await,
        201,
    )
    .await;
    // Lockout: mallory cannot take the username `acme` (any spelling)...
    for name in ["acme", "ACME"] {
        let e = expect_error(
            app.client()
                .post(app.url("/api/v1/auth/register"))
                .json(&serde_json::json!({"username": name, "email": "m@example.com", "password": "correct-horse"}))
                .send()
                .await
                .unwrap(),
            409,
        )
        .await;
        assert!(e.contains("namespace"), "{e}");
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE lower(username) = 'acme'")
            .await,
        0
    );
    // ...and even a user row named `acme` (from before names were reserved)
    // does not override the recorded owner.
    app.sql("INSERT INTO users (username, email) VALUES ('acme', 'acme@example.com')")
        .await;
    body(
        publish(&app, &alice, "acme/lib2", "0.1.0", pkg("acme/lib2")).await,
        201,
    )
    .await;
}

#[tokio::test]
async fn registering_reserves_the_namespace_with_the_name() {
    let app = TestApp::spawn().await;
    let (_, dave) = app.user_with_token("dave").await;
    let (_, mallory) = app.user_with_token("mallory").await;
    // One row, made with the account.
    assert_eq!(
        app.sql_text("SELECT u.username FROM namespaces n JOIN users u ON u.id = n.owner_id WHERE n.name = 'dave'")
            .await,
        "dave"
    );
    let e = expect_error(
        publish(
            &app,
            &mallory,
            "dave/x",
            "0.1.0",
            tarball::package("dave/x", "0.1.0"),
        )
        .await,
        403,
    )
    .await;
    assert!(e.contains("namespace"), "{e}");
    body(
        publish(
            &app,
            &dave,
            "dave/x",
            "0.1.0",
            tarball::package("dave/x", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn a_namespace_published_before_its_name_is_registered_stays_with_the_publisher() {
    let app = TestApp::spawn().await;
    let (_, mallory) = app.user_with_token("mallory").await;
    body(
        publish(
            &app,
            &mallory,
            "dave/x",
            "0.1.0",
            tarball::package("dave/x", "0.1.0"),
        )
        .await,
        201,
    )
    .await;
    // Dave learns at sign-up that the name is someone else's namespace, and
    // nothing is half-made.
    let before = app.sql_count("SELECT count(*) FROM users").await;
    let e = expect_error(
        app.client()
            .post(app.url("/api/v1/auth/register"))
            .json(&serde_json::json!({"username": "dave", "email": "dave@example.com", "password": "correct-horse"}))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(e.contains("namespace that belongs to someone else"), "{e}");
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, before);
    // Another name works, and the email was not used up.
    app.client()
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "dave2", "email": "dave@example.com", "password": "correct-horse"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn control_characters_in_manifest_strings_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let base = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n";
    for (extra, field) in [
        ("description = \"a\\u0001b\"", "package.description"),
        ("authors = [\"Ann\", \"B\\u0085\"]", "package.authors[1]"),
        ("license = \"MIT\\uFFFE\"", "package.license"),
        ("keywords = [\"\\u007f\"]", "package.keywords[0]"),
    ] {
        let e = expect_error(
            publish(
                &app,
                &token,
                "demo",
                "0.1.0",
                tarball::with_manifest(&format!("{base}{extra}\n")),
            )
            .await,
            422,
        )
        .await;
        assert!(
            e.contains(field) && e.contains("control character"),
            "{extra}: {e}"
        );
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 0);
    // Tabs and newlines are text.
    body(
        publish(
            &app,
            &token,
            "demo",
            "0.1.0",
            tarball::with_manifest(&format!("{base}description = \"a\\tb\\nc\"\n")),
        )
        .await,
        201,
    )
    .await;
}
