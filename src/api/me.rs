//! `GET /api/v1/me`: who the token (or session) belongs to; `sema pkg whoami`.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Authed;
use crate::error::{AppResult, ErrorBody};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub is_official: bool,
    pub created_at: DateTime<Utc>,
}

#[utoipa::path(
    get, path = "/api/v1/me", operation_id = "me_show", tag = "auth",
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The caller's account", body = Me),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The account is suspended", body = ErrorBody),
    )
)]
pub async fn show(auth: Authed) -> AppResult<HttpResponse> {
    let u = auth.user;
    Ok(HttpResponse::Ok().json(Me {
        username: u.username,
        email: u.email,
        is_admin: u.is_admin,
        is_official: u.is_official,
        created_at: u.created_at,
    }))
}
