//! Deprecating a package, and undoing it.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::domain::deprecation::Deprecation;
use crate::error::{AppError, AppResult};
use crate::registry::deprecations::{self, Deprecated};
use crate::registry::packages as pkgs;

/// What an owner asks for: a message and, optionally, the package to use instead.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub message: &'a str,
    pub successor: Option<&'a str>,
}

/// Deprecates the package `name` (`Some`: again replaces the message and the
/// successor) or undoes its deprecation (`None`, idempotent). An owner may,
/// with the `yank` scope when using a token: like a yank, it tells users to
/// move on and takes nothing away. A mirrored package's deprecation is
/// upstream's to say, so it is refused here. Answers the package and its
/// deprecation now.
pub async fn set_deprecated(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    name: &str,
    request: Option<Request<'_>>,
) -> AppResult<(Package, Option<Deprecated>)> {
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = pkgs::find(tx, name).await?;
        if let Some(upstream) = &pkg.mirrored_from {
            return Err(AppError::conflict(format!(
                "{} is mirrored from {upstream}; only its upstream registry can deprecate it",
                pkg.name
            )));
        }
        pkgs::require_owner(tx, &pkg, actor.user()?).await?;
        actor.require_scope("yank", &pkg.canonical_name)?;
        let Some(request) = request else {
            if deprecations::clear(tx, pkg.id).await? {
                let event = actor
                    .entry("package.undeprecate")
                    .package(pkg.id, &pkg.name);
                record(tx, origin, event).await?;
            }
            return Ok((pkg, None));
        };
        let rule = Deprecation::parse(&pkg.canonical_name, request.message, request.successor)?;
        let successor = match &rule.successor {
            None => None,
            Some(s) => Some(
                deprecations::existing_name(tx, &s.canonical)
                    .await?
                    .ok_or_else(|| {
                        AppError::unprocessable(format!(
                            "the successor {:?} is not a package here",
                            s.name
                        ))
                    })?,
            ),
        };
        let now = deprecations::set(tx, pkg.id, &rule.message, successor.as_deref()).await?;
        // The subject keeps the message for the feeds (its first 256 characters).
        let event = actor
            .entry("package.deprecate")
            .package(pkg.id, &pkg.name)
            .subject(&rule.message);
        record(tx, origin, event).await?;
        Ok((pkg, Some(now)))
    })
    .await
}
