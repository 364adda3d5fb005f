//! The `in_flight` gauge: requests being served right now.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web, Error,
};

use crate::state::AppState;

pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let gauge = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.in_flight.clone());
    if let Some(g) = &gauge {
        g.inc();
    }
    // Counted down whether the request succeeded or failed.
    let res = next.call(req).await;
    if let Some(g) = &gauge {
        g.dec();
    }
    res
}
