//! `GET /api/openapi.json`: the OpenAPI 3.1 document of `/api/v1`, built by
//! utoipa from the handlers' `#[utoipa::path]` attributes and the request and
//! response types. `tests/api/openapi.rs` checks it against `routes::api_routes`
//! and the statuses the server answers; `make api-check` fuzzes the server with it.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    analysis, auth, deprecation, invitations, me, owners, packages, search, tokens, versions,
    webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sema-pkg",
        description = "The package registry for Sema. Errors are always JSON `{\"error\": \"…\"}`; \
            rate-limited requests answer 429 with `Retry-After` seconds. Package names are `name` or \
            `namespace/name` and go into paths unescaped (`/api/v1/packages/sema/http/1.0.0`)."
    ),
    paths(
        auth::register,
        auth::login,
        auth::logout,
        me::show,
        invitations::list,
        invitations::accept,
        invitations::decline,
        tokens::create,
        tokens::list,
        tokens::revoke,
        search::search,
        search::packages,
        owners::list,
        owners::add,
        owners::remove,
        owners::activity,
        packages::versions,
        packages::dependents,
        packages::readme,
        deprecation::deprecate,
        deprecation::undeprecate,
        webhooks::create,
        webhooks::list,
        webhooks::delete,
        webhooks::test,
        webhooks::deliveries,
        webhooks::redeliver,
        versions::download,
        versions::yank,
        versions::unyank,
        analysis::show,
        analysis::analyze,
        versions::show,
        packages::show,
        packages::publish,
    ),
    modifiers(&Security, &HeadIds),
    tags(
        (name = "auth", description = "Accounts and sessions (the CLI's password login)"),
        (name = "tokens", description = "API tokens, managed with a session"),
        (name = "search", description = "Finding packages"),
        (name = "packages", description = "Packages, their versions and tarballs"),
        (name = "owners", description = "Who may publish, yank and change owners; new owners are invited and must accept"),
        (name = "webhooks", description = "Signed webhooks: a package's owners are told of its publishes, yanks, owner and deprecation changes"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: `Authorization: Bearer sema_pat_…` and the
/// `session` cookie that `POST /auth/login` sets.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sema_pat_…")
                    .description(Some(
                        "An API token (`sema_pat_` + 43 characters), created on /account or with POST /api/v1/tokens",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "session",
                "The session cookie from POST /api/v1/auth/login; writes must send Content-Type: application/json",
            ))),
        );
    }
}

/// `method(get, head)` gives both operations one id; ids must be unique.
struct HeadIds;

impl Modify for HeadIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            if let Some(id) = item.head.as_mut().and_then(|op| op.operation_id.as_mut()) {
                id.push_str("_head");
            }
        }
    }
}

/// The document, with what holds for every operation (see `contract`).
/// Built once: it only changes with the binary.
pub static SPEC: LazyLock<serde_json::Value> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    super::contract::apply(&mut doc);
    doc
});

static DOCUMENT: LazyLock<String> = LazyLock::new(|| SPEC.to_string());

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(DOCUMENT.as_str())
}
