//! One id per request, in the log line and the response, so a report can be
//! matched to the logs. A proxy's own `X-Request-Id` is kept when it is sane.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage,
};

use crate::error::RequestId;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

fn sane(v: &str) -> bool {
    v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub async fn tag(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let value = HeaderValue::from_str(&id).expect("checked characters");
    req.headers_mut().insert(HEADER, value.clone());
    req.extensions_mut().insert(RequestId(id));
    let mut res = next.call(req).await?;
    res.headers_mut().insert(HEADER, value);
    Ok(res)
}
