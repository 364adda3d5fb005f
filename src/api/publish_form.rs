//! The multipart body of `PUT /api/v1/packages/{name}/{version}`, as
//! `sema pkg publish` sends it, and the check of its `metadata` part.

use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// The multipart body `sema pkg publish` sends.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the parts `read_multipart` reads; never built.
pub struct PublishForm {
    /// The package: gzip + tar with `sema.toml` at the root.
    #[schema(value_type = String, format = Binary)]
    tarball: Vec<u8>,
    metadata: PublishMetadata,
}

/// A JSON object. The manifest inside the tarball wins where they differ, so
/// only the types are checked; other keys are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PublishMetadata {
    /// `[package].description`.
    description: Option<String>,
    /// `[package].repository`.
    repository_url: Option<String>,
    /// The Sema versions the package works with (a Cargo-style requirement).
    sema_version_req: Option<String>,
}

/// The keys `sema pkg publish` sends; each must be a string or null.
const STRING_KEYS: [&str; 3] = ["description", "repository_url", "sema_version_req"];

/// A well-formed `metadata` part: a JSON object whose known keys have the
/// right type. The message names the first field that does not.
pub fn check_metadata(bytes: &[u8]) -> AppResult<()> {
    let bad = |m: String| AppError::bad_request(format!("invalid multipart upload: {m}"));
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| bad("the `metadata` part must be a JSON object".into()))?;
    let object = value
        .as_object()
        .ok_or_else(|| bad("the `metadata` part must be a JSON object".into()))?;
    for key in STRING_KEYS {
        match object.get(key) {
            None | Some(serde_json::Value::Null | serde_json::Value::String(_)) => {}
            Some(other) => {
                return Err(bad(format!(
                    "metadata field `{key}` must be a string or null, not {}",
                    json_type(other)
                )))
            }
        }
    }
    Ok(())
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_types_are_checked_by_field() {
        for ok in [
            r#"{}"#,
            r#"{"description":"x","repository_url":null,"sema_version_req":">=1"}"#,
            r#"{"dependencies":[1,2],"extra":{"a":1}}"#,
        ] {
            assert!(check_metadata(ok.as_bytes()).is_ok(), "{ok}");
        }
        for (bad, field) in [
            (
                r#"{"description":5}"#,
                "`description` must be a string or null, not a number",
            ),
            (
                r#"{"repository_url":["x"]}"#,
                "`repository_url` must be a string or null, not a list",
            ),
            (
                r#"{"sema_version_req":true}"#,
                "`sema_version_req` must be a string or null, not a boolean",
            ),
            (r#"[]"#, "must be a JSON object"),
            (r#"nope"#, "must be a JSON object"),
        ] {
            let e = check_metadata(bad.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(field), "{bad}: {e}");
        }
    }
}
