//! actix-session answers an opaque, empty 500 when its store fails. The store
//! is Postgres, so that is an outage: say 503 (JSON under /api) so clients
//! retry, like every other call while the database is away.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error,
};

use crate::error::AppError;

pub async fn answer_503(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let api = req.path().starts_with("/api/");
    next.call(req).await.map_err(|e| {
        let ours = e.as_error::<AppError>().is_some();
        if ours || e.as_response_error().status_code() != 500 {
            e
        } else if api {
            AppError::Unavailable("the database is unavailable; try again shortly".into()).into()
        } else {
            actix_web::error::ErrorServiceUnavailable(
                "The service is unavailable; try again shortly.",
            )
        }
    })
}
