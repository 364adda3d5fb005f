//! The session cookie: signed with a key derived from `SESSION_SECRET`,
//! stored in Postgres, kept for seven days.

use actix_session::{config::PersistentSession, storage::SessionStore, SessionMiddleware};
use actix_web::cookie::{time::Duration, Key, SameSite};
use sha2::{Digest, Sha512};

use crate::auth::session_store::PgSessionStore;
use crate::config::Config;
use crate::state::AppState;

/// How long a session lasts without signing in again.
const SESSION_TTL: Duration = Duration::days(7);

pub fn key(config: &Config) -> Key {
    Key::from(&Sha512::digest(&config.session_secret))
}

pub fn middleware(state: &AppState, key: Key) -> SessionMiddleware<impl SessionStore> {
    SessionMiddleware::builder(PgSessionStore::new(state.pool.clone()), key)
        .cookie_name("session".into())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(state.config.secure_cookies())
        .session_lifecycle(PersistentSession::default().session_ttl(SESSION_TTL))
        .build()
}
