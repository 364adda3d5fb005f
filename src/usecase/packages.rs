//! Operator actions on packages: remove a package, claim a name for local
//! publishing. The command line and /admin call the same functions.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::domain::names::PackageName;
use crate::error::{AppError, AppResult};
use crate::registry::packages as pkgs;

/// Deletes a package's versions and owners and marks it removed: the row
/// stays as a tombstone so nobody else can take the name.
pub async fn remove_package(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
) -> AppResult<Package> {
    actor.require_admin()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = pkgs::find(tx, name).await?;
        let id = pkg.id;
        pkgs::tombstone(tx, id).await?;
        record(
            tx,
            origin,
            actor.entry("admin.remove").package(id, &pkg.name),
        )
        .await?;
        Ok(pkg)
    })
    .await
}

/// Claims `name` for local use: the dependency-confusion guard lets a local
/// publish take it, the mirror no longer looks it up, and a mirrored copy
/// held under it is deleted (its blobs become orphans). Idempotent.
pub async fn claim_name(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
) -> AppResult<String> {
    actor.require_admin()?;
    let name = PackageName::parse(name)?;
    let by = match actor {
        Actor::Admin(u) | Actor::User { user: u, .. } => u.username.clone(),
        Actor::Cli => "admin-cli".to_string(),
    };
    conn.transaction::<_, AppError, _>(async |tx| {
        if pkgs::is_local(tx, &name.canonical).await? {
            return Err(AppError::conflict(format!(
                "{} is already a local package here; there is nothing to claim",
                name.name
            )));
        }
        pkgs::claim_name(tx, &name, &by).await?;
        record(tx, origin, actor.entry("admin.claim").subject(&name.name)).await?;
        Ok(name.name.clone())
    })
    .await
}
