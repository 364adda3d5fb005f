//! The one error type. On `/api/*` it is JSON `{"error": "…"}` with the right
//! status; the web scope turns the same error into a page or an htmx fragment
//! (see `web::render_error`).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A known API path called with a method it does not serve.
    #[error("{message}")]
    MethodNotAllowed { message: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// The upstream registry failed and nothing usable is held here (mirror).
    #[error("{0}")]
    BadGateway(String),
    /// The upstream registry did not answer in time and nothing is held here (mirror).
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("internal server error")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// A server error's body under /api: the message and the request's id, so a
/// report can be found in the logs. 4xx bodies stay `{"error"}` (the CLI reads them).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ServerErrorBody {
    pub error: String,
    /// The request's `X-Request-Id`, as the logs name it.
    pub request_id: String,
}

/// Every API error's body, whatever the status.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A human-readable message.
    #[schema(example = "package \"nope\" not found")]
    pub error: String,
}

impl AppError {
    pub fn bad_request(m: impl Into<String>) -> Self {
        AppError::BadRequest(m.into())
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        AppError::NotFound(m.into())
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        AppError::Forbidden(m.into())
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        AppError::Unauthorized(m.into())
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        AppError::Conflict(m.into())
    }
    pub fn unprocessable(m: impl Into<String>) -> Self {
        AppError::Unprocessable(m.into())
    }
    pub fn internal(m: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("{m}"))
    }

    /// The message shown to the client. An internal error shows only the
    /// request's id (`server::middleware::errors` logs it once, under that id).
    pub fn public_message(&self) -> String {
        self.message_for("")
    }

    /// The message shown for the request `request_id`.
    pub fn message_for(&self, request_id: &str) -> String {
        match self {
            AppError::Internal(_) if request_id.is_empty() => "internal server error".into(),
            AppError::Internal(_) => format!("internal server error (request id {request_id})"),
            other => other.to_string(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after, .. } => {
                res.insert_header(("Retry-After", retry_after.to_string()));
            }
            AppError::MethodNotAllowed { allow, .. } => {
                res.insert_header(("Allow", allow.as_str()));
            }
            _ => {}
        }
        res.json(ErrorBody {
            error: self.public_message(),
        })
    }
}

/// The request's id (`X-Request-Id`), as `server::middleware::request_id`
/// keeps it in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The id of `req` (empty outside that middleware, as in unit tests).
pub fn request_id(req: &actix_web::HttpRequest) -> String {
    use actix_web::HttpMessage;
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// The one place a domain refusal becomes an HTTP status.
impl From<crate::domain::DomainError> for AppError {
    fn from(e: crate::domain::DomainError) -> Self {
        use crate::domain::DomainError as D;
        match e {
            D::Invalid(m) => AppError::BadRequest(m),
            D::TooLarge(m) => AppError::PayloadTooLarge(m),
            D::Unprocessable(m) => AppError::Unprocessable(m),
            D::Io(m) => AppError::internal(m),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        // A connection that died under a running query (Postgres restarted, network
        // cut) is an outage, not a bug: answer 503 so clients retry.
        match &e {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::error!(error = %info.message(), "database connection lost");
                AppError::Unavailable("the database is unavailable; try again shortly".into())
            }
            // Postgres text cannot hold NUL (SQLSTATE 22021). A NUL that got past the
            // input checks (path, query, JSON) is bad input, not a server fault.
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("0x00") =>
            {
                AppError::bad_request("text must not contain NUL characters")
            }
            _ => AppError::Internal(e.into()),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::error!(error = %e, "database pool");
        AppError::Unavailable("the database is unavailable; try again shortly".into())
    }
}

impl From<opendal::Error> for AppError {
    fn from(e: opendal::Error) -> Self {
        tracing::error!(error = %e, "blob store");
        AppError::Unavailable("the blob store is unavailable; try again shortly".into())
    }
}

/// Turns actix's extractor errors (bad JSON, query, path, form) into our 400/413/415 JSON.
pub fn extractor_error(message: String, status: StatusCode) -> actix_web::Error {
    let e = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        _ => AppError::BadRequest(message),
    };
    e.into()
}

/// Under `/api`, any error response that is not already JSON (actix's own 404,
/// 405, payload errors) gets a JSON `{"error": …}` body.
pub fn json_error_body<B: actix_web::body::MessageBody + 'static>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::http::header;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(actix_web::middleware::ErrorHandlerResponse::Response(
            res.map_into_left_body(),
        ));
    }
    let status = res.status();
    let message = res
        .response()
        .error()
        .map(|e| e.to_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for (k, v) in old.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            new.insert_header((k.clone(), v.clone()));
        }
    }
    let body = new.json(ErrorBody { error: message });
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, body).map_into_right_body(),
    ))
}
