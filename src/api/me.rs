//! `GET /api/v1/me`: who the token (or session) belongs to; `sema pkg whoami`.

use actix_web::HttpResponse;
use serde_json::json;

use crate::auth::Authed;
use crate::error::AppResult;

pub async fn show(auth: Authed) -> AppResult<HttpResponse> {
    let u = auth.user;
    Ok(HttpResponse::Ok().json(json!({
        "username": u.username,
        "email": u.email,
        "is_admin": u.is_admin,
        "is_official": u.is_official,
        "created_at": u.created_at,
    })))
}
