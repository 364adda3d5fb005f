//! Server errors: each is logged once, with the request's id, and the answer
//! shows that id (JSON under /api: a `request_id` field on 5xx bodies; the
//! error page says it in its message), so a user's report can be found.

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error, HttpMessage,
};

use crate::error::{AppError, RequestId, ServerErrorBody};

pub async fn log_and_tag(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let api = req.path().starts_with("/api/");
    let res = next.call(req).await?;
    if !res.status().is_server_error() {
        return Ok(res.map_into_left_body());
    }
    let message = match res.response().error() {
        Some(e) => match e.as_error::<AppError>() {
            Some(app @ AppError::Internal(inner)) => {
                tracing::error!(request_id = %id, error = ?inner, "internal error");
                app.message_for(&id)
            }
            Some(app) => app.message_for(&id),
            None => {
                tracing::error!(request_id = %id, error = %e, "server error");
                e.to_string()
            }
        },
        None => res
            .status()
            .canonical_reason()
            .unwrap_or("error")
            .to_lowercase(),
    };
    if !api {
        return Ok(res.map_into_left_body());
    }
    let body = serde_json::to_string(&ServerErrorBody {
        error: message,
        request_id: id,
    })
    .unwrap_or_default();
    let mut res = res.map_body(|_, _| EitherBody::right(BoxBody::new(body)));
    res.headers_mut().insert(
        actix_web::http::header::CONTENT_TYPE,
        actix_web::http::header::HeaderValue::from_static("application/json"),
    );
    Ok(res)
}
