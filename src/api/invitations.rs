//! `/api/v1/me/invitations`: the caller's pending owner invitations, and
//! accepting or declining one. Every answer is audited on the package.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::error::{AppResult, ErrorBody};
use crate::registry::invitations;
use crate::state::AppState;
use crate::usecase::{owners, Actor};

#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    /// Unexpired invitations, newest first.
    pub invitations: Vec<super::wire::Invitation>,
}

#[utoipa::path(
    get, path = "/api/v1/me/invitations", operation_id = "me_invitations", tag = "owners",
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "Pending invitations to own packages", body = InvitationList),
        (status = 401, description = "No valid token or session", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, auth: Authed) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let invitations = invitations::pending(&mut conn, auth.user.id)
        .await?
        .into_iter()
        .filter(|i| auth.allows_package(&crate::domain::names::canonical(&i.package)))
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(InvitationList { invitations }))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationAnswered {
    pub ok: bool,
    /// The package's name as published.
    pub name: String,
    /// `true` when the caller is now an owner.
    pub accepted: bool,
}

#[utoipa::path(
    post, path = "/api/v1/me/invitations/{name}/accept", operation_id = "me_invitation_accept", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath),
    responses(
        (status = 200, description = "Accepted: the caller is now an owner", body = InvitationAnswered),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The token lacks `change-owners` for this package", body = ErrorBody),
        (status = 404, description = "No such package, or no unexpired invitation to it", body = ErrorBody),
    )
)]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    answer(state, auth, name, true).await
}

#[utoipa::path(
    post, path = "/api/v1/me/invitations/{name}/decline", operation_id = "me_invitation_decline", tag = "owners",
    security(("token" = ["change-owners"]), ("session" = [])),
    params(super::params::NamePath),
    responses(
        (status = 200, description = "Declined: the invitation is gone", body = InvitationAnswered),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The token lacks `change-owners` for this package", body = ErrorBody),
        (status = 404, description = "No such package, or no unexpired invitation to it", body = ErrorBody),
    )
)]
pub async fn decline(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    answer(state, auth, name, false).await
}

async fn answer(
    state: web::Data<AppState>,
    auth: Authed,
    name: web::Path<String>,
    accept: bool,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let pkg = owners::answer(&mut conn, Actor::of(&auth), &auth.origin, &name, accept).await?;
    Ok(HttpResponse::Ok().json(InvitationAnswered {
        ok: true,
        name: pkg.name,
        accepted: accept,
    }))
}
