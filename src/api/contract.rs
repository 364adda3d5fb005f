//! What the OpenAPI document says of every operation at once, derived from
//! each operation's own description so no list of them is kept here:
//!
//! - the statuses that middleware and extractors add wherever they apply
//!   (rate limits, outages, credentials, malformed JSON bodies);
//! - objects are closed: a response has exactly the fields the server sends
//!   (all of them present, `null` when empty), and a request body may carry
//!   no other (`#[serde(deny_unknown_fields)]` on the JSON ones; the multipart
//!   form refuses unknown parts).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

/// Response fields serde leaves out when empty (`skip_serializing_if`).
const SOMETIMES_SENT: &[(&str, &str)] = &[("TokenInfo", "token")];
/// Objects that accept keys they do not list (the CLI's publish metadata:
/// the manifest in the tarball is what counts).
const OPEN_OBJECTS: &[&str] = &["PublishMetadata"];

const ERROR_REF: &str = "#/components/schemas/ErrorBody";

pub fn apply(doc: &mut Value) {
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for (method, op) in item.as_object_mut().into_iter().flatten() {
                add_statuses(path, method, op);
            }
        }
    }
    merge_all_of(doc);
    close_response_shapes(doc);
    close_objects(doc);
}

/// A `#[serde(flatten)]`ed struct comes out as `allOf: [{$ref}, {…}]`. Closed
/// objects cannot be combined that way (each member would refuse the others'
/// fields), so each such schema becomes one object holding all the fields.
fn merge_all_of(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object().cloned() else {
        return;
    };
    for (name, schema) in &schemas {
        let Some(members) = schema["allOf"].as_array() else {
            continue;
        };
        let (mut props, mut required) = (Map::new(), Vec::new());
        for member in members {
            let member = match member["$ref"].as_str() {
                Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
                None => member,
            };
            props.extend(
                member["properties"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            required.extend(member["required"].as_array().cloned().unwrap_or_default());
        }
        let mut merged = json!({"type": "object", "properties": props, "required": required});
        if let Some(d) = schema.get("description") {
            merged["description"] = d.clone();
        }
        doc["components"]["schemas"][name] = merged;
    }
}

/// Every object but the open ones refuses keys it does not list.
fn close_objects(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if schema["properties"].is_object() && !OPEN_OBJECTS.contains(&name.as_str()) {
            schema["additionalProperties"] = Value::Bool(false);
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}
    })
}

/// The statuses an operation gets from outside its handler.
fn add_statuses(path: &str, method: &str, op: &mut Value) {
    let private_open = method
        .to_uppercase()
        .parse::<actix_web::http::Method>()
        .is_ok_and(|m| crate::auth::access::is_open(&m, path));
    let read = matches!(method, "get" | "head");
    let secured = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|req| req.as_object().is_some_and(|r| !r.is_empty()))
    });
    let json_body = op["requestBody"]["content"]["application/json"].is_object();
    let has_input = json_body
        || op["requestBody"].is_object()
        || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| error_response(description));
    };
    if has_input {
        add(
            "400",
            "Malformed input: a parameter, the query string or the body",
        );
    }
    if json_body {
        add("413", "The JSON body is larger than 64 KiB");
        add(
            "415",
            "The body is not sent as `Content-Type: application/json`",
        );
    }
    if !secured && !private_open {
        add(
            "401",
            "On a private registry (`REGISTRY_ACCESS=private`): no valid token or session",
        );
    }
    if secured {
        add("401", "No valid token or session");
        add(
            "403",
            "The account is suspended, or a session-authenticated write was not sent as JSON",
        );
    }
    if read {
        add(
            "429",
            "Too many requests from this address; see `Retry-After`",
        );
    } else if secured {
        add(
            "429",
            "Too many changes from this account; see `Retry-After`",
        );
    }
    add(
        "503",
        "The database or the blob store is unavailable; retry shortly",
    );
    if let Some(limited) = responses.get_mut("429") {
        limited["headers"]["Retry-After"] = json!({
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1}
        });
    }
}

/// Schemas named by `$ref` anywhere inside `v`.
fn refs_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_string());
                }
            }
            m.values().for_each(|x| refs_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

/// Every component schema a response body reaches.
fn response_schemas(doc: &Value) -> BTreeSet<String> {
    let mut todo = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(Map::values) {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            refs_in(&op["responses"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs_in(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

fn close_response_shapes(doc: &mut Value) {
    let names = response_schemas(doc);
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for name in names {
        let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let required: Vec<Value> = props
            .keys()
            .filter(|field| !SOMETIMES_SENT.iter().any(|(s, f)| *s == name && f == field))
            .map(|field| Value::String(field.clone()))
            .collect();
        schema.insert("required".into(), Value::Array(required));
    }
}
