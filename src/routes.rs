//! The one routing table: API, web pages, static files.
//!
//! Package names may hold one `/` (`ns/name`), so name segments use a regex
//! and versions must look like semver (`1.2.3…`); names never contain a dot,
//! so the two cannot be confused. Specific children are listed before `{name}`.

use std::sync::LazyLock;

use actix_web::{
    dev::{ResourceDef, Service, Url},
    guard::{self, GuardContext},
    http::Method,
    middleware::{DefaultHeaders, ErrorHandlers},
    web, Route,
};

use crate::{api, health, pages};

const NAME: &str = "{name:[^/]+(?:/[^/]+)?}";
const VERSION: &str = "{version:[0-9]+\\.[0-9]+\\.[0-9]+[^/]*}";
/// The package page's tabs; these words are reserved as a name's last part.
const TAB: &str =
    "{tab:readme|versions|dependencies|dependents|owners|stats|capabilities|activity}";

fn pkg(rest: &str) -> String {
    format!("/packages/{NAME}{rest}")
}

fn ver(rest: &str) -> String {
    format!("/packages/{NAME}/{VERSION}{rest}")
}

/// A version's child in the API (`…/download`): the last word tells it from
/// a package path, so any version reaches the handler (and gets its 404).
fn ver_child(rest: &str) -> String {
    format!("/packages/{NAME}/{{version:[^/]+}}{rest}")
}

/// One route of the JSON API: `configure` registers exactly these under
/// `/api/v1`, and the OpenAPI test checks the document against them.
pub struct ApiRoute {
    pub method: Method,
    /// The actix pattern below `/api/v1`.
    pub pattern: String,
    /// The path clients use, where the pattern cannot say it (publish takes
    /// the whole tail and splits it itself).
    documented_as: Option<&'static str>,
    handler: fn(Route) -> Route,
}

impl ApiRoute {
    /// The path as clients (and the OpenAPI document) write it:
    /// `/api/v1/packages/{name}/{version}/download`, without the regexes.
    pub fn client_path(&self) -> String {
        format!(
            "/api/v1{}",
            plain(self.documented_as.unwrap_or(&self.pattern))
        )
    }
}

/// A pattern as clients write it: `{name:[^/]+…}` becomes `{name}`.
fn plain(pattern: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut in_regex = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    in_regex = false;
                    out.push(c);
                }
            }
            ':' if depth == 1 => in_regex = true,
            _ if in_regex || depth > 1 => {}
            _ => out.push(c),
        }
    }
    out
}

fn api(method: Method, pattern: impl Into<String>, handler: fn(Route) -> Route) -> ApiRoute {
    ApiRoute {
        method,
        pattern: pattern.into(),
        documented_as: None,
        handler,
    }
}

/// The JSON API. Specific children come before `{name}` and `{name}/{version}`.
pub fn api_routes() -> Vec<ApiRoute> {
    use Method as M;
    // Webhooks' paths are specific: first is as good as anywhere before `{name}`.
    let mut routes = webhook_api_routes();
    routes.extend(vec![
        api(M::POST, "/auth/register", |r| r.to(api::auth::register)),
        api(M::POST, "/auth/login", |r| r.to(api::auth::login)),
        api(M::POST, "/auth/logout", |r| r.to(api::auth::logout)),
        api(M::GET, "/me", |r| r.to(api::me::show)),
        api(M::GET, "/me/invitations", |r| r.to(api::invitations::list)),
        api(M::POST, format!("/me/invitations/{NAME}/accept"), |r| {
            r.to(api::invitations::accept)
        }),
        api(M::POST, format!("/me/invitations/{NAME}/decline"), |r| {
            r.to(api::invitations::decline)
        }),
        api(M::POST, "/tokens", |r| r.to(api::tokens::create)),
        api(M::GET, "/tokens", |r| r.to(api::tokens::list)),
        api(M::DELETE, "/tokens/{id}", |r| r.to(api::tokens::revoke)),
        api(M::GET, "/search", |r| r.to(api::search::search)),
        api(M::GET, "/packages", |r| r.to(api::search::packages)),
        api(M::POST, "/analyze", |r| r.to(api::analysis::analyze)),
        api(M::GET, pkg("/owners"), |r| r.to(api::owners::list)),
        api(M::POST, pkg("/owners"), |r| r.to(api::owners::add)),
        api(M::DELETE, pkg("/owners/{username}"), |r| {
            r.to(api::owners::remove)
        }),
        api(M::GET, pkg("/activity"), |r| r.to(api::owners::activity)),
        api(M::GET, pkg("/versions"), |r| r.to(api::packages::versions)),
        api(M::GET, pkg("/dependents"), |r| {
            r.to(api::packages::dependents)
        }),
        api(M::GET, pkg("/readme"), |r| r.to(api::packages::readme)),
        api(M::POST, pkg("/deprecate"), |r| {
            r.to(api::deprecation::deprecate)
        }),
        api(M::DELETE, pkg("/deprecate"), |r| {
            r.to(api::deprecation::undeprecate)
        }),
        api(M::GET, ver_child("/download"), |r| {
            r.to(api::versions::download)
        }),
        api(M::HEAD, ver_child("/download"), |r| {
            r.to(api::versions::download)
        }),
        api(M::POST, ver_child("/yank"), |r| r.to(api::versions::yank)),
        api(M::POST, ver_child("/unyank"), |r| {
            r.to(api::versions::unyank)
        }),
        api(M::GET, ver_child("/analysis"), |r| {
            r.to(api::analysis::show)
        }),
        api(M::GET, ver(""), |r| r.to(api::versions::show)),
        // Before `{name}`, so `PUT /packages/demo/1.0` is a publish with a bad
        // version (a precise 400), not a wrong method on package `demo/1.0`.
        ApiRoute {
            documented_as: Some("/packages/{name}/{version}"),
            ..api(M::PUT, "/packages/{tail:[^/]+/.+}", |r| {
                r.guard(guard::fn_guard(publish_owns))
                    .to(api::packages::publish)
            })
        },
        api(M::GET, pkg(""), |r| {
            r.guard(guard::fn_guard(package_owns))
                .to(api::packages::show)
        }),
    ]);
    routes
}

/// A package's webhooks, for its owners.
fn webhook_api_routes() -> Vec<ApiRoute> {
    use Method as M;
    vec![
        api(M::POST, pkg("/webhooks"), |r| r.to(api::webhooks::create)),
        api(M::GET, pkg("/webhooks"), |r| r.to(api::webhooks::list)),
        api(M::DELETE, pkg("/webhooks/{id}"), |r| {
            r.to(api::webhooks::delete)
        }),
        api(M::POST, pkg("/webhooks/{id}/test"), |r| {
            r.to(api::webhooks::test)
        }),
        api(M::GET, pkg("/webhooks/{id}/deliveries"), |r| {
            r.to(api::webhooks::deliveries)
        }),
        api(
            M::POST,
            pkg("/webhooks/{id}/deliveries/{delivery}/redeliver"),
            |r| r.to(api::webhooks::redeliver),
        ),
    ]
}

/// One API route as the 405 logic sees it.
struct Served {
    def: ResourceDef,
    client_path: String,
    method: Method,
    /// Publish: its tail pattern also matches its siblings' paths
    /// (`…/1.0.0/yank`); it serves only those no sibling owns.
    yields: bool,
    /// `{name}`: its pattern also matches a child's path (`demo/deprecate`
    /// reads as a name); it serves no path a child route has, so a wrong
    /// method there is a 405, not a lookup of package `demo/deprecate`
    /// (whose last part is reserved).
    steps_aside: bool,
}

/// Each API route under `/api/v1`, in table order.
static API_PATHS: LazyLock<Vec<Served>> = LazyLock::new(|| {
    api_routes()
        .iter()
        .map(|r| Served {
            def: ResourceDef::new(format!("/api/v1{}", r.pattern)),
            client_path: r.client_path(),
            method: r.method.clone(),
            yields: r.documented_as.is_some(),
            steps_aside: r.pattern == pkg(""),
        })
        .collect()
});

/// Whether route `r` answers `path` (as actix decodes it: all but `%2F`,
/// `%25`, `%2B`). A yielding route answers only paths whose first matching
/// route in the table is documented at its own client path.
fn serves(r: &Served, path: &str) -> bool {
    r.def.is_match(path)
        && (!r.yields
            || API_PATHS
                .iter()
                .find(|first| first.def.is_match(path))
                .is_some_and(|first| first.client_path == r.client_path))
        && (!r.steps_aside
            || !API_PATHS
                .iter()
                .any(|o| !o.yields && !o.steps_aside && o.def.is_match(path)))
}

/// The methods `/api/v1/…` serves at `uri`'s path, for a 405's `Allow`; empty
/// A request no route took: 405 with `Allow` when the path is an API
/// resource called with another method, else 404. JSON like everything under `/api`.
pub async fn unrouted(
    req: actix_web::HttpRequest,
) -> crate::error::AppResult<actix_web::HttpResponse> {
    let allowed = allowed_methods(req.uri());
    if allowed.is_empty() {
        return Err(crate::error::AppError::not_found("no such API endpoint"));
    }
    let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    Err(crate::error::AppError::MethodNotAllowed {
        message: format!(
            "{} is not allowed here; this resource answers {}",
            req.method(),
            allow.join(", ")
        ),
        allow: allow.join(", "),
    })
}

/// when no API route has that path.
pub fn allowed_methods(uri: &actix_web::http::Uri) -> Vec<Method> {
    let url = Url::new(uri.clone());
    let mut methods: Vec<Method> = Vec::new();
    for r in API_PATHS.iter().filter(|r| serves(r, url.path())) {
        if !methods.contains(&r.method) {
            methods.push(r.method.clone());
        }
    }
    methods
}

/// Publish answers only paths that are no other resource's: `PUT …/yank` is
/// a wrong method on yank (405), not a publish of version `1.0.0/yank`.
fn publish_owns(ctx: &GuardContext<'_>) -> bool {
    let url = Url::new(ctx.head().uri.clone());
    API_PATHS
        .iter()
        .filter(|r| r.yields)
        .any(|r| serves(r, url.path()))
}

/// `GET /packages/{name}` answers only paths no child route owns (see `steps_aside`).
fn package_owns(ctx: &GuardContext<'_>) -> bool {
    let url = Url::new(ctx.head().uri.clone());
    API_PATHS
        .iter()
        .filter(|r| r.steps_aside)
        .any(|r| serves(r, url.path()))
}

pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &std::path::Path) {
    let mut site = web::scope("")
        .wrap_fn(crate::auth::throttle::limit_page_reads)
        .wrap(ErrorHandlers::new().default_handler(pages::render_error))
        // Outside the error handler, so error pages carry them too.
        .wrap(
            DefaultHeaders::new()
                .add(("Content-Security-Policy", pages::CSP))
                .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Vary", "HX-Request")),
        );
    for r in web_routes() {
        site = site.route(&r.pattern, (r.handler)(web::method(r.method)));
    }
    let mut v1 = web::scope("/api/v1")
        .app_data(api::json_config())
        .wrap_fn(|req, srv| {
            let call = crate::auth::csrf::require_json_for_cookie_writes(&req)
                .and_then(|()| crate::auth::throttle::check_read(&req))
                .map(|()| srv.call(req));
            async move { call?.await }
        })
        .wrap(ErrorHandlers::new().default_handler(crate::error::json_error_body));
    for r in api_routes() {
        v1 = v1.route(&r.pattern, (r.handler)(web::method(r.method)));
    }
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/api/openapi.json", web::get().to(api::openapi::document))
        .service(v1.default_service(web::to(unrouted)))
        .service({
            pages::assets::init(static_dir);
            web::resource("/static/{path:.+}")
                .route(web::get().to(pages::assets::serve))
                .route(web::head().to(pages::assets::serve))
        })
        .service(site.default_service(web::to(pages::not_found)));
}

/// One route of the web pages: `configure` registers exactly these, and the
/// private-mode test walks them.
pub struct WebRoute {
    pub method: Method,
    pub pattern: String,
    handler: fn(Route) -> Route,
}

impl WebRoute {
    /// The path without the regexes: `/packages/{name}/{version}`.
    pub fn client_path(&self) -> String {
        plain(&self.pattern)
    }
}

fn page(method: Method, pattern: impl Into<String>, handler: fn(Route) -> Route) -> WebRoute {
    WebRoute {
        method,
        pattern: pattern.into(),
        handler,
    }
}

/// The web pages. Version routes come first: `json/1.0.0` would also match NAME.
pub fn web_routes() -> Vec<WebRoute> {
    use Method as M;
    // Before `{name}`, whose pattern also matches `demo/webhooks`.
    let mut routes = webhook_pages();
    routes.extend(vec![
        page(M::GET, "/", |r| r.to(pages::home::show)),
        page(M::GET, "/search", |r| r.to(pages::search::show)),
        page(M::GET, "/users/{username}", |r| r.to(pages::user::show)),
        page(M::GET, "/feeds/releases.xml", |r| {
            r.to(pages::discovery::releases)
        }),
        page(M::GET, "/sitemap.xml", |r| r.to(pages::discovery::sitemap)),
        page(M::GET, "/sitemaps/{n}.xml", |r| {
            r.to(pages::discovery::sitemap_part)
        }),
        page(M::GET, "/robots.txt", |r| r.to(pages::discovery::robots)),
        page(M::GET, "/api", |r| r.to(pages::api_docs::show)),
        page(M::GET, ver(""), |r| r.to(pages::package::show)),
        page(M::GET, ver(&format!("/{TAB}")), |r| {
            r.to(pages::package::show)
        }),
        page(M::POST, ver("/yank"), |r| r.to(pages::package::yank)),
        page(M::POST, ver("/unyank"), |r| r.to(pages::package::unyank)),
        page(M::GET, pkg("/feed"), |r| r.to(pages::discovery::package)),
        page(M::POST, pkg("/deprecate"), |r| {
            r.to(pages::deprecation::deprecate)
        }),
        page(M::POST, pkg("/undeprecate"), |r| {
            r.to(pages::deprecation::undeprecate)
        }),
        page(M::POST, pkg("/owners"), |r| r.to(pages::package::add_owner)),
        page(M::POST, pkg("/owners/{username}/remove"), |r| {
            r.to(pages::package::remove_owner)
        }),
        page(M::GET, pkg(&format!("/{TAB}")), |r| {
            r.to(pages::package::show)
        }),
        page(M::GET, pkg(""), |r| r.to(pages::package::show)),
    ]);
    routes.extend(sign_in_routes());
    routes.extend(admin_routes());
    routes.extend(account_routes());
    routes
}

/// A package's webhooks, for its owners.
fn webhook_pages() -> Vec<WebRoute> {
    use Method as M;
    vec![
        page(M::GET, pkg("/webhooks"), |r| r.to(pages::webhooks::show)),
        page(M::POST, pkg("/webhooks"), |r| r.to(pages::webhooks::create)),
        page(M::POST, pkg("/webhooks/{id}/test"), |r| {
            r.to(pages::webhooks::test)
        }),
        page(M::POST, pkg("/webhooks/{id}/delete"), |r| {
            r.to(pages::webhooks::delete)
        }),
    ]
}

fn sign_in_routes() -> Vec<WebRoute> {
    use Method as M;
    vec![
        page(M::GET, "/login", |r| r.to(pages::login::page)),
        page(M::POST, "/login", |r| r.to(pages::login::sign_in)),
        page(M::POST, "/register", |r| r.to(pages::login::register)),
        page(M::POST, "/logout", |r| r.to(pages::login::sign_out)),
        page(M::GET, "/auth/github", |r| r.to(pages::github::start)),
        page(M::GET, "/auth/github/callback", |r| {
            r.to(pages::github::callback)
        }),
        page(M::GET, "/auth/github/username", |r| {
            r.to(pages::github::choose_page)
        }),
        page(M::POST, "/auth/github/username", |r| {
            r.to(pages::github::choose)
        }),
        page(M::POST, "/account/github/disconnect", |r| {
            r.to(pages::github::disconnect)
        }),
    ]
}

fn admin_routes() -> Vec<WebRoute> {
    use Method as M;
    vec![
        page(M::GET, "/admin", |r| r.to(pages::admin::overview)),
        page(M::GET, "/admin/users", |r| r.to(pages::admin::users)),
        page(
            M::POST,
            "/admin/users/{username}/{action:ban|unban|promote|demote}",
            |r| r.to(pages::admin::user_action),
        ),
        page(M::GET, "/admin/packages", |r| {
            r.to(pages::admin::packages_list)
        }),
        page(
            M::POST,
            format!("/admin{}", ver("/{action:yank|unyank}")),
            |r| r.to(pages::admin::version_action),
        ),
        page(M::POST, format!("/admin{}", pkg("/remove")), |r| {
            r.to(pages::admin::remove)
        }),
        page(M::GET, format!("/admin{}", pkg("")), |r| {
            r.to(pages::admin::package)
        }),
        page(M::POST, "/admin/claims", |r| r.to(pages::admin::claim)),
        page(M::GET, "/admin/audit", |r| r.to(pages::admin::audit_log)),
    ]
}

fn account_routes() -> Vec<WebRoute> {
    use Method as M;
    vec![
        page(M::GET, "/account", |r| r.to(pages::account::page)),
        page(M::POST, "/account/tokens", |r| r.to(pages::account::create)),
        page(
            M::POST,
            format!("/account/invitations/{NAME}/{{action:accept|decline}}"),
            |r| r.to(pages::account::answer_invitation),
        ),
        page(M::POST, "/account/tokens/{id}/revoke", |r| {
            r.to(pages::account::revoke)
        }),
    ]
}
