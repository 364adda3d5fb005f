//! `/packages/{name}[/{version}][/{tab}]`: a package's page with tabs (README,
//! Versions, Dependencies, Dependents, Owners, Stats, and Activity for its
//! owners and administrators). Each tab has its own URL;
//! htmx loads just the tabs region (`package/tabs.html`) and pushes the URL.
//! Owner actions (yank/unyank, add/remove owner) answer htmx with the changed
//! row or panel and plain forms with a redirect back to the tab.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::redirect;
use super::view;
use super::{html, is_htmx, page_or_fragment, Layout, Meta};
use crate::audit::{self, Entry, Origin};
use crate::auth::{csrf, MaybeUser};
use crate::cache::Rendered;
use crate::db::models::{Package, User};
use crate::error::{AppError, AppResult};
use crate::registry::packages::{self, PackageDetail, VersionInfo};
use crate::registry::{listing, readme};
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tab {
    Readme,
    Versions,
    Dependencies,
    Dependents,
    Owners,
    Stats,
    /// The package's audit trail: owners and administrators only.
    Activity,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Readme,
        Tab::Versions,
        Tab::Dependencies,
        Tab::Dependents,
        Tab::Owners,
        Tab::Stats,
        Tab::Activity,
    ];

    fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.slug() == s)
    }

    fn slug(self) -> &'static str {
        match self {
            Tab::Readme => "readme",
            Tab::Versions => "versions",
            Tab::Dependencies => "dependencies",
            Tab::Dependents => "dependents",
            Tab::Owners => "owners",
            Tab::Stats => "stats",
            Tab::Activity => "activity",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Readme => "README",
            Tab::Versions => "Versions",
            Tab::Dependencies => "Dependencies",
            Tab::Dependents => "Dependents",
            Tab::Owners => "Owners",
            Tab::Stats => "Stats",
            Tab::Activity => "Activity",
        }
    }

    /// Who may see the tab (and its link); everyone else gets a 404, as if it did not exist.
    fn visible(self, private: bool) -> bool {
        self != Tab::Activity || private
    }
}

pub struct TabLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
    pub count: Option<usize>,
}

/// A version as the Versions tab shows it.
pub struct VersionRow {
    pub version: String,
    pub yanked: bool,
    pub latest: bool,
    pub published: String,
    pub published_ago: String,
    pub published_by: Option<String>,
    pub size: String,
    pub checksum: String,
    pub checksum_short: String,
    pub downloads: String,
}

impl VersionRow {
    fn new(v: &VersionInfo, latest: Option<&str>) -> VersionRow {
        VersionRow {
            version: v.version.clone(),
            yanked: v.yanked,
            latest: latest == Some(v.version.as_str()),
            published: v.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            published_ago: view::ago(&v.published_at),
            published_by: v.published_by.clone(),
            size: view::size(v.size_bytes),
            checksum_short: v.checksum.chars().take(12).collect(),
            checksum: v.checksum.clone(),
            downloads: view::count(v.downloads),
        }
    }
}

pub struct Dep {
    pub name: String,
    pub req: String,
    pub registry: bool,
}

pub struct Dependent {
    pub name: String,
    pub versions: String,
}

pub struct Bar {
    pub x: usize,
    pub y: i64,
    pub h: i64,
    pub label: String,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    pub max: String,
    pub total: String,
    pub first: String,
    pub last: String,
    pub summary: String,
}

pub struct VersionTotal {
    pub version: String,
    pub downloads: String,
    pub width: i64,
}

pub enum Panel {
    Readme {
        html: Option<String>,
        version: String,
    },
    Versions(Vec<VersionRow>),
    Dependencies {
        version: String,
        deps: Vec<Dep>,
    },
    Dependents(Vec<Dependent>),
    Owners(Vec<String>),
    Stats {
        chart: Chart,
        totals: Vec<VersionTotal>,
    },
    Activity(Vec<view::EventRow>),
}

#[derive(Template)]
#[template(path = "package/tabs.html")]
struct Tabs {
    name: String,
    owner: bool,
    csrf: String,
    tabs: Vec<TabLink>,
    panel: Panel,
}

#[derive(Template)]
#[template(path = "package/page.html")]
struct Page<'a> {
    name: String,
    version: String,
    /// The shown version is the latest (or none is named in the URL).
    is_latest: bool,
    latest: Option<String>,
    yanked: bool,
    description: String,
    license: Option<String>,
    keywords: Vec<(String, String)>,
    repository: Option<(String, bool)>,
    homepage: Option<String>,
    downloads: String,
    published: String,
    published_ago: String,
    size: String,
    checksum: String,
    owners: Vec<String>,
    versions_count: usize,
    tabs: &'a Tabs,
}

/// Path: `{name}`, and optionally `{version}` and `{tab}`.
#[derive(Deserialize)]
pub struct PackagePath {
    pub name: String,
    pub version: Option<String>,
    pub tab: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<PackagePath>,
) -> AppResult<HttpResponse> {
    // Visitors without a session all see the same page (no name, no token).
    let key = (user.0.is_none() && csrf::existing(&session).is_none())
        .then(|| format!("{} {}", req.path(), is_htmx(&req)));
    let shelf = &state.caches.pages;
    if let Some(hit) = key.as_deref().and_then(|k| shelf.get(k)) {
        return Ok(cached_page(&hit));
    }
    let ticket = shelf.ticket();
    let (package_id, res) = render(&req, &state, &session, &user, path.into_inner()).await?;
    let Some(key) = key else { return Ok(res) };
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .map_err(AppError::internal)?;
    Ok(cached_page(&shelf.put(
        key,
        ticket,
        package_id,
        Rendered::new(body),
    )))
}

fn cached_page(r: &Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(r.body.clone())
}

/// The page (or its tabs, for htmx) and the package's id.
async fn render(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    user: &MaybeUser,
    path: PackagePath,
) -> AppResult<(i64, HttpResponse)> {
    let no_tab = || AppError::not_found("no such tab");
    let tab = match path.tab.as_deref() {
        None => Tab::Readme,
        Some(t) => Tab::parse(t).ok_or_else(no_tab)?,
    };
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &path.name).await?;
    let owner = match &user.0 {
        Some(u) => packages::is_owner(&mut conn, pkg.id, u.id).await?,
        None => false,
    };
    // Owners and administrators see the package's audit trail, as the API allows.
    let private = owner || user.0.as_ref().is_some_and(|u| u.is_admin);
    if !tab.visible(private) {
        return Err(no_tab());
    }
    let detail = packages::detail(&mut conn, &pkg.name).await?;
    let latest = detail.package.latest_version.clone();
    let shown = match &path.version {
        Some(v) => detail
            .versions
            .iter()
            .find(|x| &x.version == v)
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "{}@{} not found",
                    pkg.name,
                    v.chars().take(80).collect::<String>()
                ))
            })?,
        // All yanked: show the newest rather than nothing.
        None => latest
            .as_ref()
            .and_then(|l| detail.versions.iter().find(|x| &x.version == l))
            .or(detail.versions.first())
            .ok_or_else(|| AppError::not_found("this package has no versions"))?,
    }
    .clone();
    let base = match &path.version {
        Some(v) => format!("/packages/{}/{v}", pkg.name),
        None => format!("/packages/{}", pkg.name),
    };
    let panel = panel(&mut conn, &pkg, &detail, &shown, tab).await?;
    let layout = Layout::new(session, user.0.as_ref());
    let tabs = Tabs {
        name: pkg.name.clone(),
        owner,
        csrf: layout.csrf.clone(),
        tabs: Tab::ALL
            .into_iter()
            .filter(|t| t.visible(private))
            .map(|t| TabLink {
                label: t.label(),
                href: if t == Tab::Readme {
                    base.clone()
                } else {
                    format!("{base}/{}", t.slug())
                },
                current: t == tab,
                count: match t {
                    Tab::Versions => Some(detail.versions.len()),
                    Tab::Dependencies => Some(shown.dependencies.len()),
                    Tab::Owners => Some(detail.owners.len()),
                    _ => None,
                },
            })
            .collect(),
        panel,
    };
    let description = if shown.description.is_empty() {
        detail.package.description.clone()
    } else {
        shown.description.clone()
    };
    let title = match (tab, &path.version) {
        (Tab::Readme, None) => pkg.name.clone(),
        (Tab::Readme, Some(v)) => format!("{} {v}", pkg.name),
        (t, None) => format!("{} · {}", pkg.name, t.label()),
        (t, Some(v)) => format!("{} {v} · {}", pkg.name, t.label()),
    };
    let mut meta = Meta::new(
        title,
        if description.is_empty() {
            format!("{} {}: a Sema package.", pkg.name, shown.version)
        } else {
            format!("{} {}: {}", pkg.name, shown.version, description)
        },
    );
    meta.feed = Some(format!("/packages/{}/feed", pkg.name));
    let page = Page {
        is_latest: path.version.is_none() || latest.as_deref() == Some(shown.version.as_str()),
        latest: latest.clone(),
        yanked: shown.yanked,
        description,
        license: shown.license.clone().or(detail.package.license.clone()),
        keywords: detail
            .package
            .keywords
            .iter()
            .map(|k| (k.clone(), view::query(k)))
            .collect(),
        repository: detail
            .package
            .repository_url
            .as_deref()
            .map(|u| match view::safe_url(u) {
                Some(safe) => (safe, true),
                None => (u.to_string(), false),
            }),
        homepage: detail.package.homepage.as_deref().and_then(view::safe_url),
        downloads: view::count(detail.package.downloads),
        published: view::date(&shown.published_at),
        published_ago: view::ago(&shown.published_at),
        size: view::size(shown.size_bytes),
        checksum: shown.checksum.clone(),
        owners: detail.owners.clone(),
        versions_count: detail.versions.len(),
        version: shown.version.clone(),
        name: pkg.name.clone(),
        tabs: &tabs,
    };
    Ok((pkg.id, page_or_fragment(req, &layout, &meta, &page, &tabs)?))
}

async fn panel(
    conn: &mut diesel_async::AsyncPgConnection,
    pkg: &Package,
    detail: &PackageDetail,
    shown: &VersionInfo,
    tab: Tab,
) -> AppResult<Panel> {
    let latest = detail.package.latest_version.as_deref();
    Ok(match tab {
        Tab::Readme => {
            let (version, text) = packages::readme(conn, pkg, Some(&shown.version)).await?;
            Panel::Readme {
                html: text.as_deref().map(readme::render),
                version,
            }
        }
        Tab::Versions => Panel::Versions(
            detail
                .versions
                .iter()
                .map(|v| VersionRow::new(v, latest))
                .collect(),
        ),
        Tab::Dependencies => Panel::Dependencies {
            version: shown.version.clone(),
            deps: shown
                .dependencies
                .iter()
                .map(|d| Dep {
                    name: d.name.clone(),
                    req: d.req.clone(),
                    registry: d.kind == "registry",
                })
                .collect(),
        },
        Tab::Dependents => Panel::Dependents(
            packages::dependents(conn, pkg)
                .await?
                .into_iter()
                .map(|d| Dependent {
                    versions: d
                        .versions
                        .iter()
                        .map(|v| format!("{} (needs {})", v.version, v.req))
                        .collect::<Vec<_>>()
                        .join(", "),
                    name: d.name,
                })
                .collect(),
        ),
        Tab::Owners => Panel::Owners(detail.owners.clone()),
        Tab::Stats => {
            let days = listing::daily_downloads(conn, pkg.id, 90).await?;
            let max_v = detail
                .versions
                .iter()
                .map(|v| v.downloads)
                .max()
                .unwrap_or(0);
            Panel::Stats {
                chart: chart(&days),
                totals: detail
                    .versions
                    .iter()
                    .map(|v| VersionTotal {
                        version: v.version.clone(),
                        downloads: view::count(v.downloads),
                        width: if max_v > 0 {
                            (v.downloads * 200 / max_v).max(if v.downloads > 0 { 1 } else { 0 })
                        } else {
                            0
                        },
                    })
                    .collect(),
            }
        }
        Tab::Activity => Panel::Activity(
            audit::for_package(conn, pkg.id, audit::PACKAGE_ACTIVITY_LIMIT)
                .await?
                .into_iter()
                .map(view::EventRow::from)
                .collect(),
        ),
    })
}

/// Chart geometry: 90 bars of 8 units in a 720×160 drawing area.
pub const CHART_H: i64 = 160;

fn chart(days: &[(chrono::NaiveDate, i64)]) -> Chart {
    let max = days.iter().map(|d| d.1).max().unwrap_or(0);
    let total: i64 = days.iter().map(|d| d.1).sum();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = if max > 0 {
                (n * CHART_H / max).max(if *n > 0 { 1 } else { 0 })
            } else {
                0
            };
            Bar {
                x: i * 8,
                y: CHART_H - h,
                h,
                label: format!("{day}: {} downloads", view::count(*n)),
            }
        })
        .collect();
    Chart {
        bars,
        max: view::count(max),
        total: view::count(total),
        first: days.first().map(|d| d.0.to_string()).unwrap_or_default(),
        last: days.last().map(|d| d.0.to_string()).unwrap_or_default(),
        summary: format!(
            "{} downloads in the last {} days; the busiest day had {}.",
            view::count(total),
            days.len(),
            view::count(max)
        ),
    }
}

// ---- owner actions ----

#[derive(Deserialize)]
pub struct ActionForm {
    pub csrf_token: Option<String>,
    pub username: Option<String>,
}

/// The signed-in owner of the package, with the CSRF token checked.
async fn owner_of(
    req: &HttpRequest,
    session: &Session,
    user: MaybeUser,
    form: &Option<web::Form<ActionForm>>,
    conn: &mut diesel_async::AsyncPgConnection,
    name: &str,
) -> AppResult<(User, Package)> {
    let user = user
        .0
        .ok_or_else(|| AppError::unauthorized("sign in to manage this package"))?;
    csrf::verify(
        req,
        session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    let pkg = packages::find(conn, name).await?;
    packages::require_owner(conn, &pkg, &user).await?;
    Ok((user, pkg))
}

#[derive(Template)]
#[template(path = "package/version_row.html")]
struct VersionRowFragment {
    name: String,
    owner: bool,
    csrf: String,
    v: VersionRow,
}

pub async fn yank(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    set_yanked(req, state, session, user, path, form, true).await
}

pub async fn unyank(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    set_yanked(req, state, session, user, path, form, false).await
}

async fn set_yanked(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
    yanked: bool,
) -> AppResult<HttpResponse> {
    let (name, version) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let (me, pkg) = owner_of(&req, &session, user, &form, &mut conn, &name).await?;
    packages::set_yanked(&mut conn, &pkg, &version, yanked).await?;
    let action = if yanked {
        "version.yank"
    } else {
        "version.unyank"
    };
    let entry = Entry::new(action)
        .by_user(Some(me.id), &me.username)
        .package(pkg.id, &pkg.name)
        .version(&version);
    audit::record(
        &mut conn,
        &Origin::of(&req, &state.config.trusted_proxies),
        entry,
    )
    .await?;
    if !is_htmx(&req) {
        return Ok(redirect(&format!("/packages/{}/versions", pkg.name)));
    }
    let versions = packages::version_infos(&mut conn, &pkg).await?;
    let latest = packages::latest(&versions).map(|v| v.version.clone());
    let v = versions
        .iter()
        .find(|v| v.version == version)
        .ok_or_else(|| AppError::not_found("no such version"))?;
    html(&VersionRowFragment {
        v: VersionRow::new(v, latest.as_deref()),
        name: pkg.name,
        owner: true,
        csrf: csrf::token(&session),
    })
}

#[derive(Template)]
#[template(path = "package/owners_fragment.html")]
struct OwnersFragment {
    name: String,
    owner: bool,
    csrf: String,
    owners: Vec<String>,
    message: String,
}

pub async fn add_owner(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<String>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (me, pkg) = owner_of(&req, &session, user, &form, &mut conn, &path).await?;
    let username = form
        .as_ref()
        .and_then(|f| f.username.as_deref())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| AppError::bad_request("enter the username of the new owner"))?;
    let added = packages::add_owner(&mut conn, &pkg, username).await?;
    let entry = Entry::new("owner.add")
        .by_user(Some(me.id), &me.username)
        .package(pkg.id, &pkg.name)
        .subject(&added.username);
    audit::record(
        &mut conn,
        &Origin::of(&req, &state.config.trusted_proxies),
        entry,
    )
    .await?;
    owners_response(
        &req,
        &session,
        &mut conn,
        pkg,
        true,
        format!("{} is now an owner.", added.username),
    )
    .await
}

pub async fn remove_owner(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: Option<web::Form<ActionForm>>,
) -> AppResult<HttpResponse> {
    let (name, username) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let (me, pkg) = owner_of(&req, &session, user, &form, &mut conn, &name).await?;
    packages::remove_owner(&mut conn, &pkg, &username).await?;
    let entry = Entry::new("owner.remove")
        .by_user(Some(me.id), &me.username)
        .package(pkg.id, &pkg.name)
        .subject(&username);
    audit::record(
        &mut conn,
        &Origin::of(&req, &state.config.trusted_proxies),
        entry,
    )
    .await?;
    // Removing yourself ends your owner actions on this page.
    let still_owner = packages::is_owner(&mut conn, pkg.id, me.id).await?;
    owners_response(
        &req,
        &session,
        &mut conn,
        pkg,
        still_owner,
        format!("{username} is no longer an owner."),
    )
    .await
}

async fn owners_response(
    req: &HttpRequest,
    session: &Session,
    conn: &mut diesel_async::AsyncPgConnection,
    pkg: Package,
    owner: bool,
    message: String,
) -> AppResult<HttpResponse> {
    if !is_htmx(req) {
        return Ok(redirect(&format!("/packages/{}/owners", pkg.name)));
    }
    let owners = packages::owners(conn, pkg.id)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    html(&OwnersFragment {
        name: pkg.name,
        owner,
        csrf: csrf::token(session),
        owners,
        message,
    })
}
