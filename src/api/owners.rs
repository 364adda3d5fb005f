//! `/api/v1/packages/{name}/owners`: list (public), add and remove (owners).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Event};
use crate::auth::Authed;
use crate::error::{AppResult, ErrorBody};
use crate::registry::invitations::Invited;
use crate::registry::packages;
use crate::state::AppState;
use crate::usecase::{owners, Actor};

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
    params(super::params::NamePath),
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
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    /// The account to invite.
    #[schema(
        pattern = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$",
        min_length = 2,
        max_length = 39,
        example = "bob"
    )]
    pub username: String,
}

#[derive(Serialize, ToSchema)]
pub struct OwnerChanged {
    pub ok: bool,
    pub name: String,
    pub username: String,
}

/// The answer to adding an owner: the fields of `OwnerChanged`, plus the
/// invitation the addition became.
#[derive(Serialize, ToSchema)]
pub struct OwnerInvited {
    pub ok: bool,
    pub name: String,
    pub username: String,
    /// `true`: an invitation was sent, and the user becomes an owner only once
    /// they accept it; `false`: they already were an owner.
    pub invited: bool,
    /// When the invitation lapses (30 days); `null` when none was needed.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[utoipa::path(
    post, path = "/api/v1/packages/{name}/owners", operation_id = "owners_add", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath),
    request_body = OwnerBody,
    responses(
        (status = 200, description = "Invited (the user accepts on /account or with POST /api/v1/me/invitations/{name}/accept), or already an owner", body = OwnerInvited),
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
    let actor = Actor::of(&auth);
    let (pkg, invited) = owners::add(&mut conn, actor, &auth.origin, &name, &body.username).await?;
    let (user, expires_at) = match invited {
        Invited::AlreadyOwner(u) => (u, None),
        Invited::Pending(u, at) => (u, Some(at)),
    };
    Ok(HttpResponse::Ok().json(OwnerInvited {
        ok: true,
        name: pkg.name,
        username: user.username,
        invited: expires_at.is_some(),
        expires_at,
    }))
}

#[utoipa::path(
    delete, path = "/api/v1/packages/{name}/owners/{username}", operation_id = "owners_remove", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath, super::params::UsernamePath),
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
    let pkg = owners::remove(&mut conn, Actor::of(&auth), &auth.origin, &name, &username).await?;
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
    params(super::params::NamePath),
    responses(
        (status = 200, description = "The package's audit log; `ip` and `user_agent` are null unless the caller is an administrator", body = Activity),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Neither an owner nor an administrator, or the token's package patterns exclude this package", body = ErrorBody),
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
    auth.require_package(&pkg.canonical_name)?;
    if !auth.user.is_admin {
        packages::require_owner(&mut conn, &pkg, &auth.user).await?;
    }
    let mut events = audit::for_package(&mut conn, pkg.id, audit::PACKAGE_ACTIVITY_LIMIT).await?;
    if !auth.user.is_admin {
        audit::hide_origins(&mut events);
    }
    Ok(HttpResponse::Ok().json(Activity {
        name: pkg.name,
        events,
    }))
}
