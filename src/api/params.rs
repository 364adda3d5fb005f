//! The path parameters of the API as the document states them: the patterns
//! here are the ones the server enforces (names in `registry::names`,
//! usernames in `auth::accounts`). Handlers take plain `web::Path<String>`;
//! these types only describe them.
#![allow(dead_code)] // Never built: read by `#[utoipa::path(params(…))]`.

use utoipa::IntoParams;

/// `{name}`: a package name, `name` or `namespace/name`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NamePath {
    /// `name` or `namespace/name`; parts are 1-64 letters, digits, `-` and `_`,
    /// starting and ending with a letter or digit. Any spelling: `My_Pkg` and
    /// `my-pkg` are one package. The `/` goes into the path unescaped.
    #[param(
        pattern = r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?(?:/[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?)?$",
        max_length = 129,
        example = "json"
    )]
    name: String,
}

/// `{version}`: a strict semver version.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    /// Strict SemVer 2.0 (`1.2.3`, `1.0.0-rc.1`, `1.0.0+build.5`), byte for
    /// byte as published; numbers must fit in 64 bits.
    #[param(
        pattern = r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$",
        max_length = 128,
        example = "1.0.0"
    )]
    version: String,
}

/// `{username}`: an account name.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UsernamePath {
    /// 2-39 letters, digits and single hyphens, no hyphen at either end.
    #[param(
        pattern = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$",
        min_length = 2,
        max_length = 39,
        example = "alice"
    )]
    username: String,
}

/// `{id}`: an API token's id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenIdPath {
    /// As listed by `GET /api/v1/tokens`.
    id: i64,
}

/// `{id}`: a webhook's id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookIdPath {
    /// As listed by `GET /api/v1/packages/{name}/webhooks`.
    id: i64,
}

/// `{delivery}`: a delivery's id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// As listed by `GET …/webhooks/{id}/deliveries`.
    #[param(example = "0b7c9a52-4f5e-4c1a-9d55-2f1f3f0a8b11")]
    delivery: String,
}
