//! `/metrics` is for the operator only (see `auth::extract::metrics_guard`).

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error,
};

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    crate::auth::extract::metrics_guard(&req)?;
    next.call(req).await
}
