//! `/api`: the API reference, rendered on the server from the same OpenAPI
//! document `/api/openapi.json` serves (no script, so nothing for the CSP to
//! allow): every operation by tag, then every schema.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde_json::Value;

use super::{page, Layout, Meta};
use crate::api::openapi::SPEC;
use crate::auth::MaybeUser;
use crate::error::AppResult;

#[derive(Template)]
#[template(path = "api/page.html")]
struct Page {
    title: String,
    description: String,
    groups: Vec<Group>,
    schemas: Vec<SchemaView>,
}

struct Group {
    name: String,
    description: String,
    ops: Vec<Op>,
}

struct Op {
    id: String,
    method: String,
    path: String,
    summary: String,
    auth: Vec<String>,
    params: Vec<Field>,
    body: Option<(String, Type)>,
    responses: Vec<Reply>,
}

/// A type as shown: its words, and the schema it links to, if one.
struct Type {
    text: String,
    link: Option<String>,
}

impl Type {
    /// The words, a link to the schema when there is one.
    fn html(&self) -> String {
        let text = super::view::escape(&self.text);
        match &self.link {
            Some(name) => format!(
                "<a href=\"#schema-{}\">{text}</a>",
                super::view::escape(name)
            ),
            None => text,
        }
    }
}

struct Field {
    name: String,
    place: String,
    required: bool,
    ty: Type,
    notes: String,
}

struct Reply {
    status: String,
    description: String,
    ty: Option<Type>,
}

struct SchemaView {
    name: String,
    description: String,
    fields: Vec<Field>,
    /// For a schema that is not an object (an enum, a string).
    shape: Option<Type>,
}

const METHODS: [&str; 8] = [
    "get", "head", "post", "put", "patch", "delete", "options", "trace",
];

pub async fn show(req: HttpRequest, session: Session, user: MaybeUser) -> AppResult<HttpResponse> {
    let doc = &*SPEC;
    let content = Page {
        title: text(&doc["info"]["title"]),
        description: text(&doc["info"]["description"]),
        groups: groups(doc),
        schemas: schemas(doc),
    };
    let meta = Meta::new(
        "API reference",
        "The JSON API of this Sema package registry: every operation, parameter, status and schema.",
    );
    page(
        &req,
        &Layout::new(&session, user.0.as_ref()),
        &meta,
        &content,
    )
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Operations grouped by their first tag, in the document's tag order.
fn groups(doc: &Value) -> Vec<Group> {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Group {
            name: text(&t["name"]),
            description: text(&t["description"]),
            ops: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let op = &item[method];
            if !op.is_object() {
                continue;
            }
            let tag = text(&op["tags"][0]);
            let at = match groups.iter().position(|g| g.name == tag) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        name: tag,
                        description: String::new(),
                        ops: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[at].ops.push(operation(path, method, op));
        }
    }
    groups.retain(|g| !g.ops.is_empty());
    groups
}

fn operation(path: &str, method: &str, op: &Value) -> Op {
    let summary = [text(&op["summary"]), text(&op["description"])]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let auth = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|req| req.iter())
        .map(|(scheme, scopes)| {
            let scopes: Vec<String> = scopes.as_array().into_iter().flatten().map(text).collect();
            match scopes.is_empty() {
                true => scheme.clone(),
                false => format!("{scheme} ({})", scopes.join(" or ")),
            }
        })
        .collect();
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: text(&p["name"]),
            place: text(&p["in"]),
            required: p["required"] == true,
            ty: type_of(&p["schema"]),
            notes: notes(&p["schema"], &text(&p["description"])),
        })
        .collect();
    let body = op["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.iter().next())
        .map(|(media, c)| (media.clone(), type_of(&c["schema"])));
    Op {
        id: text(&op["operationId"]),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary,
        auth,
        params,
        body,
        responses: replies(&op["responses"]),
    }
}

fn replies(responses: &Value) -> Vec<Reply> {
    let mut out: Vec<Reply> = responses
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| Reply {
            status: status.clone(),
            description: text(&r["description"]),
            ty: r["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .filter(|c| c["schema"].is_object())
                .map(|c| type_of(&c["schema"])),
        })
        .collect();
    out.sort_by(|a, b| a.status.cmp(&b.status));
    out
}

fn schemas(doc: &Value) -> Vec<SchemaView> {
    doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields: Vec<Field> = s["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, p)| Field {
                    name: field.clone(),
                    place: String::new(),
                    required: required.contains(&field.as_str()),
                    ty: type_of(p),
                    notes: notes(p, &text(&p["description"])),
                })
                .collect();
            SchemaView {
                name: name.clone(),
                description: text(&s["description"]),
                shape: fields.is_empty().then(|| type_of(s)),
                fields,
            }
        })
        .collect()
}

/// A schema in words: `string`, `integer (int64)`, `array of Hit`, `string or null`.
fn type_of(s: &Value) -> Type {
    if let Some(name) = s["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return Type {
            text: name.to_string(),
            link: Some(name.to_string()),
        };
    }
    if let Some(choices) = s["oneOf"].as_array().or(s["anyOf"].as_array()) {
        let parts: Vec<Type> = choices.iter().map(type_of).collect();
        let link = parts.iter().find_map(|t| t.link.clone());
        let words: Vec<String> = parts.into_iter().map(|t| t.text).collect();
        return Type {
            text: words.join(" or "),
            link,
        };
    }
    if let Some(values) = s["enum"].as_array() {
        let words: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return Type {
            text: format!("one of {}", words.join(", ")),
            link: None,
        };
    }
    let types: Vec<String> = match &s["type"] {
        Value::Array(ts) => ts.iter().map(text).collect(),
        Value::String(t) => vec![t.clone()],
        _ => vec!["any".to_string()],
    };
    let mut link = None;
    let words: Vec<String> = types
        .into_iter()
        .map(|t| match t.as_str() {
            "array" => {
                let item = type_of(&s["items"]);
                link = item.link;
                format!("array of {}", item.text)
            }
            _ => match s["format"].as_str() {
                Some(f) => format!("{t} ({f})"),
                None => t,
            },
        })
        .collect();
    Type {
        text: words.join(" or "),
        link,
    }
}

/// The constraints of a schema, then its description.
fn notes(s: &Value, description: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for (key, label) in [
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minimum", "at least {}"),
        ("maximum", "at most {}"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
    ] {
        if let Some(n) = s[key].as_u64().or(s["items"][key].as_u64()) {
            out.push(label.replace("{}", &n.to_string()));
        }
    }
    if let Some(p) = s["pattern"].as_str().or(s["items"]["pattern"].as_str()) {
        out.push(format!("pattern {p}"));
    }
    if let Some(values) = s["items"]["enum"].as_array() {
        let words: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        out.push(format!("each one of {}", words.join(", ")));
    }
    if !description.is_empty() {
        out.push(description.to_string());
    }
    out.join("; ")
}
