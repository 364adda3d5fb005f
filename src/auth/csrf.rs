//! CSRF for cookie-authenticated requests.
//!
//! - Web forms (htmx included) carry a per-session token, as a hidden
//!   `csrf_token` field or an `X-CSRF-Token` header.
//! - JSON API calls made with the session cookie must be `application/json`,
//!   which a cross-site HTML form cannot send. Bearer requests need neither.

use actix_session::Session;
use actix_web::HttpRequest;

use crate::domain::token::random_token;
use crate::error::{AppError, AppResult};

const KEY: &str = "csrf";

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(KEY) {
        return t;
    }
    let t = random_token(32);
    let _ = session.insert(KEY, &t);
    t
}

/// The session's token if it has one; creates nothing (and so no session).
pub fn existing(session: &Session) -> Option<String> {
    session.get::<String>(KEY).ok().flatten()
}

/// Drops the session's token; the next page gets a new one. Sign-in calls it;
/// sign-out purges the whole session, token included.
pub fn forget(session: &Session) {
    session.remove(KEY);
}

/// Checks a form's token (or the `X-CSRF-Token` header).
pub fn verify(req: &HttpRequest, session: &Session, form_token: Option<&str>) -> AppResult<()> {
    let sent = form_token.or_else(|| {
        req.headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
    });
    let expected = session.get::<String>(KEY).ok().flatten();
    match (sent, expected) {
        (Some(s), Some(e)) if constant_eq(s.as_bytes(), e.as_bytes()) => Ok(()),
        _ => Err(AppError::forbidden(
            "the form has expired or did not come from this site; reload the page and try again",
        )),
    }
}

/// Cookie-authenticated API writes (POST, PUT, PATCH) must carry a JSON content
/// type; a DELETE cannot be sent cross-site without a CORS preflight we never grant.
/// Checked before any extractor runs, so a forged form post gets a 403, not a 400.
pub fn require_json_for_cookie_writes(req: &actix_web::dev::ServiceRequest) -> AppResult<()> {
    use actix_web::http::Method;
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    // Only a Bearer token exempts: browsers attach Basic or Negotiate
    // credentials to cross-site requests by themselves.
    let bearer = super::extract::bearer(req.request()).is_some();
    let cookie = req.cookie("session").is_some();
    if !writes || bearer || !cookie {
        return Ok(());
    }
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
        .unwrap_or(false);
    if json {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "requests authenticated by the session cookie must send Content-Type: application/json",
        ))
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
