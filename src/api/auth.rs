//! `/api/v1/auth/*`: register, login (the CLI's password login), logout.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OkBody;
use crate::audit;
use crate::auth::{accounts, extract::SESSION_USER, throttle};
use crate::db::models::{NewUser, User};
use crate::db::schema::users;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    pub username: String,
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Registered {
    pub username: String,
    pub email: String,
}

/// Creates an account and signs it in.
#[utoipa::path(
    post, path = "/api/v1/auth/register", operation_id = "auth_register", tag = "auth",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Created and signed in (sets the `session` cookie)", body = Registered),
        (status = 400, description = "Invalid username, email or password", body = ErrorBody),
        (status = 409, description = "Username or email taken", body = ErrorBody),
        (status = 429, description = "Too many new accounts from this address", body = ErrorBody),
    )
)]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    body: web::Json<RegisterBody>,
) -> AppResult<HttpResponse> {
    let user = create_account(&req, &state, &body.username, &body.email, &body.password).await?;
    sign_in(&session, &user)?;
    Ok(HttpResponse::Created().json(Registered {
        username: user.username,
        email: user.email,
    }))
}

/// Shared by the API and the web form.
pub async fn create_account(
    req: &HttpRequest,
    state: &AppState,
    username: &str,
    email: &str,
    password: &str,
) -> AppResult<User> {
    let (username, email) = (username.trim(), email.trim());
    accounts::validate_username(username)?;
    accounts::validate_email(email)?;
    accounts::validate_password(password)?;
    let mut conn = state.pool.get().await?;
    let ip = throttle::client_ip(req, &state.config.trusted_proxies)
        .map(|i| i.to_string())
        .unwrap_or_default();
    if let Some(wait) = throttle::take(
        &mut conn,
        &format!("register:ip:{ip}"),
        throttle::REGISTER_IP,
        1.0,
    )
    .await?
    {
        return Err(throttle::too_many(wait, "new accounts from this address"));
    }
    let hash = accounts::hash_password(password).await?;
    let user = diesel::insert_into(users::table)
        .values(NewUser {
            username,
            email,
            password_hash: Some(&hash),
        })
        .returning(User::as_returning())
        .get_result(&mut conn)
        .await
        .map_err(|e| match &e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                info,
            ) => {
                if info.constraint_name() == Some("users_email_lower") {
                    AppError::conflict("that email is already registered")
                } else {
                    AppError::conflict("that username is taken")
                }
            }
            _ => e.into(),
        })?;
    let origin = audit::Origin::of(req, &state.config.trusted_proxies);
    audit::record(
        &mut conn,
        &origin,
        audit::Entry::new("user.register").by_user(Some(user.id), &user.username),
    )
    .await?;
    Ok(user)
}

/// A fresh session id on every sign-in (no fixation).
pub fn sign_in(session: &Session, user: &User) -> AppResult<()> {
    session.renew();
    session
        .insert(SESSION_USER, user.id)
        .map_err(AppError::internal)
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    /// The username or the email address.
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub ok: bool,
    pub username: String,
}

/// Signs in with a password (`sema pkg login --username`).
#[utoipa::path(
    post, path = "/api/v1/auth/login", operation_id = "auth_login", tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; the `session` cookie is set", body = SignedIn),
        (status = 401, description = "Invalid username or password (one message for both)", body = ErrorBody),
        (status = 403, description = "The account is suspended", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    body: web::Json<LoginBody>,
) -> AppResult<HttpResponse> {
    let user = check_credentials(&req, &state, &body.username, &body.password).await?;
    sign_in(&session, &user)?;
    Ok(HttpResponse::Ok().json(SignedIn {
        ok: true,
        username: user.username,
    }))
}

/// Username (or email) and password → the user, with failed attempts
/// throttled per account and per client address.
pub async fn check_credentials(
    req: &HttpRequest,
    state: &AppState,
    login: &str,
    password: &str,
) -> AppResult<User> {
    const GENERIC: &str = "invalid username or password";
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > 254 || password.len() > 4 * accounts::PASSWORD_MAX {
        return Err(AppError::unauthorized(GENERIC));
    }
    let ip = throttle::client_ip(req, &state.config.trusted_proxies)
        .map(|i| i.to_string())
        .unwrap_or_default();
    let (account_key, ip_key) = (format!("login:user:{login}"), format!("login:ip:{ip}"));
    let mut conn = state.pool.get().await?;
    for (key, bucket) in [
        (&account_key, throttle::LOGIN_ACCOUNT),
        (&ip_key, throttle::LOGIN_IP),
    ] {
        if let Some(wait) = throttle::check(&mut conn, key, bucket).await? {
            return Err(throttle::too_many(wait, "failed sign-in attempts"));
        }
    }
    let user: Option<User> = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(username) = ")
                .bind::<diesel::sql_types::Text, _>(&login)
                .sql(" OR lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(&login)
                .sql(")"),
        )
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let ok = accounts::verify_password(
        password,
        user.as_ref().and_then(|u| u.password_hash.as_deref()),
    )
    .await;
    let origin = audit::Origin::of(req, &state.config.trusted_proxies);
    match user {
        Some(u) if ok => {
            if u.banned_at.is_some() {
                return Err(AppError::forbidden("this account is suspended"));
            }
            audit::record(
                &mut conn,
                &origin,
                audit::Entry::new("session.sign_in").by_user(Some(u.id), &u.username),
            )
            .await?;
            Ok(u)
        }
        _ => {
            let who = user.as_ref().map(|u| u.id);
            audit::record(
                &mut conn,
                &origin,
                audit::Entry::new("session.sign_in_failed").by_user(who, &login),
            )
            .await?;
            throttle::take(&mut conn, &account_key, throttle::LOGIN_ACCOUNT, 1.0).await?;
            throttle::take(&mut conn, &ip_key, throttle::LOGIN_IP, 1.0).await?;
            Err(AppError::unauthorized(GENERIC))
        }
    }
}

/// Ends the session.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", operation_id = "auth_logout", tag = "auth",
    security(("session" = [])),
    responses((status = 200, description = "Signed out", body = OkBody))
)]
pub async fn logout(session: Session) -> AppResult<HttpResponse> {
    session.purge();
    Ok(HttpResponse::Ok().json(OkBody { ok: true }))
}
