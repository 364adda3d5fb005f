//! `/api/v1/auth/*`: register, login (the CLI's password login), logout.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OkBody;
use crate::audit::Origin;
use crate::auth::extract::{SESSION_USER, SESSION_USERNAME};
use crate::auth::session::start_session;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;
use crate::usecase::accounts::{self, NewAccount};
use crate::usecase::sessions;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// 2-39 letters, digits and single hyphens, no hyphen at either end;
    /// surrounding whitespace is trimmed.
    #[schema(
        pattern = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$",
        min_length = 2,
        max_length = 39
    )]
    pub username: String,
    /// `local@domain.tld` without whitespace or control characters; surrounding
    /// whitespace is trimmed.
    #[schema(
        pattern = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s.\x00-\x1f\x7f-\x9f][^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*[^@\s.\x00-\x1f\x7f-\x9f]$",
        max_length = 254,
        example = "alice@example.com"
    )]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
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
        (status = 403, description = "Registration is closed on this registry", body = ErrorBody),
        (status = 409, description = "Username or email unavailable: one message for a taken username, a taken email and a username that is someone else's namespace", body = ErrorBody),
        (status = 429, description = "Too many new accounts from this address", body = ErrorBody),
    )
)]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    body: web::Json<RegisterBody>,
) -> AppResult<HttpResponse> {
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    let new = NewAccount {
        username: &body.username,
        email: &body.email,
        password: &body.password,
    };
    let user = accounts::register(&mut conn, &origin, state.config.registration_open, new).await?;
    start_session(&session, &user)?;
    Ok(HttpResponse::Created().json(Registered {
        username: user.username,
        email: user.email,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The username or the email address; no NUL (Postgres text cannot hold one).
    #[schema(pattern = r"^[^\u0000]*$")]
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
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    let user = sessions::sign_in(&mut conn, &origin, &body.username, &body.password).await?;
    start_session(&session, &user)?;
    Ok(HttpResponse::Ok().json(SignedIn {
        ok: true,
        username: user.username,
    }))
}

/// Ends the session, if the request has one (the `session` cookie).
#[utoipa::path(
    post, path = "/api/v1/auth/logout", operation_id = "auth_logout", tag = "auth",
    responses(
        (status = 200, description = "Signed out (also when not signed in)", body = OkBody),
        (status = 403, description = "Sent with the session cookie but not as `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    end_session(&req, &state, &session).await?;
    Ok(HttpResponse::Ok().json(OkBody { ok: true }))
}

/// Records the sign-out of whoever the session names (if anyone), then ends it.
/// Shared by the API and the sign-out form.
pub async fn end_session(req: &HttpRequest, state: &AppState, session: &Session) -> AppResult<()> {
    let id = session.get::<i64>(SESSION_USER).ok().flatten();
    let name = session.get::<String>(SESSION_USERNAME).ok().flatten();
    if let (Some(id), Some(name)) = (id, name) {
        let origin = Origin::of(req, &state.config.trusted_proxies);
        let mut conn = state.pool.get().await?;
        sessions::sign_out(&mut conn, &origin, (id, &name)).await?;
    }
    session.purge();
    Ok(())
}
