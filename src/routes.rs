//! The one routing table: API, web pages, static files.
//!
//! Package names may hold one `/` (`ns/name`), so name segments use a regex
//! and versions must look like semver (`1.2.3…`); names never contain a dot,
//! so the two cannot be confused. Specific children are listed before `{name}`.

use actix_web::{
    dev::Service,
    http::Method,
    middleware::{DefaultHeaders, ErrorHandlers},
    web, Route,
};

use crate::{api, health, web as pages};

const NAME: &str = "{name:[^/]+(?:/[^/]+)?}";
const VERSION: &str = "{version:[0-9]+\\.[0-9]+\\.[0-9]+[^/]*}";
/// The package page's tabs; these words are reserved as a name's last part.
const TAB: &str = "{tab:readme|versions|dependencies|dependents|owners|stats|activity}";

fn pkg(rest: &str) -> String {
    format!("/packages/{NAME}{rest}")
}

fn ver(rest: &str) -> String {
    format!("/packages/{NAME}/{VERSION}{rest}")
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
        let pattern = self.documented_as.unwrap_or(&self.pattern);
        let mut out = String::from("/api/v1");
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
    vec![
        api(M::POST, "/auth/register", |r| r.to(api::auth::register)),
        api(M::POST, "/auth/login", |r| r.to(api::auth::login)),
        api(M::POST, "/auth/logout", |r| r.to(api::auth::logout)),
        api(M::GET, "/me", |r| r.to(api::me::show)),
        api(M::POST, "/tokens", |r| r.to(api::tokens::create)),
        api(M::GET, "/tokens", |r| r.to(api::tokens::list)),
        api(M::DELETE, "/tokens/{id}", |r| r.to(api::tokens::revoke)),
        api(M::GET, "/search", |r| r.to(api::search::search)),
        api(M::GET, "/packages", |r| r.to(api::search::packages)),
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
        api(M::GET, ver("/download"), |r| r.to(api::versions::download)),
        api(M::HEAD, ver("/download"), |r| r.to(api::versions::download)),
        api(M::POST, ver("/yank"), |r| r.to(api::versions::yank)),
        api(M::POST, ver("/unyank"), |r| r.to(api::versions::unyank)),
        api(M::GET, ver(""), |r| r.to(api::versions::show)),
        api(M::GET, pkg(""), |r| r.to(api::packages::show)),
        ApiRoute {
            documented_as: Some("/packages/{name}/{version}"),
            ..api(M::PUT, "/packages/{tail:.+}", |r| {
                r.to(api::packages::publish)
            })
        },
    ]
}

pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &std::path::Path) {
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
        .service(v1.default_service(web::to(api::not_found)))
        .service(actix_files::Files::new("/static", static_dir).prefer_utf8(true))
        .service(
            web::scope("")
                .wrap(ErrorHandlers::new().default_handler(pages::render_error))
                // Outside the error handler, so error pages carry them too.
                .wrap(
                    DefaultHeaders::new()
                        .add(("Content-Security-Policy", pages::CSP))
                        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Vary", "HX-Request")),
                )
                .route("/", web::get().to(pages::home::show))
                .route("/search", web::get().to(pages::search::show))
                .route("/users/{username}", web::get().to(pages::user::show))
                .route(
                    "/feeds/releases.xml",
                    web::get().to(pages::discovery::releases),
                )
                .route("/sitemap.xml", web::get().to(pages::discovery::sitemap))
                .route(
                    "/sitemaps/{n}.xml",
                    web::get().to(pages::discovery::sitemap_part),
                )
                .route("/robots.txt", web::get().to(pages::discovery::robots))
                // Version routes first: `json/1.0.0` would also match NAME.
                .route(&ver(""), web::get().to(pages::package::show))
                .route(
                    &ver(&format!("/{TAB}")),
                    web::get().to(pages::package::show),
                )
                .route(&ver("/yank"), web::post().to(pages::package::yank))
                .route(&ver("/unyank"), web::post().to(pages::package::unyank))
                .route(&pkg("/feed"), web::get().to(pages::discovery::package))
                .route(&pkg("/owners"), web::post().to(pages::package::add_owner))
                .route(
                    &pkg("/owners/{username}/remove"),
                    web::post().to(pages::package::remove_owner),
                )
                .route(
                    &pkg(&format!("/{TAB}")),
                    web::get().to(pages::package::show),
                )
                .route(&pkg(""), web::get().to(pages::package::show))
                .route("/login", web::get().to(pages::login::page))
                .route("/login", web::post().to(pages::login::sign_in))
                .route("/register", web::post().to(pages::login::register))
                .route("/logout", web::post().to(pages::login::sign_out))
                .route("/auth/github", web::get().to(pages::github::start))
                .route(
                    "/auth/github/callback",
                    web::get().to(pages::github::callback),
                )
                .route(
                    "/auth/github/username",
                    web::get().to(pages::github::choose_page),
                )
                .route(
                    "/auth/github/username",
                    web::post().to(pages::github::choose),
                )
                .route(
                    "/account/github/disconnect",
                    web::post().to(pages::github::disconnect),
                )
                .route("/admin", web::get().to(pages::admin::overview))
                .route("/admin/users", web::get().to(pages::admin::users))
                .route(
                    "/admin/users/{username}/{action:ban|unban|promote|demote}",
                    web::post().to(pages::admin::user_action),
                )
                .route(
                    "/admin/packages",
                    web::get().to(pages::admin::packages_list),
                )
                .route(
                    &format!("/admin{}", ver("/{action:yank|unyank}")),
                    web::post().to(pages::admin::version_action),
                )
                .route(
                    &format!("/admin{}", pkg("/remove")),
                    web::post().to(pages::admin::remove),
                )
                .route(
                    &format!("/admin{}", pkg("")),
                    web::get().to(pages::admin::package),
                )
                .route("/admin/audit", web::get().to(pages::admin::audit_log))
                .route("/account", web::get().to(pages::account::page))
                .route("/account/tokens", web::post().to(pages::account::create))
                .route(
                    "/account/tokens/{id}/revoke",
                    web::post().to(pages::account::revoke),
                )
                .default_service(web::to(pages::not_found)),
        );
}
