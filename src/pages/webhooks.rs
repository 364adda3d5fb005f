//! `/packages/{name}/webhooks`: the owners' page of a package's webhooks
//! (linked from its Owners tab): each with its state and latest deliveries,
//! and the forms to add, test and remove one. htmx gets the changed panel
//! back; a plain form gets a redirect to the page, the outcome shown there once.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::login::redirect;
use super::{confirm_page, html, is_htmx, page as render_page, view, Confirm, Layout, Meta};
use crate::audit::Origin;
use crate::auth::{csrf, MaybeUser};
use crate::db::models::User;
use crate::domain::webhook::EVENTS;
use crate::error::{AppError, AppResult};
use crate::registry::webhooks::{self as hooks, Delivery, Webhook};
use crate::state::AppState;
use crate::usecase::{webhooks, Actor};

/// Deliveries shown per webhook (the API lists more).
const SHOWN_DELIVERIES: i64 = 5;

pub struct DeliveryRow {
    pub event: String,
    pub status: String,
    pub code: String,
    pub attempts: i32,
    /// When a pending delivery is tried next; empty otherwise.
    pub next: String,
    pub duration: String,
    pub when: String,
    pub error: String,
}

impl From<Delivery> for DeliveryRow {
    fn from(d: Delivery) -> Self {
        DeliveryRow {
            code: d.response_code.map(|c| c.to_string()).unwrap_or_default(),
            next: if d.status == "pending" {
                view::date(&d.next_attempt_at)
            } else {
                String::new()
            },
            duration: d
                .duration_ms
                .map(|ms| format!("{ms} ms"))
                .unwrap_or_default(),
            when: view::ago(&d.created_at),
            error: d.error.unwrap_or_default(),
            event: d.event,
            status: d.status,
            attempts: d.attempts,
        }
    }
}

pub struct HookRow {
    pub id: i64,
    pub url: String,
    pub events: String,
    /// Why it was disabled; `None` while active.
    pub disabled: Option<String>,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "package/webhooks_panel.html")]
pub struct Panel {
    name: String,
    csrf: String,
    hooks: Vec<HookRow>,
    events: &'static [&'static str],
    /// The outcome of the last change; a new webhook's secret, shown once.
    flash: String,
    flash_ok: bool,
    secret: Option<String>,
    /// The URL typed, kept after a refusal.
    url: String,
}

#[derive(Template)]
#[template(path = "package/webhooks.html")]
struct Page {
    name: String,
    panel: Panel,
}

/// The outcome of a change made without JavaScript, shown once after the redirect.
#[derive(Serialize, Deserialize, Default)]
struct Flash {
    ok: bool,
    text: String,
    secret: Option<String>,
    url: String,
}

const FLASH: &str = "webhooks_flash";

fn signed_in(user: MaybeUser) -> AppResult<User> {
    user.0
        .ok_or_else(|| AppError::unauthorized("sign in to manage this package"))
}

async fn panel(
    conn: &mut diesel_async::AsyncPgConnection,
    me: &User,
    name: &str,
    csrf: String,
    flash: Flash,
) -> AppResult<Panel> {
    let (pkg, list) = webhooks::list(conn, Actor::session(me), name).await?;
    let mut rows = Vec::with_capacity(list.len());
    for w in list {
        let deliveries = hooks::deliveries(conn, w.id, SHOWN_DELIVERIES).await?;
        rows.push(row(w, deliveries));
    }
    Ok(Panel {
        name: pkg.name,
        csrf,
        hooks: rows,
        events: EVENTS,
        flash: flash.text,
        flash_ok: flash.ok,
        secret: flash.secret,
        url: flash.url,
    })
}

fn row(w: Webhook, deliveries: Vec<Delivery>) -> HookRow {
    HookRow {
        id: w.id,
        url: w.url,
        events: w.events.join(", "),
        disabled: w.disabled_at.map(|_| w.disabled_reason.unwrap_or_default()),
        deliveries: deliveries.into_iter().map(DeliveryRow::from).collect(),
    }
}

/// `GET /packages/{name}/webhooks`, for the package's owners.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let Some(me) = user.0 else {
        return Ok(redirect("/login"));
    };
    let flash = session
        .remove_as::<Flash>(FLASH)
        .and_then(Result::ok)
        .unwrap_or(Flash {
            ok: true,
            ..Default::default()
        });
    let layout = Layout::new(&session, Some(&me));
    let mut conn = state.pool.get().await?;
    let panel = panel(&mut conn, &me, &name, layout.csrf.clone(), flash).await?;
    let meta = Meta::new(
        format!("Webhooks of {}", panel.name),
        "Where the registry tells of this package's changes.",
    );
    let page = Page {
        name: panel.name.clone(),
        panel,
    };
    render_page(&req, &layout, &meta, &page)
}

/// After a change: htmx gets the panel, a plain form the page again.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    me: &User,
    name: &str,
    flash: Flash,
) -> AppResult<HttpResponse> {
    if !is_htmx(req) {
        session.insert(FLASH, flash).map_err(AppError::internal)?;
        return Ok(redirect(&format!("/packages/{name}/webhooks")));
    }
    let mut conn = state.pool.get().await?;
    html(&panel(&mut conn, me, name, csrf::token(session), flash).await?)
}

/// A refusal of what the form said, shown beside the form rather than as an error page.
fn refused_input(e: &AppError) -> bool {
    use actix_web::http::StatusCode as S;
    let status = actix_web::ResponseError::status_code(e);
    matches!(
        status,
        S::BAD_REQUEST | S::CONFLICT | S::UNPROCESSABLE_ENTITY
    )
}

/// `POST /packages/{name}/webhooks`: events arrive as repeated `event` fields.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let me = signed_in(user)?;
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    csrf::verify(&req, &session, field("csrf_token"))?;
    let url = field("url").unwrap_or_default().trim().to_string();
    let secret = field("secret").filter(|s| !s.is_empty());
    let events: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "event")
        .map(|(_, v)| v.clone())
        .collect();
    let request = webhooks::Request {
        url: &url,
        events: &events,
        secret,
    };
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let allow_private = state.config.webhooks.allow_private_targets;
    let mut conn = state.pool.get().await?;
    let actor = Actor::session(&me);
    let done = webhooks::create(&mut conn, actor, &origin, &name, request, allow_private).await;
    let flash = match done {
        Ok((hook, secret)) => Flash {
            ok: true,
            text: format!("Webhook added: {}.", hook.url),
            secret: Some(secret),
            url: String::new(),
        },
        Err(e) if refused_input(&e) => Flash {
            ok: false,
            text: e.public_message(),
            secret: None,
            url,
        },
        Err(e) => return Err(e),
    };
    answer(&req, &state, &session, &me, &name, flash).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: Option<String>,
    /// Set by the confirmation page a removal shows without JavaScript.
    pub confirmed: Option<String>,
}

/// `POST /packages/{name}/webhooks/{id}/test`: queues a ping.
pub async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let me = signed_in(user)?;
    csrf::verify(
        &req,
        &session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    let (name, id) = path.into_inner();
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    webhooks::ping(&mut conn, Actor::session(&me), &origin, &name, id).await?;
    let flash = Flash {
        ok: true,
        text: "A ping is on its way; reload to see how it went.".into(),
        ..Default::default()
    };
    answer(&req, &state, &session, &me, &name, flash).await
}

/// `POST /packages/{name}/webhooks/{id}/delete`; without JavaScript it asks first.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, i64)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let me = signed_in(user)?;
    csrf::verify(
        &req,
        &session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    let (name, id) = path.into_inner();
    let confirmed = form.as_ref().and_then(|f| f.confirmed.as_deref()) == Some("yes");
    if !is_htmx(&req) && !confirmed {
        let confirm = Confirm {
            title: format!("Remove webhook {id} of {name}?"),
            question: "Its receiver is told of nothing more, and its deliveries are forgotten."
                .into(),
            action: format!("/packages/{name}/webhooks/{id}/delete"),
            button: "Remove webhook".into(),
            back: format!("/packages/{name}/webhooks"),
            csrf: String::new(),
        };
        return confirm_page(&req, &session, &me, confirm);
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    webhooks::delete(&mut conn, Actor::session(&me), &origin, &name, id).await?;
    let flash = Flash {
        ok: true,
        text: "Webhook removed.".into(),
        ..Default::default()
    };
    answer(&req, &state, &session, &me, &name, flash).await
}
