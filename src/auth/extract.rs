//! Who is calling: a bearer token (the CLI) or the session cookie (the browser).

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{dev::Payload, http::Method, web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{accounts, throttle};
use crate::audit::Origin;
use crate::db::models::{ApiToken, User};
use crate::db::schema::{api_tokens, users};
use crate::domain::token as tokens;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const SESSION_USER: &str = "user_id";
/// The signed-in username, for pages that cannot reach the database (error
/// pages); usernames never change after sign-up.
pub const SESSION_USERNAME: &str = "username";

/// An authenticated caller. `token` is set when a bearer token was used; a
/// session may do everything its user may.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    pub token: Option<ApiToken>,
    /// For the audit log.
    pub origin: Origin,
}

impl Authed {
    /// Does the token allow `scope` on this (canonical) package name?
    pub fn require_scope(&self, scope: &str, canonical_name: &str) -> AppResult<()> {
        token_allows(self.token.as_ref(), scope, canonical_name)
    }

    /// Do the token's package patterns (if any) cover this package?
    pub fn allows_package(&self, canonical_name: &str) -> bool {
        self.token
            .as_ref()
            .is_none_or(|t| tokens::patterns_allow(&t.packages, canonical_name))
    }

    /// The token's package patterns, for reads that need ownership too.
    pub fn require_package(&self, canonical_name: &str) -> AppResult<()> {
        match (&self.token, self.allows_package(canonical_name)) {
            (Some(t), false) => Err(AppError::forbidden(format!(
                "this token is limited to packages matching {}",
                t.packages.join(", ")
            ))),
            _ => Ok(()),
        }
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

/// Does `token` (none: a session, which may do all its user may) allow
/// `scope` on this (canonical) package name?
pub fn token_allows(token: Option<&ApiToken>, scope: &str, canonical_name: &str) -> AppResult<()> {
    let Some(t) = token else { return Ok(()) };
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

impl Origin {
    /// Where `req` came from: the client address (behind trusted proxies) and user agent.
    pub fn of(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> Origin {
        Origin {
            ip: throttle::client_ip(req, trusted).map(|i| i.to_string()),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(256).collect()),
        }
    }
}

/// The token of an `Authorization: Bearer …` header; other schemes are not ours.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let h = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    tokens::bearer_of(h)
}

/// Who may read `/metrics`: with `METRICS_TOKEN` set, a request carrying it
/// as a Bearer token; without, only a direct request from loopback (a
/// forwarded one came through a proxy, from anywhere). Anyone else gets the
/// ordinary 404, so the endpoint does not reveal itself.
pub fn metrics_guard(req: &actix_web::dev::ServiceRequest) -> Result<(), actix_web::Error> {
    if req.path() != "/metrics" {
        return Ok(());
    }
    let token = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .and_then(|s| s.config.metrics_token.clone());
    let allowed = match token {
        Some(want) => bearer(req.request()).is_some_and(|got| {
            use sha2::Digest;
            // Compared as digests: equal length, so no early exit on a prefix.
            sha2::Sha256::digest(got) == sha2::Sha256::digest(&want)
        }),
        None => {
            let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
                .iter()
                .any(|h| req.headers().contains_key(*h));
            !forwarded && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(actix_web::error::ErrorNotFound("Not found"))
    }
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
    let user = accounts::require_active(user)?;
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
        Some(u) if accounts::is_active(&u) => Ok(Some(u)),
        _ => {
            session.purge();
            Ok(None)
        }
    }
}

/// Whether the request carries a valid token of this registry or a signed-in
/// session (private mode's test; an invalid token counts as none).
pub async fn signed_in(req: &HttpRequest, state: &AppState) -> AppResult<bool> {
    match bearer(req) {
        Some(raw) => match from_token(state, raw).await {
            Ok(_) => Ok(true),
            Err(AppError::Unauthorized(_) | AppError::Forbidden(_)) => Ok(false),
            Err(e) => Err(e),
        },
        None => Ok(from_session(req, state).await?.is_some()),
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
            let origin = Origin::of(&req, &state.config.trusted_proxies);
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
