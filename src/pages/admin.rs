//! `/admin`: the administrators' view of users, packages and the audit log.
//!
//! Everyone who is not a signed-in administrator gets the same 404 as any
//! unknown address: the area does not announce itself to the curious, and a
//! signed-out administrator signs in at `/login` first (GitHub and GitLab
//! answer private areas the same way). Actions are htmx posts with the CSRF
//! token that answer with the changed row; without JavaScript they are plain
//! forms answered with a redirect. Each action is the function the
//! `sema-pkg admin`/`package` commands call, so the audit entries are the same.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::redirect;
use super::{confirm_page, html, is_htmx, page, page_or_fragment, view, Confirm, Layout, Meta};
use crate::audit::{self, Origin};
use crate::auth::{csrf, MaybeUser};
use crate::db::models::User;
use crate::error::{AppError, AppResult};
use crate::registry::admin_listing::{self as listing, PackageRow};
use crate::registry::packages::{self, VersionInfo};
use crate::state::AppState;
use crate::usecase::{self, accounts, packages as package_ops, Actor};

/// Rows per page in every section.
pub const PER_PAGE: i64 = 50;
/// Deeper pages than this are refused: nobody reads them, and OFFSET costs grow.
const PAGE_MAX: i64 = 1000;

/// The signed-in administrator; anyone else gets a plain 404.
fn require_admin(user: MaybeUser) -> AppResult<User> {
    match user.0 {
        Some(u) if u.is_admin => Ok(u),
        _ => Err(AppError::not_found("there is nothing at this address")),
    }
}

/// `?page=` as typed: empty is the first page; anything else must be 1..=PAGE_MAX.
fn page_number(raw: Option<&str>) -> AppResult<i64> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| {
                AppError::bad_request(format!("page must be a number from 1 to {PAGE_MAX}"))
            }),
    }
}

/// Filters are short words; longer input is cut rather than refused.
fn clip(s: Option<&str>) -> String {
    s.unwrap_or_default().trim().chars().take(100).collect()
}

/// Previous/next links that keep a section's filters.
pub struct Paging {
    pub page: i64,
    pub pages: i64,
    pub total: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Paging {
    fn new(page: i64, total: i64, link: impl Fn(i64) -> String) -> Paging {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        Paging {
            page,
            pages,
            total: view::count(total),
            prev: (page > 1).then(|| link((page - 1).min(pages))),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

fn query_string(base: &str, pairs: &[(&str, &str)], page: i64) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", view::query(v)))
        .collect();
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

// ---- sections ----

pub struct UserRow {
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub banned: bool,
    pub joined: String,
    /// The administrator looking at the list: no ban or demote buttons on their own row.
    pub me: bool,
}

impl UserRow {
    fn new(u: &User, me: &User) -> UserRow {
        UserRow {
            username: u.username.clone(),
            email: u.email.clone(),
            is_admin: u.is_admin,
            banned: u.banned_at.is_some(),
            joined: view::date(&u.created_at),
            me: u.id == me.id,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct Users {
    q: String,
    rows: Vec<UserRow>,
    paging: Paging,
    csrf: String,
}

#[derive(Template)]
#[template(path = "admin/user_row.html")]
struct UserRowFragment {
    u: UserRow,
    csrf: String,
}

pub struct PackageLine {
    pub name: String,
    pub versions: i64,
    pub owners: String,
    pub created: String,
    pub removed: Option<String>,
}

impl From<PackageRow> for PackageLine {
    fn from(p: PackageRow) -> Self {
        PackageLine {
            name: p.name,
            versions: p.versions,
            owners: p.owners,
            created: view::date(&p.created_at),
            removed: p.removed_at.as_ref().map(view::date),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/packages.html")]
struct Packages {
    q: String,
    rows: Vec<PackageLine>,
    paging: Paging,
    csrf: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct Audit {
    actor: String,
    package: String,
    action: String,
    rows: Vec<view::EventRow>,
    paging: Paging,
}

/// A section alone on its page (no JavaScript, or a bookmarked filter).
#[derive(Template)]
#[template(path = "admin/section.html")]
struct Section {
    content: String,
}

#[derive(Template)]
#[template(path = "admin/page.html")]
struct Overview {
    users: Users,
    packages: Packages,
    audit: Audit,
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub package: Option<String>,
    pub action: Option<String>,
    pub page: Option<String>,
}

async fn users_section(
    conn: &mut diesel_async::AsyncPgConnection,
    me: &User,
    session: &Session,
    q: String,
    page: i64,
) -> AppResult<Users> {
    let found = listing::list_users(conn, &q, PER_PAGE, (page - 1) * PER_PAGE).await?;
    Ok(Users {
        paging: Paging::new(page, found.total, |p| {
            query_string("/admin/users", &[("q", q.as_str())], p)
        }),
        rows: found.rows.iter().map(|u| UserRow::new(u, me)).collect(),
        csrf: csrf::token(session),
        q,
    })
}

async fn packages_section(
    conn: &mut diesel_async::AsyncPgConnection,
    session: &Session,
    q: String,
    page: i64,
) -> AppResult<Packages> {
    let found = listing::list_packages(conn, &q, PER_PAGE, (page - 1) * PER_PAGE).await?;
    Ok(Packages {
        paging: Paging::new(page, found.total, |p| {
            query_string("/admin/packages", &[("q", q.as_str())], p)
        }),
        rows: found.rows.into_iter().map(PackageLine::from).collect(),
        csrf: csrf::token(session),
        q,
    })
}

async fn audit_section(
    conn: &mut diesel_async::AsyncPgConnection,
    filter: audit::Filter,
    page: i64,
) -> AppResult<Audit> {
    let (rows, total) = audit::search(conn, &filter, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let mut rows: Vec<view::EventRow> = rows.into_iter().map(view::EventRow::from).collect();
    super::capabilities::mark_releases(conn, &mut rows).await?;
    let pairs = [
        ("actor", filter.actor.as_str()),
        ("package", filter.package.as_str()),
        ("action", filter.action.as_str()),
    ];
    Ok(Audit {
        paging: Paging::new(page, total, |p| query_string("/admin/audit", &pairs, p)),
        rows,
        actor: filter.actor.clone(),
        package: filter.package.clone(),
        action: filter.action.clone(),
    })
}

fn meta(title: &str) -> Meta {
    Meta::new(title, "The registry's administration.")
}

/// A section: its own page, or (htmx) just the section the filter form targets.
fn section<T: Template>(
    req: &HttpRequest,
    session: &Session,
    me: &User,
    title: &str,
    content: &T,
) -> AppResult<HttpResponse> {
    let full = Section {
        content: content.render().map_err(AppError::internal)?,
    };
    let layout = Layout::new(session, Some(me));
    page_or_fragment(req, &layout, &meta(title), &full, content)
}

/// `GET /admin`: the first page of every section.
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let mut conn = state.pool.get().await?;
    let content = Overview {
        users: users_section(&mut conn, &me, &session, String::new(), 1).await?,
        packages: packages_section(&mut conn, &session, String::new(), 1).await?,
        audit: audit_section(&mut conn, Default::default(), 1).await?,
    };
    page(
        &req,
        &Layout::new(&session, Some(&me)),
        &meta("Administration"),
        &content,
    )
}

/// `GET /admin/users?q=&page=`
pub async fn users(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let page = page_number(q.page.as_deref())?;
    let mut conn = state.pool.get().await?;
    let content = users_section(&mut conn, &me, &session, clip(q.q.as_deref()), page).await?;
    section(&req, &session, &me, "Users · Administration", &content)
}

/// `GET /admin/packages?q=&page=`
pub async fn packages_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let page = page_number(q.page.as_deref())?;
    let mut conn = state.pool.get().await?;
    let content = packages_section(&mut conn, &session, clip(q.q.as_deref()), page).await?;
    section(&req, &session, &me, "Packages · Administration", &content)
}

/// `GET /admin/audit?actor=&package=&action=&page=`
pub async fn audit_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    q: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let page = page_number(q.page.as_deref())?;
    let filter = audit::Filter {
        actor: clip(q.actor.as_deref()),
        package: clip(q.package.as_deref()),
        action: clip(q.action.as_deref()),
    };
    let mut conn = state.pool.get().await?;
    let content = audit_section(&mut conn, filter, page).await?;
    section(&req, &session, &me, "Audit log · Administration", &content)
}

// ---- one package ----

pub struct VersionLine {
    pub version: String,
    pub yanked: bool,
    pub published: String,
    pub published_by: Option<String>,
}

impl From<&VersionInfo> for VersionLine {
    fn from(v: &VersionInfo) -> Self {
        VersionLine {
            version: v.version.clone(),
            yanked: v.yanked,
            published: view::date(&v.published_at),
            published_by: v.published_by.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/package.html")]
struct PackagePage {
    name: String,
    owners: String,
    versions: Vec<VersionLine>,
    csrf: String,
}

#[derive(Template)]
#[template(path = "admin/version_row.html")]
struct VersionRowFragment {
    name: String,
    v: VersionLine,
    csrf: String,
}

#[derive(Template)]
#[template(path = "admin/removed.html")]
struct Removed {
    name: String,
}

/// `GET /admin/packages/{name}`: its versions (yank, unyank) and removal.
pub async fn package(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let versions = packages::version_infos(&mut conn, &pkg).await?;
    let owners = packages::owners(&mut conn, pkg.id).await?;
    let layout = Layout::new(&session, Some(&me));
    let content = PackagePage {
        owners: owners
            .into_iter()
            .map(|u| u.username)
            .collect::<Vec<_>>()
            .join(", "),
        versions: versions.iter().map(VersionLine::from).collect(),
        csrf: layout.csrf.clone(),
        name: pkg.name.clone(),
    };
    page(
        &req,
        &layout,
        &meta(&format!("{} · Administration", pkg.name)),
        &content,
    )
}

// ---- actions ----

#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: Option<String>,
    /// "yes" once a plain form's confirmation page was answered.
    pub confirmed: Option<String>,
}

/// Without JavaScript a destructive action asks first, on a page of its own
/// (htmx asks in a dialog). None: go ahead.
fn ask_first(
    req: &HttpRequest,
    session: &Session,
    me: &User,
    form: &Option<web::Form<ActionForm>>,
    ask: Confirm,
) -> Option<AppResult<HttpResponse>> {
    let confirmed = form.as_ref().and_then(|f| f.confirmed.as_deref()) == Some("yes");
    if is_htmx(req) || confirmed {
        return None;
    }
    Some(confirm_page(req, session, me, ask))
}

fn confirm(title: String, question: &str, action: String, button: String, back: String) -> Confirm {
    Confirm {
        title,
        question: question.into(),
        action,
        button,
        back,
        csrf: String::new(),
    }
}

/// The administrator, with the form's (or htmx header's) CSRF token checked.
/// Non-administrators get the 404 before the token is looked at.
fn acting_admin(
    req: &HttpRequest,
    session: &Session,
    user: MaybeUser,
    form: &Option<web::Form<ActionForm>>,
) -> AppResult<User> {
    let me = require_admin(user)?;
    csrf::verify(
        req,
        session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    Ok(me)
}

/// `POST /admin/users/{username}/{ban|unban|promote|demote}`
pub async fn user_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let me = acting_admin(&req, &session, user, &form)?;
    let (username, action) = path.into_inner();
    // An administrator cannot lock themselves out; another one can.
    if username.eq_ignore_ascii_case(&me.username) && matches!(action.as_str(), "ban" | "demote") {
        return Err(AppError::bad_request(format!(
            "you cannot {action} yourself; ask another administrator"
        )));
    }
    let mut conn = state.pool.get().await?;
    if matches!(action.as_str(), "ban" | "demote") {
        // Unknown users get the 404, not a question.
        let target = packages::find_user(&mut conn, &username).await?.username;
        let (verb, question) = match action.as_str() {
            "ban" => (
                "Ban",
                "Their sessions end and their tokens stop working at once.",
            ),
            _ => ("Demote", "They lose administrator rights at once."),
        };
        let ask = confirm(
            format!("{verb} {target}?"),
            question,
            format!("/admin/users/{target}/{action}"),
            format!("{verb} {target}"),
            query_string("/admin/users", &[("q", target.as_str())], 1),
        );
        if let Some(page) = ask_first(&req, &session, &me, &form, ask) {
            return page;
        }
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let actor = Actor::Admin(&me);
    let changed = match action.as_str() {
        "ban" => accounts::ban(&mut conn, actor, &origin, &username).await?.0,
        "unban" => accounts::unban(&mut conn, actor, &origin, &username).await?,
        "promote" => accounts::set_admin(&mut conn, actor, &origin, &username, true).await?,
        "demote" => accounts::set_admin(&mut conn, actor, &origin, &username, false).await?,
        // The route only matches the four words above.
        other => return Err(AppError::not_found(format!("no such action {other:?}"))),
    };
    if !is_htmx(&req) {
        return Ok(redirect(&query_string(
            "/admin/users",
            &[("q", changed.username.as_str())],
            1,
        )));
    }
    html(&UserRowFragment {
        u: UserRow::new(&changed, &me),
        csrf: csrf::token(&session),
    })
}

/// `POST /admin/packages/{name}/{version}/{yank|unyank}`
pub async fn version_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let me = acting_admin(&req, &session, user, &form)?;
    let (name, version, action) = path.into_inner();
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    let yanked = action == "yank";
    if yanked {
        // Unknown packages and versions get the 404, not a question.
        let pkg = packages::find(&mut conn, &name).await?;
        let versions = packages::version_infos(&mut conn, &pkg).await?;
        if !versions.iter().any(|v| v.version == version) {
            return Err(AppError::not_found(format!(
                "version {version} of {} not found",
                pkg.name
            )));
        }
        let ask = confirm(
            format!("Yank {} {version}?", pkg.name),
            "New installs will skip it; existing lockfiles keep working.",
            format!("/admin/packages/{}/{version}/yank", pkg.name),
            format!("Yank {version}"),
            format!("/admin/packages/{}", pkg.name),
        );
        if let Some(page) = ask_first(&req, &session, &me, &form, ask) {
            return page;
        }
    }
    let pkg = usecase::versions::set_yanked(
        &mut conn,
        Actor::Admin(&me),
        &origin,
        &name,
        &version,
        yanked,
    )
    .await?;
    if !is_htmx(&req) {
        return Ok(redirect(&format!("/admin/packages/{}", pkg.name)));
    }
    let versions = packages::version_infos(&mut conn, &pkg).await?;
    let v = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| AppError::not_found("no such version"))?;
    html(&VersionRowFragment {
        v: VersionLine::from(v),
        name: pkg.name,
        csrf: csrf::token(&session),
    })
}

/// `POST /admin/packages/{name}/remove`: versions and owners go, the name stays taken.
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    name: web::Path<String>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let me = acting_admin(&req, &session, user, &form)?;
    let mut conn = state.pool.get().await?;
    let found = packages::find(&mut conn, &name).await?;
    let ask = confirm(
        format!("Remove {}?", found.name),
        "Its versions and owners are deleted and it can no longer be installed; \
         the name stays reserved so nobody else can take it.",
        format!("/admin/packages/{}/remove", found.name),
        format!("Remove {}", found.name),
        format!("/admin/packages/{}", found.name),
    );
    if let Some(page) = ask_first(&req, &session, &me, &form, ask) {
        return page;
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let pkg = package_ops::remove_package(&mut conn, Actor::Admin(&me), &origin, &name).await?;
    if !is_htmx(&req) {
        return Ok(redirect(&query_string(
            "/admin/packages",
            &[("q", pkg.name.as_str())],
            1,
        )));
    }
    html(&Removed { name: pkg.name })
}

#[derive(Deserialize)]
pub struct ClaimForm {
    pub name: String,
    pub csrf_token: Option<String>,
}

/// `POST /admin/claims`: claims a name for local packages, as `sema-pkg
/// package claim` does; answered with the audit log's claims.
pub async fn claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    form: Option<web::Form<ClaimForm>>,
) -> AppResult<HttpResponse> {
    let me = require_admin(user)?;
    let form = form.ok_or_else(|| AppError::bad_request("send the name to claim"))?;
    csrf::verify(&req, &session, form.csrf_token.as_deref())?;
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let mut conn = state.pool.get().await?;
    package_ops::claim_name(&mut conn, Actor::Admin(&me), &origin, form.name.trim()).await?;
    Ok(redirect(&query_string(
        "/admin/audit",
        &[("action", "admin.claim")],
        1,
    )))
}
