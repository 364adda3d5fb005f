//! Publishing a version: validate the tarball, authorise, store the blob at
//! its content address, then record the version, its dependencies and its
//! audit row in one transaction. Any failure leaves no version row, and a
//! blob this attempt added that no version uses is deleted again.

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{record, Actor, Origin};
use crate::db::models::Package;
use crate::db::Pool;
use crate::domain::manifest::{self, Manifest};
use crate::domain::names::{PackageName, Version};
use crate::domain::tarball::{self, Limits};
use crate::error::{AppError, AppResult};
use crate::registry::publish::{self as store, Outcome, Published, Upload};
use crate::registry::upstream::Upstream;
use crate::storage::Storage;

/// Where a publish reads and writes.
pub struct Registry<'a> {
    pub pool: &'a Pool,
    pub storage: &'a Storage,
    /// The upstream registry when this one mirrors (the dependency-confusion guard).
    pub upstream: Option<&'a dyn Upstream>,
    pub limits: Limits,
}

/// Publishes `name@version` from `upload` as `actor` (a user; with a token,
/// `publish-new` or `publish-update` is needed). The same bytes again are an
/// idempotent success (`created: false`).
pub async fn publish(
    reg: Registry<'_>,
    actor: Actor<'_>,
    origin: &Origin,
    name: PackageName,
    version: Version,
    upload: Upload,
) -> AppResult<Outcome> {
    // A name upstream has becomes a mirrored package here, which nobody may
    // publish to (unless claimed).
    if let Some(up) = reg.upstream {
        up.resolve(&name.name).await?;
    }
    let mut conn = reg.pool.get().await?;
    if let Some(done) = authorise(&mut conn, actor, &name, &version, &upload).await? {
        return Ok(done);
    }
    drop(conn);
    let (manifest, readme) = inspect(&upload, reg.limits, &name, &version).await?;
    store::dependencies_exist(reg.pool, &manifest, reg.upstream).await?;
    let analysis = crate::registry::analyses::read(&upload.path).await;
    let stored = reg.storage.put_file(&upload.checksum, &upload.path).await?;
    let mut conn = reg.pool.get().await?;
    let new = New {
        name: &name,
        version: &version,
        upload: &upload,
        manifest: &manifest,
        readme: readme.as_deref(),
        analysis: &analysis,
    };
    let written = write(&mut conn, actor, origin, &new).await;
    if written.is_err() && stored {
        store::drop_unused_blob(&mut conn, reg.storage, &upload.checksum).await;
    }
    let (created, package_id) = written?;
    Ok(Outcome {
        created,
        package_id,
        body: Published {
            ok: true,
            package: name.name.clone(),
            version: version.raw.clone(),
            checksum: upload.checksum.clone(),
            size: upload.size,
        },
    })
}

/// The checks before any bytes are read: the name is usable, and the actor
/// may create it or update it. `Some` when the same bytes are published already.
async fn authorise(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    name: &PackageName,
    version: &Version,
    upload: &Upload,
) -> AppResult<Option<Outcome>> {
    let user = actor.user()?;
    store::not_removed(conn, name).await?;
    match store::find_package(conn, &name.canonical).await? {
        Some(pkg) => {
            store::not_mirrored(&pkg, name)?;
            may_update(conn, actor, &pkg).await?;
            store::already_published(conn, &pkg, name, version, upload).await
        }
        None => {
            actor.require_scope("publish-new", &name.canonical)?;
            store::check_namespace(conn, name, user).await?;
            Ok(None)
        }
    }
}

async fn may_update(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    pkg: &Package,
) -> AppResult<()> {
    crate::registry::packages::require_owner(conn, pkg, actor.user()?).await?;
    actor.require_scope("publish-update", &pkg.canonical_name)
}

/// The tarball's contents, checked on a blocking thread: its manifest and README.
async fn inspect(
    upload: &Upload,
    limits: Limits,
    name: &PackageName,
    version: &Version,
) -> AppResult<(Manifest, Option<String>)> {
    let path = upload.path.clone();
    let contents = tokio::task::spawn_blocking(move || tarball::inspect(&path, limits))
        .await
        .map_err(AppError::internal)??;
    let m = manifest::parse(&contents.manifest, name, version)?;
    Ok((m, contents.readme))
}

/// What one publish writes.
struct New<'a> {
    name: &'a PackageName,
    version: &'a Version,
    upload: &'a Upload,
    manifest: &'a Manifest,
    readme: Option<&'a str>,
    analysis: &'a crate::analysis::Report,
}

/// The package (when new), the version, its dependencies and the audit row, in
/// one transaction: `(created, package id)`.
async fn write(
    conn: &mut AsyncPgConnection,
    actor: Actor<'_>,
    origin: &Origin,
    new: &New<'_>,
) -> AppResult<(bool, i64)> {
    let user = actor.user()?;
    conn.transaction::<_, AppError, _>(async |tx| {
        let pkg = match store::insert_package(tx, new.name, new.manifest, user.id).await? {
            Some(pkg) => pkg,
            None => {
                // Created by someone else since we looked: authorise as an update.
                let pkg = store::find_package(tx, &new.name.canonical)
                    .await?
                    .ok_or_else(|| AppError::internal("package vanished"))?;
                may_update(tx, actor, &pkg).await?;
                pkg
            }
        };
        let (v, up, m) = (new.version, new.upload, new.manifest);
        let row = store::NewVersion {
            version: v,
            upload: up,
            manifest: m,
            readme: new.readme,
            published_by: user.id,
        };
        let Some(version_id) = store::insert_version(tx, pkg.id, &row).await? else {
            // A concurrent publish of the same version won the race.
            return match store::already_published(tx, &pkg, new.name, v, up).await? {
                Some(_) => Ok((false, pkg.id)),
                None => Err(AppError::internal("version conflict without a version row")),
            };
        };
        store::insert_dependencies(tx, version_id, m).await?;
        crate::registry::analyses::save(tx, version_id, new.analysis).await?;
        store::refresh_package(tx, &pkg, v, m, new.readme).await?;
        let event = actor
            .entry("version.publish")
            .package(pkg.id, &new.name.name)
            .version(&v.raw);
        record(tx, origin, event).await?;
        Ok((true, pkg.id))
    })
    .await
}
