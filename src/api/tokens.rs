//! `/api/v1/tokens`: create (shown once), list, revoke. People manage tokens
//! with a session; a token cannot mint more tokens.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::OkBody;
use crate::auth::Authed;
use crate::db::models::ApiToken;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::usecase::tokens::{self, TokenRequest};
use crate::usecase::Actor;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1-64 characters once surrounding whitespace is trimmed; no NUL
    /// (Postgres text cannot hold one).
    #[schema(
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        max_length = 64,
        example = "laptop"
    )]
    pub name: String,
    /// All of them when absent or null.
    #[schema(value_type = Option<Vec<TokenScope>>, inline, min_items = 1)]
    pub scopes: Option<Vec<String>>,
    #[schema(schema_with = package_patterns)]
    pub packages: Option<Vec<String>>,
    /// Never expires when absent or null.
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expires_in_days: Option<i64>,
}

/// A JSON integer as JSON Schema means it: `30` or `30.0` (a number with no
/// fractional part), which some JSON encoders send for whole numbers.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Ok(Some(i)),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(format!(
            "expires_in_days must be a whole number, not {n}"
        ))),
    }
}

/// What a token may do; reads need no scope.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
#[allow(dead_code)] // The scopes are strings in `tokens::SCOPES`; this documents them.
pub enum TokenScope {
    PublishNew,
    PublishUpdate,
    Yank,
    ChangeOwners,
}

/// The `packages` field: patterns as `tokens::validate_pattern` accepts them
/// (surrounding whitespace is trimmed, blank entries dropped).
fn package_patterns() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let pattern = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            r"^\s*(?:[A-Za-z0-9_-]+(?:(?:/[A-Za-z0-9_-]+)?\*?|/\*))?\s*$",
        ))
        .max_length(Some(130));
    ArrayBuilder::new()
        .schema_type([Type::Array, Type::Null].into_iter().collect::<utoipa::openapi::schema::SchemaType>())
        .items(pattern)
        .max_items(Some(20))
        .description(Some(
            "Package patterns (`name`, `prefix*`, `ns/*`, `ns/prefix*`), at most 20; all packages when absent, null or empty.",
        ))
        .build()
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub packages: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The secret, in the creation response only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

impl From<ApiToken> for TokenInfo {
    fn from(t: ApiToken) -> Self {
        TokenInfo {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
            packages: t.packages,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            created_at: t.created_at,
            token: None,
        }
    }
}

impl From<NewToken> for TokenRequest {
    fn from(t: NewToken) -> Self {
        TokenRequest {
            name: t.name,
            scopes: t.scopes,
            packages: t.packages,
            expires_in_days: t.expires_in_days,
        }
    }
}

impl From<tokens::Created> for TokenInfo {
    fn from(c: tokens::Created) -> Self {
        TokenInfo {
            token: Some(c.secret),
            ..c.token.into()
        }
    }
}

/// Creates a token; the secret is in this response only.
#[utoipa::path(
    post, path = "/api/v1/tokens", operation_id = "tokens_create", tag = "tokens",
    security(("session" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "Created; `token` holds the secret", body = TokenInfo),
        (status = 400, description = "Bad name, scope, pattern or expiry", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Called with an API token instead of a session", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Json<NewToken>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let req = body.into_inner().into();
    let created =
        tokens::create(&mut conn, Actor::of(&auth), &auth.origin, &auth.user, req).await?;
    Ok(HttpResponse::Created().json(TokenInfo::from(created)))
}

/// The caller's live tokens, without their secrets.
#[utoipa::path(
    get, path = "/api/v1/tokens", operation_id = "tokens_list", tag = "tokens",
    security(("session" = [])),
    responses(
        (status = 200, description = "Newest first", body = TokenList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Called with an API token instead of a session", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, auth: Authed) -> AppResult<HttpResponse> {
    auth.require_session()?;
    let mut conn = state.pool.get().await?;
    let live = crate::registry::tokens::live(&mut conn, auth.user.id).await?;
    Ok(HttpResponse::Ok().json(TokenList {
        tokens: live.into_iter().map(TokenInfo::from).collect(),
    }))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", operation_id = "tokens_revoke", tag = "tokens",
    security(("session" = [])),
    params(super::params::TokenIdPath),
    responses(
        (status = 200, description = "Revoked", body = OkBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Called with an API token instead of a session", body = ErrorBody),
        (status = 404, description = "Unknown, already revoked, or someone else's", body = ErrorBody),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: Authed,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("token not found"))?;
    let mut conn = state.pool.get().await?;
    tokens::revoke(&mut conn, Actor::of(&auth), &auth.origin, id).await?;
    Ok(HttpResponse::Ok().json(OkBody { ok: true }))
}
