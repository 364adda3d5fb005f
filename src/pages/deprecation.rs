//! The package page's deprecation: the banner everyone sees, and the owners'
//! forms to deprecate and undo (`POST /packages/{name}/deprecate`,
//! `…/undeprecate`). htmx gets the changed panel back; a plain form gets a
//! redirect to the page, with the outcome shown there once.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::login::redirect;
use super::{html, is_htmx, view};
use crate::audit::Origin;
use crate::auth::{csrf, MaybeUser};
use crate::error::{AppError, AppResult};
use crate::registry::deprecations::Deprecated;
use crate::state::AppState;
use crate::usecase::{deprecation, Actor};

/// A deprecation as the banner shows it.
pub struct Banner {
    pub message: String,
    pub successor: Option<String>,
    pub since: String,
    pub at: String,
}

impl From<&Deprecated> for Banner {
    fn from(d: &Deprecated) -> Banner {
        Banner {
            message: d.message.clone(),
            successor: d.successor.clone(),
            since: view::ago(&d.at),
            at: view::date(&d.at),
        }
    }
}

#[derive(Template)]
#[template(path = "package/deprecation.html")]
pub struct Panel {
    name: String,
    owner: bool,
    csrf: String,
    deprecated: Option<Banner>,
    /// What the form shows: the current deprecation, or what was sent again after an error.
    message: String,
    successor: String,
    /// The outcome of the last change made without JavaScript (or by htmx).
    flash: String,
    flash_ok: bool,
}

impl Panel {
    pub fn is_deprecated(&self) -> bool {
        self.deprecated.is_some()
    }
}

/// The outcome of a change made without JavaScript, shown once after the redirect.
#[derive(Serialize, Deserialize)]
struct Flash {
    ok: bool,
    text: String,
    message: String,
    successor: String,
}

const FLASH: &str = "deprecation_flash";

/// The panel of the package page; takes the flash a plain form left.
pub fn panel(
    session: &Session,
    name: &str,
    deprecated: Option<&Deprecated>,
    owner: bool,
    csrf: &str,
) -> Panel {
    let mut p = Panel {
        name: name.to_string(),
        owner,
        csrf: csrf.to_string(),
        message: deprecated.map(|d| d.message.clone()).unwrap_or_default(),
        successor: deprecated
            .and_then(|d| d.successor.clone())
            .unwrap_or_default(),
        deprecated: deprecated.map(Banner::from),
        flash: String::new(),
        flash_ok: true,
    };
    if owner {
        if let Some(f) = session.remove_as::<Flash>(FLASH).and_then(Result::ok) {
            (p.flash, p.flash_ok) = (f.text, f.ok);
            if !f.ok {
                (p.message, p.successor) = (f.message, f.successor);
            }
        }
    }
    p
}

#[derive(Deserialize)]
pub struct DeprecateForm {
    pub csrf_token: Option<String>,
    pub message: Option<String>,
    pub successor: Option<String>,
}

/// The signed-in user, with the CSRF token checked.
fn signed_in(
    req: &HttpRequest,
    session: &Session,
    user: MaybeUser,
    form: &Option<web::Form<DeprecateForm>>,
) -> AppResult<crate::db::models::User> {
    let user = user
        .0
        .ok_or_else(|| AppError::unauthorized("sign in to manage this package"))?;
    let token = form.as_ref().and_then(|f| f.csrf_token.as_deref());
    csrf::verify(req, session, token)?;
    Ok(user)
}

pub async fn deprecate(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
    form: Option<web::Form<DeprecateForm>>,
) -> AppResult<HttpResponse> {
    change(req, state, session, user, name, form, true).await
}

pub async fn undeprecate(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
    form: Option<web::Form<DeprecateForm>>,
) -> AppResult<HttpResponse> {
    change(req, state, session, user, name, form, false).await
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
    form: Option<web::Form<DeprecateForm>>,
    deprecate: bool,
) -> AppResult<HttpResponse> {
    let me = signed_in(&req, &session, user, &form)?;
    let (message, successor) = match &form {
        Some(f) => (
            f.message.clone().unwrap_or_default(),
            f.successor.clone().unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let request = deprecate.then_some(deprecation::Request {
        message: &message,
        // A form sends the empty field for none.
        successor: Some(successor.trim()).filter(|s| !s.is_empty()),
    });
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    let done =
        deprecation::set_deprecated(&mut conn, Actor::session(&me), &origin, &name, request).await;
    let (pkg, now) = match done {
        Ok(d) => d,
        // Without JavaScript a refusal is shown on the page, the text kept in
        // the form, rather than as an error page that loses it.
        Err(e) if !is_htmx(&req) && refused_input(&e) => {
            let flash = Flash {
                ok: false,
                text: e.public_message(),
                message,
                successor,
            };
            return flash_redirect(&session, &name, flash);
        }
        Err(e) => return Err(e),
    };
    let text = match &now {
        Some(_) => format!("{} is deprecated.", pkg.name),
        None => format!("{} is no longer deprecated.", pkg.name),
    };
    if !is_htmx(&req) {
        let flash = Flash {
            ok: true,
            text,
            message: String::new(),
            successor: String::new(),
        };
        return flash_redirect(&session, &pkg.name, flash);
    }
    let mut p = panel(
        &session,
        &pkg.name,
        now.as_ref(),
        true,
        &csrf::token(&session),
    );
    p.flash = text;
    html(&p)
}

/// A refusal of what the form said (not of who sent it, nor of a package
/// that is not there): the page can show it beside the form.
fn refused_input(e: &AppError) -> bool {
    use actix_web::http::StatusCode as S;
    let status = actix_web::ResponseError::status_code(e);
    matches!(
        status,
        S::BAD_REQUEST | S::CONFLICT | S::UNPROCESSABLE_ENTITY
    )
}

fn flash_redirect(session: &Session, name: &str, flash: Flash) -> AppResult<HttpResponse> {
    session.insert(FLASH, flash).map_err(AppError::internal)?;
    Ok(redirect(&format!("/packages/{name}")))
}
