//! `/api/v1/tokens`: create (shown once), list, revoke. People manage tokens
//! with a session; a token cannot mint more tokens.

use actix_web::{web, HttpResponse};

use crate::audit::{self, Entry, Origin};
use crate::db::models::User;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use super::OkBody;
use crate::auth::{tokens, Authed};
use crate::db::models::ApiToken;
use crate::db::schema::api_tokens;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct NewToken {
    /// 1-64 characters.
    pub name: String,
    /// Any of `publish-new`, `publish-update`, `yank`, `change-owners`; all when absent.
    pub scopes: Option<Vec<String>>,
    /// Package patterns (`name`, `prefix*`, `ns/*`), at most 20; all packages when absent.
    pub packages: Option<Vec<String>>,
    /// 1-3650; never expires when absent.
    pub expires_in_days: Option<i64>,
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

/// Validates and stores a new token; returns it with the secret, once.
pub async fn create_token(
    conn: &mut AsyncPgConnection,
    user: &User,
    origin: &Origin,
    req: NewToken,
) -> AppResult<TokenInfo> {
    let user_id = user.id;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::bad_request("token name must be 1-64 characters"));
    }
    let scopes = tokens::validate_scopes(req.scopes)?;
    let packages = req
        .packages
        .unwrap_or_default()
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| tokens::validate_pattern(p))
        .collect::<AppResult<Vec<_>>>()?;
    if packages.len() > 20 {
        return Err(AppError::bad_request(
            "at most 20 package patterns per token",
        ));
    }
    let expires_at = match req.expires_in_days {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(Utc::now() + chrono::Duration::days(d)),
        Some(_) => {
            return Err(AppError::bad_request(
                "expires_in_days must be between 1 and 3650",
            ))
        }
    };
    let secret = tokens::generate();
    let row: ApiToken = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(tokens::hash(&secret)),
            api_tokens::scopes.eq(&scopes),
            api_tokens::packages.eq(&packages),
            api_tokens::expires_at.eq(expires_at),
        ))
        .returning(ApiToken::as_returning())
        .get_result(conn)
        .await?;
    let entry = Entry::new("token.create")
        .by_user(Some(user.id), &user.username)
        .subject(&row.name);
    audit::record(
        conn,
        origin,
        Entry {
            token_id: Some(row.id),
            ..entry
        },
    )
    .await?;
    Ok(TokenInfo {
        token: Some(secret),
        ..row.into()
    })
}

pub async fn list_tokens(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<Vec<TokenInfo>> {
    let rows: Vec<ApiToken> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(TokenInfo::from).collect())
}

/// Revokes one of the user's own tokens; anyone else's is "not found".
pub async fn revoke_token(
    conn: &mut AsyncPgConnection,
    user: &User,
    origin: &Origin,
    id: i64,
) -> AppResult<()> {
    let user_id = user.id;
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(AppError::not_found("token not found"));
    }
    let entry = Entry::new("token.revoke").by_user(Some(user.id), &user.username);
    audit::record(
        conn,
        origin,
        Entry {
            token_id: Some(id),
            ..entry
        },
    )
    .await
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
    auth.require_session()?;
    let mut conn = state.pool.get().await?;
    let token = create_token(&mut conn, &auth.user, &auth.origin, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(token))
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
    Ok(HttpResponse::Ok().json(TokenList {
        tokens: list_tokens(&mut conn, auth.user.id).await?,
    }))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", operation_id = "tokens_revoke", tag = "tokens",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked", body = OkBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Unknown, already revoked, or someone else's", body = ErrorBody),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: Authed,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    auth.require_session()?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("token not found"))?;
    let mut conn = state.pool.get().await?;
    revoke_token(&mut conn, &auth.user, &auth.origin, id).await?;
    Ok(HttpResponse::Ok().json(OkBody { ok: true }))
}
