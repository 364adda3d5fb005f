//! Signing in with a password, and signing out. The session cookie itself
//! is the transport's (`auth::session`); these check and record.

use diesel_async::AsyncPgConnection;

use super::{record, Origin};
use crate::audit::Entry;
use crate::auth::{accounts, throttle};
use crate::db::models::User;
use crate::error::{AppError, AppResult};
use crate::registry::users;

const GENERIC: &str = "invalid username or password";

/// Username (or email) and password → the user, with failed attempts
/// throttled per account and per client address, and recorded.
pub async fn sign_in(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    login: &str,
    password: &str,
) -> AppResult<User> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > 254 || password.len() > 4 * accounts::PASSWORD_MAX {
        return Err(AppError::unauthorized(GENERIC));
    }
    let user = users::find_by_login(conn, &login).await?;
    let buckets = buckets(origin, &login, user.as_ref());
    // Paid before the password is checked, each in one statement, so
    // concurrent guesses cannot all pass one check; refunded on success.
    for (key, bucket) in &buckets {
        if let Some(wait) = throttle::take(conn, key, *bucket, 1.0).await? {
            return Err(throttle::too_many(wait, "failed sign-in attempts"));
        }
    }
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let ok = accounts::verify_password(password, stored).await;
    match user {
        Some(u) if ok => {
            // The refund stands even for a suspended account: its password was right.
            for (key, bucket) in &buckets {
                throttle::refund(conn, key, *bucket).await?;
            }
            let u = accounts::require_active(u)?;
            let event = Entry::new("session.sign_in").by_user(Some(u.id), &u.username);
            record(conn, origin, event).await?;
            Ok(u)
        }
        _ => {
            let who = user.as_ref().map(|u| u.id);
            let event = Entry::new("session.sign_in_failed").by_user(who, &login);
            record(conn, origin, event).await?;
            Err(AppError::unauthorized(GENERIC))
        }
    }
}

/// One bucket per account whichever identifier is typed (username or
/// email); names that match nobody share one bucket per typed name.
fn buckets(origin: &Origin, login: &str, user: Option<&User>) -> [(String, throttle::Bucket); 2] {
    let account_key = match user {
        Some(u) => format!("login:account:{}", u.id),
        None => format!("login:unknown:{login}"),
    };
    let ip = origin.ip.as_deref().unwrap_or_default();
    [
        (account_key, throttle::LOGIN_ACCOUNT),
        (format!("login:ip:{ip}"), throttle::LOGIN_IP),
    ]
}

/// Records that the user `(id, username)` signed out; the caller ends the
/// session itself.
pub async fn sign_out(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    user: (i64, &str),
) -> AppResult<()> {
    let event = Entry::new("session.sign_out").by_user(Some(user.0), user.1);
    record(conn, origin, event).await
}
