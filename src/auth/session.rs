//! Starting a signed-in session (the cookie's store is `session_store`).

use actix_session::Session;

use super::extract::{SESSION_USER, SESSION_USERNAME};
use crate::db::models::User;
use crate::error::{AppError, AppResult};

/// A fresh session id and CSRF token on every sign-in (no fixation): a token
/// seen before signing in is worthless after.
pub fn start_session(session: &Session, user: &User) -> AppResult<()> {
    session.renew();
    super::csrf::forget(session);
    session
        .insert(SESSION_USER, user.id)
        .and_then(|()| session.insert(SESSION_USERNAME, &user.username))
        .map_err(AppError::internal)
}
