//! Owner invitations: adding an owner invites them, and only their acceptance
//! makes them one. Until then they are not listed and have no rights. An
//! invitation lapses after 30 days (the database default) and is then ignored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use crate::db::models::User;
use crate::db::schema::{owner_invitations, package_owners, packages, users};
use crate::error::AppResult;

/// What adding `username` as an owner did.
pub enum Invited {
    /// They already own the package; nothing changed.
    AlreadyOwner(User),
    /// A new (or renewed) invitation, valid until the time given.
    Pending(User, DateTime<Utc>),
}

/// Inserts (or renews) the invitation of `user_id` to own `pkg_id`; returns
/// when it lapses.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    pkg_id: i64,
    user_id: i64,
    by_id: i64,
) -> AppResult<DateTime<Utc>> {
    Ok(diesel::sql_query(
        "INSERT INTO owner_invitations (package_id, user_id, invited_by) VALUES ($1, $2, $3)
         ON CONFLICT (package_id, user_id) DO UPDATE SET invited_by = EXCLUDED.invited_by,
           created_at = now(), expires_at = now() + interval '30 days'
         RETURNING expires_at",
    )
    .bind::<diesel::sql_types::BigInt, _>(pkg_id)
    .bind::<diesel::sql_types::BigInt, _>(user_id)
    .bind::<diesel::sql_types::BigInt, _>(by_id)
    .get_result::<Expires>(conn)
    .await?
    .expires_at)
}

#[derive(QueryableByName)]
struct Expires {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    expires_at: DateTime<Utc>,
}

/// A pending invitation, as its invitee sees it (fields in `pending`'s select order).
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Invitation {
    /// The package's name as published.
    pub package: String,
    /// Who invited; `null` when that account is gone.
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The user's unexpired invitations, newest first.
pub async fn pending(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<Vec<Invitation>> {
    Ok(owner_invitations::table
        .inner_join(packages::table)
        .left_join(users::table.on(users::id.nullable().eq(owner_invitations::invited_by)))
        .filter(owner_invitations::user_id.eq(user_id))
        .filter(owner_invitations::expires_at.gt(diesel::dsl::now))
        .filter(packages::removed_at.is_null())
        .order(owner_invitations::created_at.desc())
        .select((
            packages::name,
            users::username.nullable(),
            owner_invitations::created_at,
            owner_invitations::expires_at,
        ))
        .load(conn)
        .await?)
}

/// Deletes the user's unexpired invitation to the package and, when
/// `accept`, makes them an owner; false when there was none.
pub async fn take(
    conn: &mut AsyncPgConnection,
    pkg_id: i64,
    user_id: i64,
    accept: bool,
) -> AppResult<bool> {
    let deleted = diesel::delete(
        owner_invitations::table
            .find((pkg_id, user_id))
            .filter(owner_invitations::expires_at.gt(diesel::dsl::now)),
    )
    .execute(conn)
    .await?;
    if deleted == 1 && accept {
        diesel::insert_into(package_owners::table)
            .values((
                package_owners::package_id.eq(pkg_id),
                package_owners::user_id.eq(user_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(deleted == 1)
}
