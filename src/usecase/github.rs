//! What a GitHub identity means here: signing in, signing up, connecting and
//! disconnecting, each checked and recorded once. The OAuth round trip that
//! proves the identity is the transport's (`auth::github_oauth`).

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Origin};
use crate::audit::Entry;
use crate::auth::accounts;
use crate::auth::github_oauth::GithubUser;
use crate::db::models::User;
use crate::error::{AppError, AppResult};
use crate::registry::{namespaces, users};

/// What signing in with a GitHub identity led to.
pub enum Outcome {
    SignedIn(User),
    Linked(User),
    /// The GitHub login is taken here (or not a valid username): ask for another.
    ChooseUsername,
}

/// `current`: the signed-in user connecting GitHub from /account, if any.
/// `may_create`: whether a GitHub user without an account gets one (`REGISTRATION`).
pub async fn sign_in(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    gh: &GithubUser,
    current: Option<&User>,
    may_create: bool,
) -> AppResult<Outcome> {
    let owner = users::find_by_github_id(conn, gh.id).await?;
    if let Some(me) = current {
        return connect(conn, origin, gh, me, owner).await;
    }
    if let Some(u) = owner {
        let u = accounts::require_active(u)?;
        let event = Entry::new("session.sign_in")
            .by_user(Some(u.id), &u.username)
            .subject(&format!("github:{}", gh.login));
        record(conn, origin, event).await?;
        return Ok(Outcome::SignedIn(u));
    }
    if !may_create {
        return Err(AppError::forbidden(accounts::REGISTRATION_CLOSED));
    }
    if accounts::validate_username(&gh.login).is_err() {
        return Ok(Outcome::ChooseUsername);
    }
    match create(conn, origin, gh, &gh.login).await {
        Ok(u) => Ok(Outcome::SignedIn(u)),
        Err(AppError::Conflict(m)) if m.contains("username") => Ok(Outcome::ChooseUsername),
        Err(e) => Err(e),
    }
}

async fn connect(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    gh: &GithubUser,
    me: &User,
    owner: Option<User>,
) -> AppResult<Outcome> {
    match owner {
        Some(u) if u.id == me.id => Ok(Outcome::Linked(u)),
        Some(_) => Err(AppError::conflict(
            "that GitHub account is already connected to another sema-pkg account",
        )),
        None => {
            conn.transaction::<_, AppError, _>(async |tx| {
                let u = users::set_github(tx, me.id, Some((gh.id, &gh.login))).await?;
                let event = Entry::new("user.github_connect")
                    .by_user(Some(u.id), &u.username)
                    .subject(&gh.login);
                record(tx, origin, event).await?;
                Ok(Outcome::Linked(u))
            })
            .await
        }
    }
}

/// Signs up with GitHub under `username`: the account, its namespace and the
/// audit row in one transaction, after every GitHub call succeeded.
pub async fn create(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    gh: &GithubUser,
    username: &str,
) -> AppResult<User> {
    accounts::validate_username(username)?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let user = users::insert_from_github(tx, username, &gh.email, (gh.id, &gh.login)).await?;
        namespaces::claim_for_user(tx, user.id, &user.username)
            .await
            .map_err(|e| match e {
                AppError::Conflict(_) => AppError::conflict(
                    "that username is a package namespace that belongs to someone else",
                ),
                e => e,
            })?;
        let event = Entry::new("user.register")
            .by_user(Some(user.id), &user.username)
            .subject(&format!("github:{}", gh.login));
        record(tx, origin, event).await?;
        Ok(user)
    })
    .await
}

/// Disconnecting is allowed only with a password to sign in with afterwards.
pub async fn disconnect(
    conn: &mut AsyncPgConnection,
    origin: &Origin,
    user: &User,
) -> AppResult<()> {
    if user.password_hash.is_none() {
        return Err(AppError::conflict(
            "set a password before disconnecting GitHub, or you could not sign in again",
        ));
    }
    conn.transaction::<_, AppError, _>(async |tx| {
        let login = user.github_login.clone().unwrap_or_default();
        users::set_github(tx, user.id, None).await?;
        let event = Entry::new("user.github_disconnect")
            .by_user(Some(user.id), &user.username)
            .subject(&login);
        record(tx, origin, event).await
    })
    .await
}
