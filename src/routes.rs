//! The one routing table: API, web pages, static files.
//!
//! Package names may hold one `/` (`ns/name`), so name segments use a regex
//! and versions must look like semver (`1.2.3…`); names never contain a dot,
//! so the two cannot be confused. Specific children are listed before `{name}`.

use actix_web::{
    dev::Service,
    middleware::{DefaultHeaders, ErrorHandlers},
    web,
};

use crate::{api, health, web as pages};

const NAME: &str = "{name:[^/]+(?:/[^/]+)?}";
const VERSION: &str = "{version:[0-9]+\\.[0-9]+\\.[0-9]+[^/]*}";
/// The package page's tabs; these words are reserved as a name's last part.
const TAB: &str = "{tab:readme|versions|dependencies|dependents|owners|stats}";

fn pkg(rest: &str) -> String {
    format!("/packages/{NAME}{rest}")
}

fn ver(rest: &str) -> String {
    format!("/packages/{NAME}/{VERSION}{rest}")
}

pub fn configure(cfg: &mut web::ServiceConfig, static_dir: &std::path::Path) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(
            web::scope("/api/v1")
                .app_data(api::json_config())
                .wrap_fn(|req, srv| {
                    let call = crate::auth::csrf::require_json_for_cookie_writes(&req)
                        .and_then(|()| crate::auth::throttle::check_read(&req))
                        .map(|()| srv.call(req));
                    async move { call?.await }
                })
                .wrap(ErrorHandlers::new().default_handler(crate::error::json_error_body))
                .route("/auth/register", web::post().to(api::auth::register))
                .route("/auth/login", web::post().to(api::auth::login))
                .route("/auth/logout", web::post().to(api::auth::logout))
                .route("/me", web::get().to(api::me::show))
                .route("/tokens", web::post().to(api::tokens::create))
                .route("/tokens", web::get().to(api::tokens::list))
                .route("/tokens/{id}", web::delete().to(api::tokens::revoke))
                .route("/search", web::get().to(api::search::search))
                .route("/packages", web::get().to(api::search::search))
                .route(&pkg("/owners"), web::get().to(api::owners::list))
                .route(&pkg("/owners"), web::post().to(api::owners::add))
                .route(
                    &pkg("/owners/{username}"),
                    web::delete().to(api::owners::remove),
                )
                .route(&pkg("/activity"), web::get().to(api::owners::activity))
                .route(&pkg("/versions"), web::get().to(api::packages::versions))
                .route(
                    &pkg("/dependents"),
                    web::get().to(api::packages::dependents),
                )
                .route(&pkg("/readme"), web::get().to(api::packages::readme))
                .route(&ver("/download"), web::get().to(api::versions::download))
                .route(&ver("/download"), web::head().to(api::versions::download))
                .route(&ver("/yank"), web::post().to(api::versions::yank))
                .route(&ver("/unyank"), web::post().to(api::versions::unyank))
                .route(&ver(""), web::get().to(api::versions::show))
                .route(&pkg(""), web::get().to(api::packages::show))
                .route("/packages/{tail:.+}", web::put().to(api::packages::publish))
                .default_service(web::to(api::not_found)),
        )
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
                .route("/account", web::get().to(pages::account::page))
                .route("/account/tokens", web::post().to(pages::account::create))
                .route(
                    "/account/tokens/{id}/revoke",
                    web::post().to(pages::account::revoke),
                )
                .default_service(web::to(pages::not_found)),
        );
}
