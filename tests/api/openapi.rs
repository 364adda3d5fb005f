//! `GET /api/openapi.json`: an OpenAPI 3 document with every route of the API.

use std::collections::BTreeSet;

use crate::common::{expect_error, json, TestApp};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_exactly_the_routed_api() {
    let app = TestApp::spawn().await;
    let res = app
        .client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let doc = json(res, 200).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );

    // What the document says, and what `configure` really registers under /api/v1.
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = sema_pkg::routes::api_routes()
        .iter()
        .map(|r| (r.method.to_string(), r.client_path()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(stale.is_empty(), "documented but not routed: {stale:?}");
    // Paths are the ones clients use, regexes and all stripped.
    for want in [
        ("GET", "/api/v1/packages/{name}/{version}/download"),
        ("HEAD", "/api/v1/packages/{name}/{version}/download"),
        ("PUT", "/api/v1/packages/{name}/{version}"),
        ("DELETE", "/api/v1/packages/{name}/owners/{username}"),
        ("GET", "/api/v1/search"),
    ] {
        assert!(
            routed.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {routed:?}"
        );
    }

    // Operation ids are unique (client generators name methods after them).
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), routed.len(), "every operation has an id");
    assert_eq!(
        unique.len(),
        ids.len(),
        "duplicate operation ids in {ids:?}"
    );

    // Every `{param}` of a path is declared as a path parameter of its operations.
    for (path, ops) in paths {
        let names: Vec<&str> = path
            .split('{')
            .skip(1)
            .map(|p| p.split('}').next().unwrap())
            .collect();
        for (method, op) in ops.as_object().unwrap() {
            for name in &names {
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["in"] == "path" && p["name"] == *name && p["required"] == true)
                });
                assert!(declared, "{method} {path}: {{{name}}} is not declared");
            }
        }
    }

    // How to authenticate, and the one error shape.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["token"]["type"], "http");
    assert_eq!(schemes["token"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "session");
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    assert_eq!(error["properties"]["error"]["type"], "string");
    let publish = &paths["/api/v1/packages/{name}/{version}"]["put"];
    assert!(publish["security"][0]["token"].is_array(), "{publish}");
    assert!(publish["requestBody"]["content"]["multipart/form-data"].is_object());
    assert_eq!(
        publish["responses"]["409"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    // Response types come from the handlers: the package detail has the contract's shape.
    let detail = &doc["components"]["schemas"]["PackageDetail"]["properties"];
    for field in ["package", "owners", "versions"] {
        assert!(detail[field].is_object(), "PackageDetail.{field}");
    }
}

#[tokio::test]
async fn documented_shapes_match_real_responses() {
    // Fields the document promises for `GET /me` are the ones the handler sends.
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let doc = json(
        app.client()
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let me = json(
        app.client()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let promised: BTreeSet<&String> = doc["components"]["schemas"]["Me"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let sent: BTreeSet<&String> = me.as_object().unwrap().keys().collect();
    assert_eq!(promised, sent);
    let err = json(
        app.client()
            .get(app.url("/api/v1/packages/nope"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let keys: Vec<&String> = err.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["error"]);
}

/// The document's paths with their parameters filled in: a seeded package,
/// its version, its owner, a token id.
fn concrete(path: &str) -> String {
    path.replace("{name}", "demo")
        .replace("{version}", "0.1.0")
        .replace("{username}", "alice")
        .replace("{id}", "1")
}

async fn document(app: &TestApp) -> serde_json::Value {
    json(
        app.client()
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
}

fn documented_methods(ops: &serde_json::Value) -> BTreeSet<String> {
    ops.as_object()
        .unwrap()
        .keys()
        .filter(|k| METHODS.contains(&k.as_str()))
        .map(|m| m.to_uppercase())
        .collect()
}

#[tokio::test]
async fn a_documented_path_called_with_another_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let documented = documented_methods(ops);
        for method in METHODS.map(str::to_uppercase) {
            if documented.contains(&method) {
                continue;
            }
            let res = app
                .client()
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(&concrete(path)),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 405, "{method} {path}");
            let allow: BTreeSet<String> = res.headers()["allow"]
                .to_str()
                .unwrap()
                .split(", ")
                .map(str::to_string)
                .collect();
            assert_eq!(allow, documented, "Allow of {method} {path}");
            if method != "HEAD" {
                let e = expect_error(res, 405).await;
                assert!(e.contains(&method), "{e}");
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} wrong-method calls");
    // Publish takes the whole tail, but not its siblings' paths.
    let res = app
        .client()
        .put(app.url("/api/v1/packages/demo/0.1.0/yank"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    expect_error(res, 405).await;
    // Deeper paths are a publish target with a bad version: only PUT is served.
    let res = app
        .client()
        .delete(app.url("/api/v1/packages/demo/0.1.0/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "PUT");
    expect_error(res, 405).await;
    // Paths that are no resource stay 404.
    let e = expect_error(
        app.client()
            .delete(app.url("/api/v1/nope/deeper"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(e.contains("no such API endpoint"), "{e}");
}

/// Each operation probed with what goes wrong most (no credentials, a
/// session-only call with a token, an empty or malformed body, a body that is
/// not JSON, an unknown package): every status it answers is documented.
#[tokio::test]
async fn every_status_an_operation_answers_is_documented() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    crate::common::publish(
        &app,
        &token,
        "demo",
        "0.1.0",
        crate::common::tarball::package("demo", "0.1.0"),
    )
    .await;
    let doc = document(&app).await;
    let mut seen: BTreeSet<(String, String, u16)> = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let documented: BTreeSet<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|s| s.parse().unwrap())
                .collect();
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let known = concrete(path);
            let unknown = known.replace("/demo", "/no-such-package");
            let probes: [(&str, bool, Option<&str>, &str); 6] = [
                (&known, false, None, ""),
                (&known, true, Some("application/json"), "{}"),
                (&known, true, Some("application/json"), "{not json"),
                (&known, true, Some("text/plain"), "hello"),
                (
                    &known,
                    true,
                    Some("application/json"),
                    r#"{"unknown_field": 1}"#,
                ),
                (&unknown, true, None, ""),
            ];
            for (url, with_token, content_type, body) in probes {
                let mut req = app.client().request(m.clone(), app.url(url));
                if with_token {
                    req = req.bearer_auth(&token);
                }
                if let Some(ct) = content_type {
                    req = req.header("content-type", ct).body(body.to_string());
                }
                let status = req.send().await.unwrap().status().as_u16();
                assert!(
                    documented.contains(&status),
                    "{method} {url} answered {status}, documented {documented:?}"
                );
                seen.insert((method.clone(), path.clone(), status));
            }
        }
    }
    // The probes reach the statuses that matter, so the test can fail.
    for status in [200, 400, 401, 403, 404, 409, 415] {
        assert!(
            seen.iter().any(|(_, _, s)| *s == status),
            "no probe answered {status}: {seen:?}"
        );
    }
}

/// Every reference resolves, and objects are closed: a response has exactly
/// its fields, a JSON request body may not carry unknown ones.
#[tokio::test]
async fn schemas_resolve_and_objects_are_closed() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
    for (name, s) in schemas {
        if s["properties"].is_object() && name != "PublishMetadata" {
            assert_eq!(s["additionalProperties"], false, "{name}: {s}");
        }
    }
    // Publish metadata alone is open: the CLI's keys are checked, others ignored.
    assert!(schemas["PublishMetadata"]["additionalProperties"].is_null());
    // Response fields are always sent (null when empty), so all are required.
    let pkg = &schemas["PackageSummary"];
    assert!(pkg["required"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("repository_url")));
    let token = schemas["TokenInfo"]["required"].as_array().unwrap();
    assert!(!token.contains(&serde_json::json!("token")), "{token:?}");
    // Every operation says what a rate limit, an outage and bad input look like.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let r = &op["responses"];
            assert!(r["503"].is_object(), "{method} {path}: 503");
            if r["429"].is_object() {
                assert!(r["429"]["headers"]["Retry-After"].is_object());
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for s in ["400", "413", "415"] {
                    assert!(r[s].is_object(), "{method} {path}: {s}");
                }
            }
        }
    }
}
