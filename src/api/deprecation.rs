//! `/api/v1/packages/{name}/deprecate`: deprecate a package (POST) and undo
//! it (DELETE), for its owners.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::Deprecation;
use crate::auth::Authed;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;
use crate::usecase::{deprecation, Actor};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeprecateBody {
    /// Why, and what to do instead: at most 500 characters, not only
    /// whitespace; no control characters but tabs and line ends. Kept trimmed.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFFFE\uFFFF][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]*$",
        example = "Unmaintained; use json-schema."
    )]
    pub message: String,
    /// A package held here to use instead (not this one); null or absent for none.
    #[schema(
        pattern = r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?(?:/[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?)?$",
        max_length = 129,
        example = "json-schema"
    )]
    #[serde(default)]
    pub successor: Option<String>,
}

/// The answer to undoing a deprecation.
#[derive(Serialize, ToSchema)]
pub struct Undeprecated {
    /// The package's name as published.
    pub name: String,
    /// Always null: the package is no longer deprecated.
    pub deprecated: Option<Deprecation>,
}

/// Deprecates a package, or replaces what its deprecation says. It still
/// installs; its metadata, page and search results say it is deprecated.
#[utoipa::path(
    post, path = "/api/v1/packages/{name}/deprecate", operation_id = "packages_deprecate", tag = "packages",
    security(("token" = ["yank"]), ("session" = [])),
    params(super::params::NamePath),
    request_body = DeprecateBody,
    responses(
        (status = 200, description = "Deprecated: the package's deprecation (`at` is when it was first deprecated)", body = Deprecation),
        (status = 400, description = "The message is empty, longer than 500 characters or holds a control character, or the successor is not a package name", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `yank`", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
        (status = 409, description = "The package is mirrored from upstream, whose deprecation it is", body = ErrorBody),
        (status = 422, description = "The successor is not a package here, or is this package", body = ErrorBody),
    )
)]
pub async fn deprecate(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
    body: web::Json<DeprecateBody>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let request = deprecation::Request {
        message: &body.message,
        successor: body.successor.as_deref(),
    };
    let (_, now) = deprecation::set_deprecated(
        &mut conn,
        Actor::of(&auth),
        &auth.origin,
        &name,
        Some(request),
    )
    .await?;
    let now = now.ok_or_else(|| AppError::internal("a deprecation was not answered"))?;
    Ok(HttpResponse::Ok().json(Deprecation::from(now)))
}

/// Undoes a package's deprecation; idempotent.
#[utoipa::path(
    delete, path = "/api/v1/packages/{name}/deprecate", operation_id = "packages_undeprecate", tag = "packages",
    security(("token" = ["yank"]), ("session" = [])),
    params(super::params::NamePath),
    responses(
        (status = 200, description = "Not deprecated (any more)", body = Undeprecated),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `yank`", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
        (status = 409, description = "The package is mirrored from upstream, whose deprecation it is", body = ErrorBody),
    )
)]
pub async fn undeprecate(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (pkg, _) =
        deprecation::set_deprecated(&mut conn, Actor::of(&auth), &auth.origin, &name, None).await?;
    Ok(HttpResponse::Ok().json(Undeprecated {
        name: pkg.name,
        deprecated: None,
    }))
}
