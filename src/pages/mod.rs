//! Server-rendered pages (Askama) whose interactive parts are htmx requests
//! answered by the same handlers with fragments.
//!
//! Every page handler renders its content template once and hands it to
//! [`page`]: a normal request gets it inside the layout (`base.html`), an htmx
//! request gets the content alone. Actions answer with their own fragments.

pub mod account;
pub mod admin;
pub mod api_docs;
pub mod assets;
pub mod capabilities;
pub mod deprecation;
pub mod discovery;
pub mod github;
pub mod home;
pub mod login;
pub mod package;
pub mod readme;
pub mod search;
pub mod user;
pub mod view;
pub mod webhooks;

use actix_session::{Session, SessionExt};
use actix_web::{
    body::{BoxBody, EitherBody},
    dev::ServiceResponse,
    http::{header, Method, StatusCode},
    middleware::ErrorHandlerResponse,
    HttpRequest, HttpResponse,
};
use askama::Template;

use crate::auth::csrf;
use crate::db::models::User;
use crate::error::{AppError, AppResult};

/// The Content-Security-Policy of every page: nothing from another origin, no
/// inline script or style (htmx's indicator styles are off in its config).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// What the base layout needs on every page.
pub struct Layout {
    pub user: Option<String>,
    pub csrf: String,
}

/// A visitor who is not signed in gets no token unless they have one, so
/// browsing creates no session (and anonymous pages can be cached).
fn layout_token(session: &Session, signed_in: bool) -> String {
    match signed_in {
        true => csrf::token(session),
        false => csrf::existing(session).unwrap_or_default(),
    }
}

impl Layout {
    pub fn new(session: &Session, user: Option<&User>) -> Layout {
        Layout {
            user: user.map(|u| u.username.clone()),
            csrf: layout_token(session, user.is_some()),
        }
    }

    /// For pages whose forms visitors submit before signing in.
    pub fn with_form(session: &Session, user: Option<&User>) -> Layout {
        Layout {
            user: user.map(|u| u.username.clone()),
            csrf: csrf::token(session),
        }
    }
}

/// A page's title and description (for tabs, bookmarks, search engines and link previews).
#[derive(Clone)]
pub struct Meta {
    pub title: String,
    pub description: String,
    /// An Atom feed to advertise, if any.
    pub feed: Option<String>,
    /// The header search box is hidden on pages that have their own.
    pub header_search: bool,
    /// The page's one public URL; [`page`] makes it from the path when unset.
    pub canonical: Option<String>,
}

impl Meta {
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Meta {
        Meta {
            title: title.into(),
            description: description.into(),
            feed: None,
            header_search: true,
            canonical: None,
        }
    }
}

#[derive(Template)]
#[template(path = "shell.html")]
struct Shell<'a> {
    layout: &'a Layout,
    meta: &'a Meta,
    content: &'a str,
}

/// True for htmx requests that want a fragment. A history restore (back
/// button after a cache miss) wants the whole page.
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
        && !req.headers().contains_key("hx-history-restore-request")
}

/// The page in the layout, or its content alone for htmx.
pub fn page<T: Template>(
    req: &HttpRequest,
    layout: &Layout,
    meta: &Meta,
    content: &T,
) -> AppResult<HttpResponse> {
    page_status(req, StatusCode::OK, layout, meta, content)
}

pub fn page_status<T: Template>(
    req: &HttpRequest,
    status: StatusCode,
    layout: &Layout,
    meta: &Meta,
    content: &T,
) -> AppResult<HttpResponse> {
    respond(req, status, layout, meta, content, content)
}

/// The page in the layout, or for htmx a smaller fragment of it (search
/// results, a package's tabs) that the page's own links and forms target.
pub fn page_or_fragment<P: Template, F: Template>(
    req: &HttpRequest,
    layout: &Layout,
    meta: &Meta,
    full: &P,
    fragment: &F,
) -> AppResult<HttpResponse> {
    respond(req, StatusCode::OK, layout, meta, full, fragment)
}

fn respond<P: Template, F: Template>(
    req: &HttpRequest,
    status: StatusCode,
    layout: &Layout,
    meta: &Meta,
    full: &P,
    fragment: &F,
) -> AppResult<HttpResponse> {
    let body = if is_htmx(req) {
        let content = fragment.render().map_err(AppError::internal)?;
        // htmx moves a <title> in a navigation's fragment to the document.
        if req.method() == Method::GET {
            format!(
                "<title>{} · Sema packages</title>\n{content}",
                view::escape(&meta.title)
            )
        } else {
            content
        }
    } else {
        let content = full.render().map_err(AppError::internal)?;
        let mut meta = meta.clone();
        if meta.canonical.is_none() {
            meta.canonical = canonical(req, req.path());
        }
        Shell {
            layout,
            meta: &meta,
            content: &content,
        }
        .render()
        .map_err(AppError::internal)?
    };
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The absolute URL of `path_and_query` on this registry (`BASE_URL`).
pub fn canonical(req: &HttpRequest, path_and_query: &str) -> Option<String> {
    let state = req.app_data::<actix_web::web::Data<crate::state::AppState>>()?;
    Some(format!(
        "{}{path_and_query}",
        state.config.base_url.trim_end_matches('/')
    ))
}

/// A fragment answering an htmx action.
pub fn html<T: Template>(t: &T) -> AppResult<HttpResponse> {
    let body = t.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Kept for pages that extend `base.html` themselves (sign-in, GitHub).
pub fn html_status<T: Template>(status: StatusCode, t: &T) -> AppResult<HttpResponse> {
    let body = t.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The confirmation a destructive action asks for when it comes from a plain
/// form (no JavaScript, so no dialog): the same form again, confirmed.
#[derive(Template)]
#[template(path = "shared/confirm.html")]
pub struct Confirm {
    pub title: String,
    pub question: String,
    pub action: String,
    pub button: String,
    /// Where "Cancel" goes.
    pub back: String,
    pub csrf: String,
}

/// The step a destructive action takes without JavaScript (htmx asks in a dialog).
pub fn confirm_page(
    req: &HttpRequest,
    session: &Session,
    me: &User,
    mut c: Confirm,
) -> AppResult<HttpResponse> {
    let layout = Layout::new(session, Some(me));
    let meta = Meta::new(c.title.clone(), c.question.clone());
    c.csrf = layout.csrf.clone();
    page(req, &layout, &meta, &c)
}

#[derive(Template)]
#[template(path = "error/page.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    signed_in: bool,
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
    let id = crate::error::request_id(res.request());
    let message = match err.as_error::<AppError>() {
        Some(app) => app.message_for(&id),
        None if status.is_server_error() => format!("{err} (request id {id})"),
        None => err.to_string(),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let req = res.request().clone();
    let htmx = is_htmx(&req);
    let body = if htmx {
        ErrorFragment { message: &message }.render()
    } else {
        let session = req.get_session();
        let signed_in = session
            .get::<i64>(crate::auth::extract::SESSION_USER)
            .ok()
            .flatten()
            .is_some();
        // Sessions from before the username was kept fall back to "Account".
        let name = session
            .get::<String>(crate::auth::extract::SESSION_USERNAME)
            .ok()
            .flatten();
        let layout = Layout {
            user: signed_in.then(|| name.unwrap_or_else(|| "Account".to_string())),
            csrf: layout_token(&session, signed_in),
        };
        let mut meta = Meta::new(title, message.clone());
        meta.header_search = true;
        ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
            signed_in,
        }
        .render()
        .and_then(|content| {
            Shell {
                layout: &layout,
                meta: &meta,
                content: &content,
            }
            .render()
        })
    }
    .unwrap_or_else(|_| view::escape(&message));
    // The same response with a page for its body: its error stays attached,
    // for the one log line `server::middleware::errors` writes.
    let mut res = res.map_body(|_, _| EitherBody::right(BoxBody::new(body)));
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.remove(header::CONTENT_LENGTH);
    if htmx {
        // Errors go to the page's message area, not the request's target.
        headers.insert(
            header::HeaderName::from_static("hx-retarget"),
            header::HeaderValue::from_static("#flash"),
        );
        headers.insert(
            header::HeaderName::from_static("hx-reswap"),
            header::HeaderValue::from_static("innerHTML"),
        );
    }
    Ok(ErrorHandlerResponse::Response(res))
}
