//! `/auth/github…`: Sign in with GitHub, connect and disconnect.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{html_status, login::redirect, Layout};
use crate::audit::Origin;
use crate::auth::github_oauth::{self as github, GithubUser};
use crate::auth::session::start_session as sign_in;
use crate::auth::{csrf, MaybeUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::usecase::github::{self as signin, Outcome};

const STATE: &str = "gh_state";
const VERIFIER: &str = "gh_verifier";
const CONNECT: &str = "gh_connect";
const PENDING: &str = "gh_pending";

fn config(state: &AppState) -> AppResult<&crate::config::GithubConfig> {
    state
        .config
        .github
        .as_ref()
        .ok_or_else(|| AppError::not_found("GitHub sign-in is not configured here"))
}

fn session_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("session: {e}"))
}

#[derive(Deserialize)]
pub struct StartQuery {
    pub connect: Option<String>,
}

/// Starts the flow: PKCE verifier and `state` stay in the visitor's session.
pub async fn start(
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    q: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let started = github::start(config(&state)?, &state.config.base_url)?;
    session
        .insert(STATE, &started.state)
        .map_err(session_error)?;
    session
        .insert(VERIFIER, &started.verifier)
        .map_err(session_error)?;
    session
        .insert(CONNECT, q.connect.is_some() && user.0.is_some())
        .map_err(session_error)?;
    Ok(redirect(&started.url))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    q: web::Query<CallbackQuery>,
) -> AppResult<HttpResponse> {
    let cfg = config(&state)?;
    // One use only: whatever happens next, this attempt's secrets are spent.
    let expected = session.remove_as::<String>(STATE).and_then(Result::ok);
    let verifier = session.remove_as::<String>(VERIFIER).and_then(Result::ok);
    let connect = session
        .remove_as::<bool>(CONNECT)
        .and_then(Result::ok)
        .unwrap_or(false);
    if let Some(err) = &q.error {
        return Err(AppError::bad_request(if err == "access_denied" {
            "you declined the GitHub sign-in; nothing was changed".to_string()
        } else {
            format!(
                "GitHub reported an error ({}); please try again",
                err.chars().take(60).collect::<String>()
            )
        }));
    }
    let (Some(expected), Some(verifier)) = (expected, verifier) else {
        return Err(AppError::bad_request(
            "this GitHub sign-in was not started here or has expired; please start again",
        ));
    };
    if q.state.as_deref() != Some(expected.as_str()) {
        return Err(AppError::bad_request(
            "the GitHub sign-in did not match this browser (state mismatch); please start again",
        ));
    }
    let code = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() < 512)
        .ok_or_else(|| AppError::bad_request("GitHub sent no code; please start again"))?;
    let gh = github::finish(cfg, &state.config.base_url, code, &verifier).await?;
    let mut conn = state.pool.get().await?;
    let current = if connect { user.0.as_ref() } else { None };
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let open = state.config.registration_open;
    match signin::sign_in(&mut conn, &origin, &gh, current, open).await? {
        Outcome::SignedIn(u) => {
            sign_in(&session, &u)?;
            Ok(redirect("/account"))
        }
        Outcome::Linked(_) => Ok(redirect("/account")),
        Outcome::ChooseUsername => {
            session.insert(PENDING, &gh).map_err(session_error)?;
            Ok(redirect("/auth/github/username"))
        }
    }
}

#[derive(Template)]
#[template(path = "auth/github/username.html")]
struct ChoosePage {
    layout: Layout,
    login: String,
    username: String,
    error: Option<String>,
}

fn pending(session: &Session) -> Option<GithubUser> {
    session.get::<GithubUser>(PENDING).ok().flatten()
}

pub async fn choose_page(session: Session) -> AppResult<HttpResponse> {
    let Some(gh) = pending(&session) else {
        return Ok(redirect("/login"));
    };
    let page = ChoosePage {
        layout: Layout::with_form(&session, None),
        username: String::new(),
        login: gh.login,
        error: None,
    };
    html_status(actix_web::http::StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ChooseForm {
    pub username: String,
    pub csrf_token: Option<String>,
}

pub async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ChooseForm>,
) -> AppResult<HttpResponse> {
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let Some(gh) = pending(&session) else {
        return Ok(redirect("/login"));
    };
    if !state.config.registration_open {
        return Err(AppError::forbidden(
            crate::auth::accounts::REGISTRATION_CLOSED,
        ));
    }
    let mut conn = state.pool.get().await?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    match signin::create(&mut conn, &origin, &gh, form.username.trim()).await {
        Ok(u) => {
            session.remove(PENDING);
            sign_in(&session, &u)?;
            Ok(redirect("/account"))
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_))) => {
            let status = actix_web::ResponseError::status_code(&e);
            let page = ChoosePage {
                layout: Layout::with_form(&session, None),
                login: gh.login,
                username: form.username.clone(),
                error: Some(e.to_string()),
            };
            html_status(status, &page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: Option<String>,
}

pub async fn disconnect(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    form: Option<web::Form<CsrfForm>>,
) -> AppResult<HttpResponse> {
    let user = user
        .0
        .ok_or_else(|| AppError::unauthorized("sign in first"))?;
    csrf::verify(
        &req,
        &session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    let mut conn = state.pool.get().await?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    signin::disconnect(&mut conn, &origin, &user).await?;
    Ok(redirect("/account"))
}
