//! `/login` (sign in and create an account), `/register`, `/logout`.

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{html_status, Layout};
use crate::api::auth::end_session;
use crate::audit::Origin;
use crate::auth::session::start_session;
use crate::auth::{csrf, MaybeUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::usecase::accounts::{self, NewAccount};
use crate::usecase::sessions;

#[derive(Template)]
#[template(path = "login/page.html")]
struct Page {
    layout: Layout,
    /// Show "Sign in with GitHub" only when it is configured.
    github: bool,
    error: Option<String>,
    username: String,
    email: String,
    register_error: Option<String>,
    /// `REGISTRATION=open`: the create-an-account form is offered.
    registration: bool,
}

pub async fn page(
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    if user.0.is_some() {
        return Ok(redirect("/account"));
    }
    render(&state, &session, StatusCode::OK, None, None, "", "")
}

fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
    register_error: Option<String>,
    username: &str,
    email: &str,
) -> AppResult<HttpResponse> {
    html_status(
        status,
        &Page {
            layout: Layout::with_form(session, None),
            github: state.config.github.is_some(),
            registration: state.config.registration_open,
            error,
            register_error,
            username: username.to_string(),
            email: email.to_string(),
        },
    )
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub username: String,
    pub password: String,
    pub csrf_token: Option<String>,
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SignInForm>,
) -> AppResult<HttpResponse> {
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    match sessions::sign_in(&mut conn, &origin, &form.username, &form.password).await {
        Ok(user) => {
            start_session(&session, &user)?;
            Ok(redirect("/account"))
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::Forbidden(_))) => render(
            &state,
            &session,
            e_status(&e),
            Some(e.to_string()),
            None,
            &form.username,
            "",
        ),
        Err(e) => Err(e),
    }
}

fn e_status(e: &AppError) -> StatusCode {
    actix_web::ResponseError::status_code(e)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    pub username: String,
    pub email: String,
    pub password: String,
    pub csrf_token: Option<String>,
}

pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<RegisterForm>,
) -> AppResult<HttpResponse> {
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    let new = NewAccount {
        username: &form.username,
        email: &form.email,
        password: &form.password,
    };
    let open = state.config.registration_open;
    match accounts::register(&mut conn, &origin, open, new).await {
        Ok(user) => {
            start_session(&session, &user)?;
            Ok(redirect("/account"))
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            render(
                &state,
                &session,
                e_status(&e),
                None,
                Some(e.to_string()),
                &form.username,
                &form.email,
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: Option<String>,
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    end_session(&req, &state, &session).await?;
    Ok(redirect("/"))
}
