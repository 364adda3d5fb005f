//! `POST /api/v1/analyze`: the analysis of a tarball, without publishing it.

use serde_json::json;

use crate::common::{expect_error, json as body, publish, tarball, TestApp};

fn analyze_form(tgz: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "tarball",
        reqwest::multipart::Part::bytes(tgz)
            .file_name("package.tar.gz")
            .mime_str("application/gzip")
            .unwrap(),
    )
}

fn package(name: &str, version: &str, code: &str) -> Vec<u8> {
    let m = tarball::manifest(name, version, "");
    tarball::build(&[
        ("sema.toml", m.as_bytes()),
        ("package.sema", code.as_bytes()),
    ])
}

#[tokio::test]
async fn analyze_checks_a_release_without_publishing_it() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let v1 = package("tool", "1.0.0", "(defn run (x) x)");
    body(publish(&app, &token, "tool", "1.0.0", v1).await, 201).await;
    let versions = app.sql_count("SELECT count(*) FROM versions").await;
    let analyses = app.sql_count("SELECT count(*) FROM version_analysis").await;

    let next = tarball::build(&[
        (
            "sema.toml",
            tarball::manifest("tool", "1.1.0", "").as_bytes(),
        ),
        (
            "package.sema",
            b"(defn run (x)\n  (eval (read x)))\n(defn run-all (xs) (map run xs))",
        ),
        ("broken.sema", b"(defn oops ("),
    ]);
    let res = app
        .client()
        .post(app.url("/api/v1/analyze"))
        .bearer_auth(&token)
        .multipart(analyze_form(next.clone()))
        .send()
        .await
        .unwrap();
    let a = body(res, 200).await;
    assert_eq!(a["name"], "tool");
    assert_eq!(a["version"], "1.1.0");
    assert_eq!(a["previous_version"], "1.0.0");
    assert_eq!(a["bump"], "minor");
    assert_eq!(a["capabilities"]["dynamic"], true);
    assert_eq!(
        a["dynamic_uses"],
        json!([{"kind": "eval", "file": "package.sema", "line": 2, "detail": "evaluates a computed form"}])
    );
    assert_eq!(a["added_api"], json!(["run-all"]));
    assert_eq!(a["complete"], false);
    let note = a["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with("could not read broken.sema: line 1"),
        "{note}"
    );
    // Nothing was stored.
    assert_eq!(
        app.sql_count("SELECT count(*) FROM versions").await,
        versions
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM version_analysis").await,
        analyses
    );

    // Without a token: 401; bad bodies: 400; a bad manifest: 422.
    let anon = app
        .client()
        .post(app.url("/api/v1/analyze"))
        .multipart(analyze_form(next))
        .send()
        .await
        .unwrap();
    expect_error(anon, 401).await;
    let send = |form: reqwest::multipart::Form| {
        app.client()
            .post(app.url("/api/v1/analyze"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let err = expect_error(
        send(analyze_form(b"not a tarball".to_vec())).await.unwrap(),
        400,
    )
    .await;
    assert!(err.contains("gzip"), "{err}");
    let err = expect_error(
        send(reqwest::multipart::Form::new().text("metadata", "{}"))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(err.contains("`tarball`"), "{err}");
    let no_name = tarball::with_manifest("[package]\nversion = \"1.0.0\"\n");
    let err = expect_error(send(analyze_form(no_name)).await.unwrap(), 422).await;
    assert!(err.contains("name"), "{err}");
}
