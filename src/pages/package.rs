//! `/packages/{name}[/{version}][/{tab}]`: a package's page with tabs (README,
//! Versions, Dependencies, Dependents, Owners, Stats, and Activity for its
//! owners and administrators). Each tab has its own URL;
//! htmx loads just the tabs region (`package/tabs.html`) and pushes the URL.
//! Owner actions (yank/unyank, add/remove owner) answer htmx with the changed
//! row or panel and plain forms with a redirect back to the tab.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::login::redirect;
use super::view;
use super::{confirm_page, html, is_htmx, page_or_fragment, Confirm, Layout, Meta};
use crate::audit::{self, Origin};
use crate::auth::{csrf, MaybeUser};
use crate::cache::Rendered;
use crate::db::models::{Package, User};
use crate::domain::readme;
use crate::error::{AppError, AppResult};
use crate::registry::invitations::Invited;
use crate::registry::listing;
use crate::registry::packages::{self, PackageDetail, VersionInfo};
use crate::state::AppState;
use crate::usecase::{self, Actor};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tab {
    Readme,
    Versions,
    Dependencies,
    Dependents,
    Owners,
    Stats,
    /// What the version's code may use, against the previous version.
    Capabilities,
    /// The package's audit trail: owners and administrators only.
    Activity,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Readme,
        Tab::Versions,
        Tab::Dependencies,
        Tab::Dependents,
        Tab::Owners,
        Tab::Stats,
        Tab::Capabilities,
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
            Tab::Capabilities => "capabilities",
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
            Tab::Capabilities => "Capabilities",
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
    pub slug: &'static str,
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
    /// (day, downloads), newest first, for the table under the chart.
    pub days: Vec<(String, String)>,
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
        toc: Vec<super::readme::TocEntry>,
    },
    Versions(Vec<VersionRow>),
    Dependencies {
        version: String,
        deps: Vec<Dep>,
    },
    Dependents(Vec<Dependent>),
    Owners {
        owners: Vec<String>,
        /// A message from the last change made without JavaScript, and
        /// the name the form sends again after an error.
        message: String,
        message_ok: bool,
        username: String,
    },
    Stats {
        chart: Chart,
        totals: Vec<VersionTotal>,
    },
    Capabilities(Box<super::capabilities::CapPanel>),
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
    /// The upstream registry this package is a copy of.
    mirrored_from: Option<String>,
    tabs: &'a Tabs,
    /// `sema pkg add name`, pinned (`name@1.2.0`) on a version's own page.
    install: String,
    /// The `[deps]` line of sema.toml for the shown version.
    toml_line: String,
    /// Downloads of the shown version, on a version's own page.
    version_downloads: Option<String>,
    picker: Vec<PickerItem>,
    download: String,
    /// (path, size) of each file in the tarball; None when it is not listed.
    files: Option<Vec<(String, String)>>,
    capabilities: super::capabilities::CapRow,
    /// The deprecation banner, and the owners' forms.
    deprecation: Option<super::deprecation::Panel>,
}

/// One entry of the version selector.
pub struct PickerItem {
    pub version: String,
    pub href: String,
    pub current: bool,
    pub yanked: bool,
}

/// How many versions the selector lists before "All N versions".
const PICKER_MAX: usize = 30;

/// `name = "1.2.0"`, with the key quoted when TOML needs it (`"ns/name"`).
fn toml_line(name: &str, version: &str) -> String {
    let bare = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        format!("{name} = \"{version}\"")
    } else {
        format!("\"{name}\" = \"{version}\"")
    }
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
    state.resolve(&path.name).await?;
    let mut conn = crate::reads::Reads::of(req).conn().await?;
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
    let shown = shown_version(&detail, &pkg, path.version.as_deref())?;
    let base = match &path.version {
        Some(v) => format!("/packages/{}/{v}", pkg.name),
        None => format!("/packages/{}", pkg.name),
    };
    let mut panel = panel(&mut conn, &pkg, &detail, &shown, tab).await?;
    hide_origins_from_non_admins(&mut panel, user);
    show_owners_flash(&mut panel, session);
    // The Dependents tab already holds the list its count needs.
    let dependents = match &panel {
        Panel::Dependents(d) => d.len(),
        _ => packages::dependents(&mut conn, &pkg).await?.len(),
    };
    let layout = Layout::new(session, user.0.as_ref());
    let tabs = Tabs {
        name: pkg.name.clone(),
        owner,
        csrf: layout.csrf.clone(),
        tabs: tab_links(&base, tab, private, |t| match t {
            Tab::Versions => Some(detail.versions.len()),
            Tab::Dependencies => Some(shown.dependencies.len()),
            Tab::Dependents => Some(dependents),
            Tab::Owners => Some(detail.owners.len()),
            _ => None,
        }),
        panel,
    };
    let files = files(state, &shown).await;
    let caps = super::capabilities::row(&mut conn, pkg.id, &shown.version).await?;
    let mut page = page_of(&detail, &shown, path.version.as_deref(), tab, &tabs, files);
    page.capabilities = caps;
    let deprecated = detail.package.deprecated.as_ref();
    let dep = super::deprecation::panel(session, &pkg.name, deprecated, owner, &layout.csrf);
    page.deprecation = Some(dep);
    let meta = meta_of(
        &pkg.name,
        &shown,
        &page.description,
        tab,
        path.version.as_deref(),
    );
    Ok((pkg.id, page_or_fragment(req, &layout, &meta, &page, &tabs)?))
}

/// The message a no-JS owner change left for the Owners tab, shown once.
fn show_owners_flash(panel: &mut Panel, session: &Session) {
    if let Panel::Owners {
        message,
        message_ok,
        username,
        ..
    } = panel
    {
        if let Some(f) = session
            .remove_as::<OwnersFlash>(OWNERS_FLASH)
            .and_then(Result::ok)
        {
            (*message, *message_ok, *username) = (f.message, f.ok, f.username);
        }
    }
}

/// The version the URL names, or the latest (the newest when all are yanked).
fn shown_version(
    detail: &PackageDetail,
    pkg: &Package,
    version: Option<&str>,
) -> AppResult<VersionInfo> {
    let latest = detail.package.latest_version.as_deref();
    let found = match version {
        Some(v) => detail
            .versions
            .iter()
            .find(|x| x.version == v)
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "{}@{} not found",
                    pkg.name,
                    v.chars().take(80).collect::<String>()
                ))
            })?,
        None => latest
            .and_then(|l| detail.versions.iter().find(|x| x.version == l))
            .or(detail.versions.first())
            .ok_or_else(|| AppError::not_found("this package has no versions"))?,
    };
    Ok(found.clone())
}

fn tab_links(
    base: &str,
    current: Tab,
    private: bool,
    count: impl Fn(Tab) -> Option<usize>,
) -> Vec<TabLink> {
    Tab::ALL
        .into_iter()
        .filter(|t| t.visible(private))
        .map(|t| TabLink {
            label: t.label(),
            slug: t.slug(),
            href: if t == Tab::Readme {
                base.to_string()
            } else {
                format!("{base}/{}", t.slug())
            },
            current: t == current,
            count: count(t),
        })
        .collect()
}

fn meta_of(
    name: &str,
    shown: &VersionInfo,
    description: &str,
    tab: Tab,
    version: Option<&str>,
) -> Meta {
    let title = match (tab, version) {
        (Tab::Readme, None) => name.to_string(),
        (Tab::Readme, Some(v)) => format!("{name} {v}"),
        (t, None) => format!("{name} · {}", t.label()),
        (t, Some(v)) => format!("{name} {v} · {}", t.label()),
    };
    let mut meta = Meta::new(
        title,
        if description.is_empty() {
            format!("{name} {}: a Sema package.", shown.version)
        } else {
            format!("{name} {}: {description}", shown.version)
        },
    );
    meta.feed = Some(format!("/packages/{name}/feed"));
    meta
}

fn page_of<'a>(
    detail: &PackageDetail,
    shown: &VersionInfo,
    version: Option<&str>,
    tab: Tab,
    tabs: &'a Tabs,
    files: Option<Vec<(String, String)>>,
) -> Page<'a> {
    let name = &detail.package.name;
    let latest = detail.package.latest_version.clone();
    let description = if shown.description.is_empty() {
        detail.package.description.clone()
    } else {
        shown.description.clone()
    };
    // The selector keeps the tab: from Stats of 1.0.0 to Stats of 1.1.0.
    let suffix = match tab {
        Tab::Readme => String::new(),
        t => format!("/{}", t.slug()),
    };
    Page {
        is_latest: version.is_none() || latest.as_deref() == Some(shown.version.as_str()),
        latest,
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
        install: match version {
            Some(v) => format!("sema pkg add {name}@{v}"),
            None => format!("sema pkg add {name}"),
        },
        toml_line: toml_line(name, &shown.version),
        version_downloads: version.map(|_| view::count(shown.downloads)),
        picker: detail
            .versions
            .iter()
            .take(PICKER_MAX)
            .map(|v| PickerItem {
                href: format!("/packages/{name}/{}{suffix}", v.version),
                current: v.version == shown.version,
                yanked: v.yanked,
                version: v.version.clone(),
            })
            .collect(),
        download: format!("/api/v1/packages/{name}/{}/download", shown.version),
        files,
        capabilities: Default::default(),
        deprecation: None,
        version: shown.version.clone(),
        name: name.clone(),
        mirrored_from: detail.package.mirrored_from.clone(),
        tabs,
    }
}

/// Tarballs up to this size are listed on the page (larger ones only cost time).
const FILES_MAX_BYTES: i64 = 4 * 1024 * 1024;
const FILES_MAX: usize = 200;

/// The files of a version's tarball, or None when it is too large or unreadable
/// (the page is still useful without the list).
async fn files(state: &AppState, v: &VersionInfo) -> Option<Vec<(String, String)>> {
    if v.size_bytes > FILES_MAX_BYTES {
        return None;
    }
    let bytes = match state.caches.tarballs.get(&v.checksum) {
        Some(b) => b,
        None => state.storage.read(&v.checksum).await.ok()?,
    };
    tokio::task::spawn_blocking(move || list_files(&bytes))
        .await
        .ok()?
}

fn list_files(gz: &[u8]) -> Option<Vec<(String, String)>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut out = Vec::new();
    for entry in archive.entries().ok()? {
        let entry = entry.ok()?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().ok()?.to_string_lossy().into_owned();
        out.push((path, view::size(entry.size() as i64)));
        if out.len() >= FILES_MAX {
            break;
        }
    }
    out.sort();
    Some(out)
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
            let (html, toc) = match text.as_deref().map(readme::render) {
                Some(h) => {
                    let (h, toc) = super::readme::present(&h);
                    (Some(h), toc)
                }
                None => (None, vec![]),
            };
            Panel::Readme { html, version, toc }
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
        Tab::Owners => Panel::Owners {
            owners: detail.owners.clone(),
            message: String::new(),
            message_ok: true,
            username: String::new(),
        },
        Tab::Stats => Panel::Stats {
            chart: chart(&listing::daily_downloads(conn, pkg.id, 90).await?),
            totals: version_totals(&detail.versions),
        },
        Tab::Capabilities => Panel::Capabilities(Box::new(
            super::capabilities::panel(conn, pkg.id, &shown.version).await?,
        )),
        Tab::Activity => {
            let mut rows: Vec<view::EventRow> =
                audit::for_package(conn, pkg.id, audit::PACKAGE_ACTIVITY_LIMIT)
                    .await?
                    .into_iter()
                    .map(view::EventRow::from)
                    .collect();
            super::capabilities::mark_releases(conn, &mut rows).await?;
            Panel::Activity(rows)
        }
    })
}

/// Addresses and user agents in the Activity tab are for administrators only.
fn hide_origins_from_non_admins(panel: &mut Panel, user: &MaybeUser) {
    if let (Panel::Activity(rows), false) = (panel, user.0.as_ref().is_some_and(|u| u.is_admin)) {
        for r in rows {
            r.ip = None;
            r.user_agent = None;
        }
    }
}

/// Each version's downloads, with a bar up to 200 units wide.
fn version_totals(versions: &[VersionInfo]) -> Vec<VersionTotal> {
    let max = versions.iter().map(|v| v.downloads).max().unwrap_or(0);
    versions
        .iter()
        .map(|v| VersionTotal {
            version: v.version.clone(),
            downloads: view::count(v.downloads),
            width: if max > 0 {
                (v.downloads * 200 / max).max(if v.downloads > 0 { 1 } else { 0 })
            } else {
                0
            },
        })
        .collect()
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
        days: days
            .iter()
            .rev()
            .map(|(d, n)| (d.to_string(), view::count(*n)))
            .collect(),
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
    /// Set by the confirmation page a destructive action shows without JavaScript.
    pub confirmed: Option<String>,
}

/// A plain form (no htmx, whose dialog already asked) that has not been confirmed yet.
fn needs_confirmation(req: &HttpRequest, form: &Option<web::Form<ActionForm>>) -> bool {
    !is_htmx(req) && form.as_ref().and_then(|f| f.confirmed.as_deref()) != Some("yes")
}

/// The outcome of an owner change made without JavaScript, shown once on the
/// Owners tab after the redirect (with the name again after an error).
#[derive(Serialize, Deserialize)]
struct OwnersFlash {
    ok: bool,
    message: String,
    username: String,
}

const OWNERS_FLASH: &str = "owners_flash";

/// The signed-in user, with the CSRF token checked.
fn signed_in(
    req: &HttpRequest,
    session: &Session,
    user: MaybeUser,
    form: &Option<web::Form<ActionForm>>,
) -> AppResult<User> {
    let user = user
        .0
        .ok_or_else(|| AppError::unauthorized("sign in to manage this package"))?;
    csrf::verify(
        req,
        session,
        form.as_ref().and_then(|f| f.csrf_token.as_deref()),
    )?;
    Ok(user)
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
    let me = signed_in(&req, &session, user, &form)?;
    // Unyanking takes nothing away, so only yanking asks first.
    if yanked && needs_confirmation(&req, &form) {
        let pkg = usecase::owners::owned_package(&mut conn, Actor::session(&me), &name).await?;
        let versions = packages::version_infos(&mut conn, &pkg).await?;
        if !versions.iter().any(|v| v.version == version) {
            return Err(AppError::not_found("no such version"));
        }
        return confirm_page(
            &req,
            &session,
            &me,
            Confirm {
                title: format!("Yank {} {version}?", pkg.name),
                question: "New installs will skip it; existing lockfiles keep working. You can unyank it later.".into(),
                action: format!("/packages/{}/{version}/yank", pkg.name),
                button: format!("Yank {version}"),
                back: format!("/packages/{}/versions", pkg.name),
                csrf: String::new(),
            },
        );
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let actor = Actor::session(&me);
    let pkg =
        usecase::versions::set_yanked(&mut conn, actor, &origin, &name, &version, yanked).await?;
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
    message_ok: bool,
    username: String,
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
    let me = signed_in(&req, &session, user, &form)?;
    let actor = Actor::session(&me);
    let pkg = usecase::owners::owned_package(&mut conn, actor, &path).await?;
    let typed = form
        .as_ref()
        .and_then(|f| f.username.as_deref())
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let invited = match typed.is_empty() {
        true => Err(AppError::bad_request("enter the username of the new owner")),
        false => {
            let origin = Origin::of(&req, &state.config.trusted_proxies);
            usecase::owners::add(&mut conn, actor, &origin, &path, &typed)
                .await
                .map(|(_, invited)| invited)
        }
    };
    let invited = match invited {
        Ok(i) => i,
        // Without JavaScript a refusal is shown on the Owners tab, the name kept
        // in the form, rather than as an error page that loses both.
        Err(e) if !is_htmx(&req) && actix_web::ResponseError::status_code(&e).is_client_error() => {
            let flash = OwnersFlash {
                ok: false,
                message: e.public_message(),
                username: typed,
            };
            return owners_redirect(&session, &pkg, flash);
        }
        Err(e) => return Err(e),
    };
    let message = match invited {
        Invited::AlreadyOwner(u) => format!("{} is already an owner.", u.username),
        Invited::Pending(u, _) => format!(
            "{} is invited: they become an owner once they accept on their account page (within 30 days).",
            u.username
        ),
    };
    owners_response(&req, &session, &mut conn, pkg, true, message).await
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
    let me = signed_in(&req, &session, user, &form)?;
    let actor = Actor::session(&me);
    if needs_confirmation(&req, &form) {
        let pkg = usecase::owners::owned_package(&mut conn, actor, &name).await?;
        return confirm_page(
            &req,
            &session,
            &me,
            Confirm {
                title: format!("Remove {username} as an owner of {}?", pkg.name),
                question: format!(
                    "{username} will no longer be able to publish, yank or change owners of {}.",
                    pkg.name
                ),
                action: format!("/packages/{}/owners/{username}/remove", pkg.name),
                button: format!("Remove {username}"),
                back: format!("/packages/{}/owners", pkg.name),
                csrf: String::new(),
            },
        );
    }
    let origin = Origin::of(&req, &state.config.trusted_proxies);
    let pkg = usecase::owners::remove(&mut conn, actor, &origin, &name, &username).await?;
    // Removing yourself ends your owner actions on this page.
    let still_owner = packages::is_owner(&mut conn, pkg.id, me.id).await?;
    let message = format!("{username} is no longer an owner.");
    owners_response(&req, &session, &mut conn, pkg, still_owner, message).await
}

fn owners_redirect(
    session: &Session,
    pkg: &Package,
    flash: OwnersFlash,
) -> AppResult<HttpResponse> {
    session
        .insert(OWNERS_FLASH, flash)
        .map_err(AppError::internal)?;
    Ok(redirect(&format!("/packages/{}/owners", pkg.name)))
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
        let flash = OwnersFlash {
            ok: true,
            message,
            username: String::new(),
        };
        return owners_redirect(session, &pkg, flash);
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
        message_ok: true,
        username: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sema_toml_lines_quote_only_names_toml_cannot_leave_bare() {
        assert_eq!(toml_line("json", "1.2.0"), "json = \"1.2.0\"");
        assert_eq!(toml_line("my_lib-2", "0.1.0"), "my_lib-2 = \"0.1.0\"");
        assert_eq!(toml_line("sema/http", "1.0.0"), "\"sema/http\" = \"1.0.0\"");
    }
}
