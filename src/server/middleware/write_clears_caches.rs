//! A write on this instance may change what the caches hold; they are emptied
//! once it is done, so its client reads its own write (other instances hear
//! of it through Postgres NOTIFY, see `cache`).

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web, Error,
};

use crate::state::AppState;

pub async fn clear_after_write(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let caches = req
        .app_data::<web::Data<AppState>>()
        .filter(|_| writes)
        .map(|s| s.caches.clone());
    let res = next.call(req).await?;
    // A refused write changed nothing (its transaction rolled back).
    if let (Some(c), true) = (caches, res.status().as_u16() < 400) {
        c.clear();
    }
    Ok(res)
}
