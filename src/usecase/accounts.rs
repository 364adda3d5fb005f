//! Accounts: registering, the operator's `create-user`, and the operator
//! actions ban/unban, promote/demote and reset-password (the command line
//! and /admin call the same functions, so both write the same audit rows).

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::audit::Entry;
use crate::auth::{accounts, throttle};
use crate::db::models::User;
use crate::error::{AppError, AppResult};
use crate::registry::{namespaces, users};

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// Self-service sign-up (`registration_open`: the `REGISTRATION` setting),
/// limited per client address. The account and its namespace are reserved
/// together, with the audit row.
pub async fn register(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    registration_open: bool,
    new: NewAccount<'_>,
) -> AppResult<User> {
    if !registration_open {
        return Err(AppError::forbidden(accounts::REGISTRATION_CLOSED));
    }
    let (username, email) = (new.username.trim(), new.email.trim());
    validate(username, email, new.password)?;
    let ip = origin.ip.clone().unwrap_or_default();
    let key = format!("register:ip:{ip}");
    if let Some(wait) = throttle::take(conn, &key, throttle::REGISTER_IP, 1.0).await? {
        return Err(throttle::too_many(wait, "new accounts from this address"));
    }
    let hash = accounts::hash_password(new.password).await?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let user =
            users::insert(tx, username, email, &hash, false, namespaces::UNAVAILABLE).await?;
        namespaces::claim_for_user(tx, user.id, &user.username).await?;
        let event = Entry::new("user.register").by_user(Some(user.id), &user.username);
        record(tx, origin, event).await?;
        Ok(user)
    })
    .await
}

fn validate(username: &str, email: &str, password: &str) -> AppResult<()> {
    accounts::validate_username(username)?;
    accounts::validate_email(email)?;
    accounts::validate_password(password)
}

/// `sema-pkg admin create-user`: an account made by the operator (also when
/// registration is closed), administrator or not.
pub async fn create_user(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    new: NewAccount<'_>,
    make_admin: bool,
) -> AppResult<User> {
    actor.require_admin()?;
    validate(new.username, new.email, new.password)?;
    let hash = accounts::hash_password(new.password).await?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let u = users::insert(
            tx,
            new.username,
            new.email,
            &hash,
            make_admin,
            "username or email taken",
        )
        .await?;
        namespaces::claim_for_user(tx, u.id, &u.username)
            .await
            .map_err(|e| match e {
                AppError::Conflict(_) => AppError::conflict(format!(
                    "the namespace {:?} belongs to another user",
                    u.username.to_lowercase()
                )),
                e => e,
            })?;
        record(
            tx,
            origin,
            actor.entry("admin.create_user").subject(&u.username),
        )
        .await?;
        Ok(u)
    })
    .await
}

/// Grants (`promote`) or removes (`demote`) administrator rights.
pub async fn set_admin(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
    value: bool,
) -> AppResult<User> {
    actor.require_admin()?;
    let action = if value {
        "admin.promote"
    } else {
        "admin.demote"
    };
    conn.transaction::<_, AppError, _>(async |tx| {
        let u = users::find(tx, username).await?;
        let u = users::set_admin(tx, u.id, value).await?;
        record(tx, origin, actor.entry(action).subject(&u.username)).await?;
        Ok(u)
    })
    .await
}

/// Suspends a user: their sessions end now and their tokens are refused
/// while the ban lasts. Returns the user and how many sessions ended.
pub async fn ban(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
) -> AppResult<(User, usize)> {
    actor.require_admin()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let u = users::find(tx, username).await?;
        let u = users::set_banned(tx, u.id, true).await?;
        let ended = users::end_sessions(tx, u.id).await?;
        record(tx, origin, actor.entry("admin.ban").subject(&u.username)).await?;
        Ok((u, ended))
    })
    .await
}

pub async fn unban(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
) -> AppResult<User> {
    actor.require_admin()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let u = users::find(tx, username).await?;
        let u = users::set_banned(tx, u.id, false).await?;
        record(tx, origin, actor.entry("admin.unban").subject(&u.username)).await?;
        Ok(u)
    })
    .await
}

/// Sets a new password and ends the user's sessions.
pub async fn reset_password(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    username: &str,
    password: &str,
) -> AppResult<User> {
    actor.require_admin()?;
    accounts::validate_password(password)?;
    let u = users::find(conn, username).await?;
    let hash = accounts::hash_password(password).await?;
    conn.transaction::<_, AppError, _>(async |tx| {
        users::set_password_hash(tx, u.id, &hash).await?;
        users::end_sessions(tx, u.id).await?;
        record(
            tx,
            origin,
            actor.entry("admin.reset_password").subject(&u.username),
        )
        .await?;
        Ok(u)
    })
    .await
}
