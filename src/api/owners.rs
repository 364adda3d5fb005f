//! `/api/v1/packages/{name}/owners`: list (public), add and remove (owners).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Entry};
use crate::auth::Authed;
use crate::error::AppResult;
use crate::registry::packages;
use crate::state::AppState;

pub async fn list(state: web::Data<AppState>, name: web::Path<String>) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let owners: Vec<_> = packages::owners(&mut conn, pkg.id)
        .await?
        .into_iter()
        .map(|u| json!({ "username": u.username }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "name": pkg.name, "owners": owners })))
}

#[derive(Deserialize)]
pub struct OwnerBody {
    pub username: String,
}

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
    Ok(HttpResponse::Ok().json(json!({ "ok": true, "name": pkg.name, "username": user.username })))
}

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
    Ok(HttpResponse::Ok().json(json!({ "ok": true, "name": pkg.name, "username": username })))
}

/// `GET /api/v1/packages/{name}/activity`: the package's audit trail, for its owners.
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
    let events = audit::for_package(&mut conn, pkg.id, 200).await?;
    Ok(HttpResponse::Ok().json(json!({ "name": pkg.name, "events": events })))
}
