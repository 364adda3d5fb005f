//! Namespaces (`ns` in `ns/name`). A claimed namespace stays with its owner.
//! A username is its owner's namespace: an account and its namespace are
//! reserved together, in one transaction, so neither can be taken through the
//! other. A namespace claimed by a publish before anyone chose that username
//! stays with the publisher; the later sign-up gets the generic conflict.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::namespaces;
use crate::error::{AppError, AppResult};

/// The one answer to any clash at sign-up, so it reveals neither which
/// usernames nor which email addresses are registered.
pub const UNAVAILABLE: &str = "that username or email cannot be used: it is taken, or the username is a package namespace that belongs to someone else";

/// Reserves `username` as the namespace of `user_id`; run it in the
/// transaction that creates (or renames) the account.
pub async fn claim_for_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    username: &str,
) -> AppResult<()> {
    let ns = username.to_lowercase();
    diesel::insert_into(namespaces::table)
        .values((namespaces::name.eq(&ns), namespaces::owner_id.eq(user_id)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let owner: i64 = namespaces::table
        .find(&ns)
        .select(namespaces::owner_id)
        .first(conn)
        .await?;
    if owner != user_id {
        return Err(AppError::conflict(UNAVAILABLE));
    }
    Ok(())
}
