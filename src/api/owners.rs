//! `/api/v1/packages/{name}/owners`: list (public), add and remove (owners).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Entry, Event};
use crate::auth::Authed;
use crate::error::{AppResult, ErrorBody};
use crate::registry::packages;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Owner {
    pub username: String,
}

#[derive(Serialize, ToSchema)]
pub struct OwnerList {
    pub name: String,
    pub owners: Vec<Owner>,
}

#[utoipa::path(
    get, path = "/api/v1/packages/{name}/owners", operation_id = "owners_list", tag = "owners",
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    responses(
        (status = 200, description = "The owners, first owner first", body = OwnerList),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, name: web::Path<String>) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let owners = packages::owners(&mut conn, pkg.id)
        .await?
        .into_iter()
        .map(|u| Owner {
            username: u.username,
        })
        .collect();
    Ok(HttpResponse::Ok().json(OwnerList {
        name: pkg.name,
        owners,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct OwnerBody {
    pub username: String,
}

#[derive(Serialize, ToSchema)]
pub struct OwnerChanged {
    pub ok: bool,
    pub name: String,
    pub username: String,
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/owners", operation_id = "owners_add", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    request_body = OwnerBody,
    responses(
        (status = 200, description = "Added (or already an owner)", body = OwnerChanged),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package or user", body = ErrorBody),
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
    body: web::Json<OwnerBody>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    packages::require_owner(&mut conn, &pkg, &auth.user).await?;
    auth.require_scope("change-owners", &pkg.canonical_name)?;
    let user = packages::add_owner(&mut conn, &pkg, &body.username).await?;
    let entry = Entry::new("owner.add")
        .by(&auth)
        .package(pkg.id, &pkg.name)
        .subject(&user.username);
    audit::record(&mut conn, &auth.origin, entry).await?;
    Ok(HttpResponse::Ok().json(OwnerChanged {
        ok: true,
        name: pkg.name,
        username: user.username,
    }))
}

#[utoipa::path(
    delete, path = "/api/v1/packages/{name}/owners/{username}", operation_id = "owners_remove", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(
        ("name" = String, Path, description = "`name` or `namespace/name`, any spelling"),
        ("username" = String, Path, description = "The owner to remove"),
    ),
    responses(
        (status = 200, description = "Removed", body = OwnerChanged),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Not an owner, or the token lacks `change-owners`", body = ErrorBody),
        (status = 404, description = "No such package, or that user is not an owner", body = ErrorBody),
        (status = 409, description = "The last owner cannot be removed", body = ErrorBody),
    )
)]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Authed,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (name, username) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    packages::require_owner(&mut conn, &pkg, &auth.user).await?;
    auth.require_scope("change-owners", &pkg.canonical_name)?;
    packages::remove_owner(&mut conn, &pkg, &username).await?;
    let entry = Entry::new("owner.remove")
        .by(&auth)
        .package(pkg.id, &pkg.name)
        .subject(&username);
    audit::record(&mut conn, &auth.origin, entry).await?;
    Ok(HttpResponse::Ok().json(OwnerChanged {
        ok: true,
        name: pkg.name,
        username,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Activity {
    pub name: String,
    /// Newest first, at most 200.
    pub events: Vec<Event>,
}

/// `GET /api/v1/packages/{name}/activity`: the package's audit trail, for its owners.
#[utoipa::path(
    get, path = "/api/v1/packages/{name}/activity", operation_id = "owners_activity", tag = "owners",
    security(("token" = []), ("session" = [])),
    params(("name" = String, Path, description = "`name` or `namespace/name`, any spelling")),
    responses(
        (status = 200, description = "The package's audit log", body = Activity),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Neither an owner nor an administrator", body = ErrorBody),
        (status = 404, description = "No such package", body = ErrorBody),
    )
)]
pub async fn activity(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    if !auth.user.is_admin {
        packages::require_owner(&mut conn, &pkg, &auth.user).await?;
    }
    let events = audit::for_package(&mut conn, pkg.id, audit::PACKAGE_ACTIVITY_LIMIT).await?;
    Ok(HttpResponse::Ok().json(Activity {
        name: pkg.name,
        events,
    }))
}
