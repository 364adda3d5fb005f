//! Who is calling: a bearer token (the CLI) or the session cookie (the browser).

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{dev::Payload, http::Method, web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{throttle, tokens};
use crate::db::models::{ApiToken, User};
use crate::db::schema::{api_tokens, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const SESSION_USER: &str = "user_id";

/// An authenticated caller. `token` is set when a bearer token was used; a
/// session may do everything its user may.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    pub token: Option<ApiToken>,
    /// For the audit log.
    pub origin: crate::audit::Origin,
}

impl Authed {
    /// Does the token allow `scope` on this (canonical) package name?
    pub fn require_scope(&self, scope: &str, canonical_name: &str) -> AppResult<()> {
        let Some(t) = &self.token else { return Ok(()) };
        if !t.scopes.iter().any(|s| s == scope) {
            return Err(AppError::forbidden(format!(
                "this token lacks the {scope:?} scope"
            )));
        }
        if !tokens::patterns_allow(&t.packages, canonical_name) {
            return Err(AppError::forbidden(format!(
                "this token is limited to packages matching {}",
                t.packages.join(", ")
            )));
        }
        Ok(())
    }

    /// For endpoints a token must not reach (token management is for people).
    pub fn require_session(&self) -> AppResult<()> {
        if self.token.is_some() {
            return Err(AppError::forbidden(
                "this endpoint needs a signed-in session, not an API token",
            ));
        }
        Ok(())
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let h = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

fn check_user(user: User) -> AppResult<User> {
    if user.banned_at.is_some() {
        return Err(AppError::forbidden("this account is suspended"));
    }
    Ok(user)
}

async fn from_token(state: &AppState, raw: &str) -> AppResult<Authed> {
    let invalid =
        || AppError::unauthorized("invalid API token; create a new one with `sema pkg login`");
    if !raw.starts_with(tokens::PREFIX) || raw.len() > 200 {
        return Err(invalid());
    }
    let mut conn = state.pool.get().await?;
    let found: Option<(ApiToken, User)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(tokens::hash(raw)))
        .select((ApiToken::as_select(), User::as_select()))
        .first(&mut conn)
        .await
        .optional()?;
    let (token, user) = found.ok_or_else(invalid)?;
    if token.revoked_at.is_some() {
        return Err(AppError::unauthorized("this API token has been revoked"));
    }
    let now = Utc::now();
    if token.expires_at.is_some_and(|e| e <= now) {
        return Err(AppError::unauthorized("this API token has expired"));
    }
    let user = check_user(user)?;
    // At most one write a minute per token, not one per request.
    if token
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        diesel::update(api_tokens::table.find(token.id))
            .set(api_tokens::last_used_at.eq(now))
            .execute(&mut conn)
            .await?;
    }
    Ok(Authed {
        user,
        token: Some(token),
        origin: Default::default(),
    })
}

pub async fn load_user(state: &AppState, id: i64) -> AppResult<Option<User>> {
    let mut conn = state.pool.get().await?;
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

async fn from_session(req: &HttpRequest, state: &AppState) -> AppResult<Option<User>> {
    let session = req.get_session();
    let Some(id) = session.get::<i64>(SESSION_USER).ok().flatten() else {
        return Ok(None);
    };
    match load_user(state, id).await? {
        Some(u) if u.banned_at.is_none() => Ok(Some(u)),
        _ => {
            session.purge();
            Ok(None)
        }
    }
}

impl FromRequest for Authed {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .expect("AppState")
                .clone();
            let origin = crate::audit::Origin::of(&req, &state.config.trusted_proxies);
            let authed = match bearer(&req) {
                Some(raw) => Authed {
                    origin,
                    ..from_token(&state, raw).await?
                },
                None => {
                    let user = from_session(&req, &state).await?.ok_or_else(|| {
                        AppError::unauthorized(
                            "sign in or send an API token (Authorization: Bearer …)",
                        )
                    })?;
                    Authed {
                        user,
                        token: None,
                        origin,
                    }
                }
            };
            // Writes are limited per user, in Postgres, so every instance shares the budget.
            if !matches!(*req.method(), Method::GET | Method::HEAD) {
                let mut conn = state.pool.get().await?;
                let key = format!("write:user:{}", authed.user.id);
                let bucket = throttle::writes(state.config.write_rate_per_minute);
                if let Some(wait) = throttle::take(&mut conn, &key, bucket, 1.0).await? {
                    return Err(throttle::too_many(wait, "changes from this account"));
                }
            }
            Ok(authed)
        })
    }
}

/// The signed-in browser user, if any (web pages).
pub struct MaybeUser(pub Option<User>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .expect("AppState")
                .clone();
            Ok(MaybeUser(from_session(&req, &state).await?))
        })
    }
}
