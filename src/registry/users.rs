//! Accounts in Postgres: creating, finding, and the admin flags.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::models::User;
use crate::db::schema::{sessions, users};
use crate::error::{AppError, AppResult};

pub use super::packages::find_user as find;

/// A new account; `taken` is the refusal when the username or email is used.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    username: &str,
    email: &str,
    password_hash: &str,
    is_admin: bool,
    taken: &str,
) -> AppResult<User> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::email.eq(email),
            users::password_hash.eq(password_hash),
            users::is_admin.eq(is_admin),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match crate::db::is_unique_violation(&e) {
            true => AppError::conflict(taken),
            false => e.into(),
        })
}

/// The account whose username or email is `login` (lowercase).
pub async fn find_by_login(conn: &mut AsyncPgConnection, login: &str) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(
            diesel::dsl::sql::<Bool>("(lower(username) = ")
                .bind::<Text, _>(login)
                .sql(" OR lower(email) = ")
                .bind::<Text, _>(login)
                .sql(")"),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn set_admin(conn: &mut AsyncPgConnection, id: i64, value: bool) -> AppResult<User> {
    Ok(diesel::update(users::table.find(id))
        .set(users::is_admin.eq(value))
        .returning(User::as_returning())
        .get_result(conn)
        .await?)
}

/// Suspends (`true`, from now) or lifts a suspension.
pub async fn set_banned(conn: &mut AsyncPgConnection, id: i64, banned: bool) -> AppResult<User> {
    let at = banned.then(chrono::Utc::now);
    Ok(diesel::update(users::table.find(id))
        .set(users::banned_at.eq(at))
        .returning(User::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn set_password_hash(conn: &mut AsyncPgConnection, id: i64, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (session state stores the user id as JSON
/// text); returns how many ended.
pub async fn end_sessions(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<usize> {
    Ok(diesel::delete(sessions::table)
        .filter(
            diesel::dsl::sql::<Bool>("state->>'user_id' = ").bind::<Text, _>(user_id.to_string()),
        )
        .execute(conn)
        .await?)
}

/// The account a GitHub identity is connected to.
pub async fn find_by_github_id(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(users::github_id.eq(id))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Connects (`Some((id, login))`) or disconnects a GitHub identity.
pub async fn set_github(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    github: Option<(i64, &str)>,
) -> AppResult<User> {
    Ok(diesel::update(users::table.find(user_id))
        .set((
            users::github_id.eq(github.map(|g| g.0)),
            users::github_login.eq(github.map(|g| g.1)),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await?)
}

/// A new account signed up with GitHub (no password yet).
pub async fn insert_from_github(
    conn: &mut AsyncPgConnection,
    username: &str,
    email: &str,
    github: (i64, &str),
) -> AppResult<User> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::email.eq(email),
            users::github_id.eq(github.0),
            users::github_login.eq(github.1),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match &e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                info,
            ) => match info.constraint_name() {
                Some("users_email_lower") => AppError::conflict(
                    "an account with your GitHub email already exists: sign in with its password and connect GitHub from your account page",
                ),
                Some("users_github_id_key") => {
                    AppError::conflict("that GitHub account is already connected")
                }
                _ => AppError::conflict("that username is taken"),
            },
            _ => e.into(),
        })
}
