//! The JSON API under `/api/v1`, one file per resource. Handlers are thin:
//! parse, authorise, call the domain, shape the JSON.

pub mod analysis;
pub mod auth;
pub mod contract;
pub mod deprecation;
pub mod invitations;
pub mod me;
pub mod openapi;
pub mod owners;
pub mod packages;
pub mod params;
pub mod publish_form;
pub mod search;
pub mod tokens;
pub mod versions;
pub mod webhooks;
pub mod wire;

use actix_web::{
    http::header::{self, EntityTag, IfNoneMatch},
    web, HttpMessage, HttpRequest, HttpResponse,
};
use serde::Serialize;

use crate::cache::Rendered;

/// `{"ok": true}`: a change that has nothing else to say.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OkBody {
    pub ok: bool,
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| match e {
            // actix says 400; a body not sent as JSON is a 415.
            actix_web::error::JsonPayloadError::ContentType => crate::error::extractor_error(
                "send the body as JSON (Content-Type: application/json)".into(),
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            e => {
                let status = actix_web::ResponseError::status_code(&e);
                crate::error::extractor_error(format!("invalid JSON body: {e}"), status)
            }
        })
}

/// Whether the request's `If-None-Match` names `etag` (so a 304 will do).
pub fn client_has(req: &HttpRequest, etag: &EntityTag) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.strong_eq(etag)),
        None => false,
    }
}

/// A rendered JSON answer with its ETag; `304` when the client has it.
pub fn rendered_json(req: &HttpRequest, r: &Rendered) -> HttpResponse {
    let etag = EntityTag::new_strong(r.etag.clone());
    if client_has(req, &etag) {
        return HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(header::ETag(etag))
        .body(r.body.clone())
}
