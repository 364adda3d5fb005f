//! `/account`: who you are and your API tokens (create, shown once; revoke).
//! Token actions answer htmx with fragments and plain forms with a redirect.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::redirect;
use super::view::PackageItem;
use super::{confirm_page, html, is_htmx, page as render_page, Confirm, Layout, Meta};
use crate::api::tokens::TokenInfo;
use crate::audit::Origin;
use crate::auth::{csrf, MaybeUser};
use crate::db::models::User;
use crate::domain::token::SCOPES;
use crate::error::{AppError, AppResult};
use crate::registry::{invitations, listing};
use crate::state::AppState;
use crate::usecase::tokens::{self, TokenRequest};
use crate::usecase::{owners, Actor};

#[derive(Template)]
#[template(path = "account/page.html")]
struct Page {
    csrf: String,
    items: Vec<PackageItem>,
    user: User,
    tokens: Vec<TokenInfo>,
    scopes: &'static [&'static str],
    new_token: Option<TokenInfo>,
    /// Pending invitations to own packages, answered here.
    invitations: Vec<invitations::Invitation>,
    /// Offer "Connect GitHub" only when GitHub sign-in is configured.
    github: bool,
}

#[derive(Template)]
#[template(path = "account/token_created.html")]
struct Created {
    token: TokenInfo,
    csrf: String,
}

fn require(user: MaybeUser) -> AppResult<User> {
    user.0
        .ok_or_else(|| AppError::unauthorized("sign in to see your account"))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    let Some(user) = user.0 else {
        return Ok(redirect("/login"));
    };
    let mut conn = state.pool.get().await?;
    let live = crate::registry::tokens::live(&mut conn, user.id).await?;
    let tokens: Vec<TokenInfo> = live.into_iter().map(TokenInfo::from).collect();
    let invitations = invitations::pending(&mut conn, user.id).await?;
    let items = listing::owned_by(&mut conn, user.id)
        .await?
        .into_iter()
        .map(PackageItem::from)
        .collect();
    // A token created without JavaScript is shown once, after the redirect.
    let new_token = session
        .remove_as::<TokenInfo>("new_token")
        .and_then(Result::ok);
    let layout = Layout::new(&session, Some(&user));
    let meta = Meta::new("Your account", "Your Sema packages and API tokens.");
    render_page(
        &req,
        &layout,
        &meta,
        &Page {
            csrf: layout.csrf.clone(),
            items,
            user,
            tokens,
            scopes: &SCOPES,
            new_token,
            invitations,
            github: state.config.github.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    pub name: String,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub packages: String,
    #[serde(default)]
    pub expires_in_days: String,
    pub csrf_token: Option<String>,
}

fn new_token(form: &TokenForm) -> AppResult<TokenRequest> {
    let expires_in_days = match form.expires_in_days.trim() {
        "" | "never" => None,
        d => Some(
            d.parse()
                .map_err(|_| AppError::bad_request("expiry must be a number of days"))?,
        ),
    };
    Ok(TokenRequest {
        name: form.name.clone(),
        scopes: Some(form.scope.clone()),
        packages: Some(
            form.packages
                .split([',', ' ', '\n'])
                .map(|s| s.to_string())
                .collect(),
        ),
        expires_in_days,
    })
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let user = require(user)?;
    let form = token_form(form.into_inner());
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let mut conn = state.pool.get().await?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let request = new_token(&form)?;
    let created = tokens::create(&mut conn, Actor::session(&user), &origin, &user, request).await?;
    let token = TokenInfo::from(created);
    if is_htmx(&req) {
        return html(&Created {
            token,
            csrf: csrf::token(&session),
        });
    }
    session
        .insert("new_token", &token)
        .map_err(AppError::internal)?;
    Ok(redirect("/account"))
}

/// Scopes arrive as repeated `scope` fields, which serde_urlencoded cannot put in a Vec.
fn token_form(pairs: Vec<(String, String)>) -> TokenForm {
    let mut f = TokenForm {
        name: String::new(),
        scope: vec![],
        packages: String::new(),
        expires_in_days: String::new(),
        csrf_token: None,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "name" => f.name = v,
            "scope" => f.scope.push(v),
            "packages" => f.packages = v,
            "expires_in_days" => f.expires_in_days = v,
            "csrf_token" => f.csrf_token = Some(v),
            _ => {}
        }
    }
    f
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf_token: Option<String>,
    /// Set by the confirmation page shown without JavaScript.
    pub confirmed: Option<String>,
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    id: web::Path<i64>,
    form: Option<web::Form<CsrfForm>>,
) -> AppResult<HttpResponse> {
    let user = require(user)?;
    // htmx sends the token as a header and no body.
    csrf::verify(
        &req,
        &session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    let mut conn = state.pool.get().await?;
    let id = id.into_inner();
    // A plain form asks first (htmx asked in a dialog); unknown ids fall through to the 404.
    let confirmed = form.as_ref().and_then(|f| f.confirmed.as_deref()) == Some("yes");
    if !is_htmx(&req) && !confirmed {
        let live = crate::registry::tokens::live(&mut conn, user.id).await?;
        if let Some(t) = live.iter().find(|t| t.id == id) {
            let confirm = Confirm {
                title: format!("Revoke the token “{}”?", t.name),
                question: "Anything that uses it (a CLI login, a CI job) stops working at once."
                    .into(),
                action: format!("/account/tokens/{id}/revoke"),
                button: format!("Revoke {}", t.name),
                back: "/account".into(),
                csrf: String::new(),
            };
            return confirm_page(&req, &session, &user, confirm);
        }
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    tokens::revoke(&mut conn, Actor::session(&user), &origin, id).await?;
    if is_htmx(&req) {
        // The row is swapped out in place.
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(""));
    }
    Ok(redirect("/account"))
}

/// `POST /account/invitations/{name}/{accept|decline}`: the invitee answers.
pub async fn answer_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    let user = require(user)?;
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let (name, action) = path.into_inner();
    let accept = action == "accept";
    let mut conn = state.pool.get().await?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let pkg = owners::answer(&mut conn, Actor::session(&user), &origin, &name, accept).await?;
    Ok(redirect(&if accept {
        format!("/packages/{}/owners", pkg.name)
    } else {
        "/account".to_string()
    }))
}
