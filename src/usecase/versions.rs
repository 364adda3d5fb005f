//! Yanking and unyanking a version.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::error::{AppError, AppResult};
use crate::registry::packages as pkgs;

/// Yanks (`true`) or unyanks a version; idempotent. An owner may (with the
/// `yank` scope when using a token); an administrator may yank any package's.
pub async fn set_yanked(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    version: &str,
    yanked: bool,
) -> AppResult<Package> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = pkgs::find(tx, name).await?;
        let action = match actor {
            Actor::User { user, .. } => {
                pkgs::require_owner(tx, &pkg, user).await?;
                actor.require_scope("yank", &pkg.canonical_name)?;
                if yanked {
                    "version.yank"
                } else {
                    "version.unyank"
                }
            }
            Actor::Admin(_) | Actor::Cli => {
                actor.require_admin()?;
                if yanked {
                    "admin.yank"
                } else {
                    "admin.unyank"
                }
            }
        };
        pkgs::set_yanked(tx, &pkg, version, yanked).await?;
        let event = actor
            .entry(action)
            .package(pkg.id, &pkg.name)
            .version(version);
        record(tx, origin, event).await?;
        Ok(pkg)
    })
    .await
}
