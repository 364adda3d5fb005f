//! `GET /api/openapi.json`: an OpenAPI 3 document with every route of the API.

use std::collections::BTreeSet;

use crate::common::{json, TestApp};

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
