//! Server-rendered pages (Askama) whose interactive parts are htmx requests
//! answered by the same handlers with fragments.

pub mod account;
pub mod home;
pub mod login;

use actix_session::{Session, SessionExt};
use actix_web::{
    dev::ServiceResponse, http::header, middleware::ErrorHandlerResponse, HttpRequest, HttpResponse,
};
use askama::Template;

use crate::auth::csrf;
use crate::db::models::User;
use crate::error::{AppError, AppResult};

/// What the base layout needs on every page.
pub struct Layout {
    pub user: Option<String>,
    pub csrf: String,
}

impl Layout {
    pub fn new(session: &Session, user: Option<&User>) -> Layout {
        Layout {
            user: user.map(|u| u.username.clone()),
            csrf: csrf::token(session),
        }
    }
}

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}

pub fn html<T: Template>(t: &T) -> AppResult<HttpResponse> {
    html_status(actix_web::http::StatusCode::OK, t)
}

pub fn html_status<T: Template>(
    status: actix_web::http::StatusCode,
    t: &T,
) -> AppResult<HttpResponse> {
    let body = t.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Template)]
#[template(path = "error/page.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "error/fragment.html")]
struct ErrorFragment<'a> {
    message: &'a str,
}

pub async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::not_found("there is nothing at this address"))
}

/// Turns an error response in the web scope into a page, or a fragment for
/// htmx requests. Pages a handler rendered itself (with form errors) pass through.
pub fn render_error<B: actix_web::body::MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let Some(err) = res.response().error() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let message = match err.as_error::<AppError>() {
        Some(app) => app.public_message(),
        None => err.to_string(),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let req = res.request().clone();
    let body = if is_htmx(&req) {
        ErrorFragment { message: &message }.render()
    } else {
        let session = req.get_session();
        let user = session
            .get::<i64>(crate::auth::extract::SESSION_USER)
            .ok()
            .flatten();
        ErrorPage {
            layout: Layout {
                user: user.map(|_| "account".to_string()),
                csrf: csrf::token(&session),
            },
            status: status.as_u16(),
            title,
            message: &message,
        }
        .render()
    }
    .unwrap_or_else(|_| message.clone());
    let mut new = HttpResponse::build(status);
    if let Some(v) = res.headers().get(header::RETRY_AFTER) {
        new.insert_header((header::RETRY_AFTER, v.clone()));
    }
    if is_htmx(&req) {
        // Errors replace the form's message area, not the whole target.
        new.insert_header(("HX-Retarget", "#flash"))
            .insert_header(("HX-Reswap", "innerHTML"));
    }
    let new = new.content_type("text/html; charset=utf-8").body(body);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
