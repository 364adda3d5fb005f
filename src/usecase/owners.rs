//! Owners: adding one invites them (only their acceptance makes them an
//! owner), removing one, and the invitee's answer.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::error::{AppError, AppResult};
use crate::registry::invitations::{self, Invited};
use crate::registry::packages as pkgs;

/// The scope a token needs for any owner change.
const SCOPE: &str = "change-owners";

/// The package `name`, if the actor owns it and (with a token) may change its
/// owners. The one check of every owner action; the pages also ask it before
/// showing a confirmation.
pub async fn owned_package(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    name: &str,
) -> AppResult<Package> {
    let pkg = pkgs::find(conn, name).await?;
    pkgs::require_owner(conn, &pkg, actor.user()?).await?;
    actor.require_scope(SCOPE, &pkg.canonical_name)?;
    Ok(pkg)
}

/// Invites `username` to own the package; inviting again renews the
/// invitation, and an owner already is one (nothing changes).
pub async fn add(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    username: &str,
) -> AppResult<(Package, Invited)> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = owned_package(tx, actor, name).await?;
        let by = actor.user()?;
        let user = pkgs::find_user(tx, username).await?;
        if pkgs::is_owner(tx, pkg.id, user.id).await? {
            return Ok((pkg, Invited::AlreadyOwner(user)));
        }
        let expires = invitations::insert(tx, pkg.id, user.id, by.id).await?;
        let event = actor
            .entry("owner.invite")
            .package(pkg.id, &pkg.name)
            .subject(&user.username);
        record(tx, origin, event).await?;
        Ok((pkg, Invited::Pending(user, expires)))
    })
    .await
}

/// Removes an owner; the last owner stays.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    username: &str,
) -> AppResult<Package> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = owned_package(tx, actor, name).await?;
        pkgs::remove_owner(tx, &pkg, username).await?;
        let event = actor
            .entry("owner.remove")
            .package(pkg.id, &pkg.name)
            .subject(username);
        record(tx, origin, event).await?;
        Ok(pkg)
    })
    .await
}

/// The invitee accepts (`true`: they become an owner) or declines their
/// unexpired invitation to the package.
pub async fn answer(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    accept: bool,
) -> AppResult<Package> {
    let user = actor.user()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = pkgs::find(tx, name).await?;
        actor.require_scope(SCOPE, &pkg.canonical_name)?;
        if !invitations::take(tx, pkg.id, user.id, accept).await? {
            return Err(AppError::not_found(format!(
                "you have no pending invitation to own {} (it may have expired)",
                pkg.name
            )));
        }
        let action = if accept {
            "owner.accept"
        } else {
            "owner.decline"
        };
        let event = actor
            .entry(action)
            .package(pkg.id, &pkg.name)
            .subject(&user.username);
        record(tx, origin, event).await?;
        Ok(pkg)
    })
    .await
}
