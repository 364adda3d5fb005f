//! What a publish reads and writes in Postgres; the steps and their order
//! are the use case's (`usecase::publish`). An orphan blob is harmless and
//! `doctor` lists them.

use std::path::PathBuf;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use super::upstream::Upstream;
use crate::db::models::{Package, User};
use crate::db::schema::{dependencies, namespaces, package_owners, packages, users, versions};
use crate::db::Pool;
use crate::domain::manifest::{DepKind, Manifest};
use crate::domain::names::{self, PackageName, Version};
use crate::error::{AppError, AppResult};
use crate::storage::Storage;

/// An upload spooled to a temporary file, hashed on the way in.
pub struct Upload {
    pub path: PathBuf,
    pub checksum: String,
    pub size: u64,
}

/// The publish response; a byte-identical re-publish answers the same body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Published {
    pub ok: bool,
    pub package: String,
    pub version: String,
    pub checksum: String,
    pub size: u64,
}

pub struct Outcome {
    /// False when the same bytes were already published (an idempotent retry).
    pub created: bool,
    pub package_id: i64,
    pub body: Published,
}

/// Refuses a name that was removed here: it is never reused.
pub async fn not_removed(conn: &mut AsyncPgConnection, name: &PackageName) -> AppResult<()> {
    let removed: Option<Option<chrono::DateTime<chrono::Utc>>> = packages::table
        .filter(packages::canonical_name.eq(&name.canonical))
        .select(packages::removed_at)
        .first(conn)
        .await
        .optional()?;
    if removed.flatten().is_some() {
        return Err(AppError::forbidden(format!(
            "the name {} was removed from this registry and cannot be reused",
            name.name
        )));
    }
    Ok(())
}

/// A version row to insert.
pub struct NewVersion<'a> {
    pub version: &'a Version,
    pub upload: &'a Upload,
    pub manifest: &'a Manifest,
    pub readme: Option<&'a str>,
    pub published_by: i64,
}

/// Inserts the version; `None` when it exists already (a concurrent publish).
pub async fn insert_version(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    v: &NewVersion<'_>,
) -> AppResult<Option<i64>> {
    let m = v.manifest;
    Ok(diesel::insert_into(versions::table)
        .values((
            versions::package_id.eq(package_id),
            versions::version.eq(&v.version.raw),
            versions::version_key.eq(&v.version.key),
            versions::checksum.eq(&v.upload.checksum),
            versions::size_bytes.eq(v.upload.size as i64),
            versions::description.eq(&m.description),
            versions::repository_url.eq(&m.repository),
            versions::homepage.eq(&m.homepage),
            versions::license.eq(&m.license),
            versions::keywords.eq(&m.keywords),
            versions::authors.eq(&m.authors),
            versions::sema_version_req.eq(&m.sema_version_req),
            versions::entrypoint.eq(&m.entrypoint),
            versions::readme.eq(v.readme),
            versions::published_by.eq(v.published_by),
        ))
        .on_conflict_do_nothing()
        .returning(versions::id)
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn insert_dependencies(
    conn: &mut AsyncPgConnection,
    version_id: i64,
    manifest: &Manifest,
) -> AppResult<()> {
    let deps: Vec<_> = manifest
        .deps
        .iter()
        .map(|d| {
            (
                dependencies::version_id.eq(version_id),
                dependencies::name.eq(&d.name),
                dependencies::canonical_name.eq(match d.kind {
                    DepKind::Registry => names::canonical(&d.name),
                    DepKind::Git => d.name.to_ascii_lowercase(),
                }),
                dependencies::req.eq(&d.req),
                dependencies::kind.eq(d.kind.as_str()),
            )
        })
        .collect();
    if !deps.is_empty() {
        diesel::insert_into(dependencies::table)
            .values(deps)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Leaves nothing half-written: deletes the blob `checksum` unless a version uses it.
pub async fn drop_unused_blob(conn: &mut AsyncPgConnection, storage: &Storage, checksum: &str) {
    let used: bool = diesel::select(diesel::dsl::exists(
        versions::table.filter(versions::checksum.eq(checksum)),
    ))
    .get_result(conn)
    .await
    .unwrap_or(true);
    if !used {
        let _ = storage.delete(checksum).await;
    }
}

pub async fn find_package(
    conn: &mut AsyncPgConnection,
    canonical: &str,
) -> AppResult<Option<Package>> {
    Ok(packages::table
        .filter(packages::canonical_name.eq(canonical))
        .select(Package::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The version (or a `+build` twin) exists: the same bytes are an idempotent
/// success, anything else a conflict.
pub async fn already_published(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    name: &PackageName,
    version: &Version,
    upload: &Upload,
) -> AppResult<Option<Outcome>> {
    let row: Option<(String, String, i64)> = versions::table
        .filter(versions::package_id.eq(pkg.id))
        .filter(versions::version_key.eq(&version.key))
        .select((versions::version, versions::checksum, versions::size_bytes))
        .first(conn)
        .await
        .optional()?;
    let Some((existing, checksum, size)) = row else {
        return Ok(None);
    };
    if existing != version.raw {
        return Err(AppError::conflict(format!(
            "{}@{} conflicts with the published {existing}: versions that differ only in build metadata are the same version",
            pkg.name, version.raw
        )));
    }
    if checksum != upload.checksum {
        return Err(AppError::conflict(format!(
            "{}@{} is already published with different contents; versions are immutable, so publish a new version",
            pkg.name, version.raw
        )));
    }
    Ok(Some(Outcome {
        created: false,
        package_id: pkg.id,
        body: Published {
            ok: true,
            package: name.name.clone(),
            version: existing,
            checksum,
            size: size as u64,
        },
    }))
}

/// `ns/…`: the namespace must be the publisher's, or free. A claimed
/// namespace is its owner's alone, even when someone later registers the same
/// username (registration refuses that; see `namespaces`). An unclaimed one
/// equal to another user's name is theirs (accounts from before names were
/// reserved with their namespace).
pub async fn check_namespace(
    conn: &mut AsyncPgConnection,
    name: &PackageName,
    user: &User,
) -> AppResult<()> {
    let Some(ns) = name.namespace() else {
        return Ok(());
    };
    let owner: Option<i64> = namespaces::table
        .find(ns)
        .select(namespaces::owner_id)
        .first(conn)
        .await
        .optional()?;
    let owner = match owner {
        Some(id) => Some(id),
        None => users::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(username) = ")
                    .bind::<diesel::sql_types::Text, _>(ns),
            )
            .select(users::id)
            .first(conn)
            .await
            .optional()?,
    };
    if owner.is_some_and(|id| id != user.id) {
        return Err(AppError::forbidden(format!(
            "the namespace {ns:?} belongs to another user; only they can create packages in it"
        )));
    }
    Ok(())
}

/// Inserts the package (and its namespace) with the publisher as owner; `None`
/// when it already exists.
pub async fn insert_package(
    conn: &mut AsyncPgConnection,
    name: &PackageName,
    m: &Manifest,
    user_id: i64,
) -> AppResult<Option<Package>> {
    if let Some(ns) = name.namespace() {
        diesel::insert_into(namespaces::table)
            .values((namespaces::name.eq(ns), namespaces::owner_id.eq(user_id)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let owner: i64 = namespaces::table
            .find(ns)
            .select(namespaces::owner_id)
            .first(conn)
            .await?;
        if owner != user_id {
            return Err(AppError::forbidden(format!(
                "the namespace {ns:?} belongs to another user"
            )));
        }
    }
    let pkg: Option<Package> = diesel::insert_into(packages::table)
        .values((
            packages::name.eq(&name.name),
            packages::canonical_name.eq(&name.canonical),
            packages::namespace.eq(name.namespace()),
            packages::description.eq(&m.description),
            packages::repository_url.eq(&m.repository),
            packages::homepage.eq(&m.homepage),
            packages::license.eq(&m.license),
            packages::keywords.eq(&m.keywords),
        ))
        .on_conflict_do_nothing()
        .returning(Package::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if let Some(p) = &pkg {
        diesel::insert_into(package_owners::table)
            .values((
                package_owners::package_id.eq(p.id),
                package_owners::user_id.eq(user_id),
            ))
            .execute(conn)
            .await?;
    }
    Ok(pkg)
}

/// Every registry dependency names a published version here; local packages
/// may depend on mirrored versions, so the mirror is asked for missing ones.
pub async fn dependencies_exist(
    pool: &Pool,
    manifest: &Manifest,
    upstream: Option<&dyn Upstream>,
) -> AppResult<()> {
    let mut conn = pool.get().await?;
    let missing = check_dependencies(&mut conn, manifest).await?;
    drop(conn);
    let Some(up) = upstream.filter(|_| !missing.is_empty()) else {
        return match missing.as_slice() {
            [first, ..] => Err(missing_dependency(manifest, first, None)),
            [] => Ok(()),
        };
    };
    for name in &missing {
        up.resolve(name).await?;
    }
    let mut conn = pool.get().await?;
    let still = check_dependencies(&mut conn, manifest).await?;
    match still.as_slice() {
        [first, ..] => Err(missing_dependency(manifest, first, Some(up.url()))),
        [] => Ok(()),
    }
}

/// The 409 for publishing to a name upstream has (held here as a mirrored package).
pub fn not_mirrored(pkg: &Package, name: &PackageName) -> AppResult<()> {
    let Some(upstream) = &pkg.mirrored_from else {
        return Ok(());
    };
    Err(AppError::conflict(format!(
        "{} exists on the upstream registry {upstream}, which this registry mirrors; publishing it here would shadow the upstream package (dependency confusion). An administrator can claim the name for local use with `sema-pkg package claim {}` or in /admin",
        name.name, name.name
    )))
}

fn missing_dependency(m: &Manifest, canonical: &str, upstream: Option<&str>) -> AppError {
    let req = m
        .deps
        .iter()
        .find(|d| names::canonical(&d.name) == canonical)
        .map(|d| d.req.as_str())
        .unwrap_or_default();
    let where_ = match upstream {
        Some(u) => format!("on this registry or its upstream {u}"),
        None => "on this registry".into(),
    };
    AppError::unprocessable(format!(
        "sema.toml: dependency {canonical}@{req} is not published {where_}"
    ))
}

/// Registry dependencies must name published versions, so installs resolve:
/// the canonical names of those that do not.
async fn check_dependencies(conn: &mut AsyncPgConnection, m: &Manifest) -> AppResult<Vec<String>> {
    let wanted: Vec<(String, &str)> = m
        .deps
        .iter()
        .filter(|d| d.kind == DepKind::Registry)
        .map(|d| (names::canonical(&d.name), d.req.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let canon: Vec<&String> = wanted.iter().map(|(c, _)| c).collect();
    let have: Vec<(String, String)> = versions::table
        .inner_join(packages::table)
        .filter(packages::canonical_name.eq_any(canon))
        .select((packages::canonical_name, versions::version))
        .load(conn)
        .await?;
    Ok(wanted
        .iter()
        .filter(|(c, req)| !have.iter().any(|(hc, hv)| hc == c && hv == req))
        .map(|(c, _)| c.clone())
        .collect())
}

/// The package's searchable fields (README included) follow its highest version.
pub async fn refresh_package(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    new: &Version,
    m: &Manifest,
    readme: Option<&str>,
) -> AppResult<()> {
    let all: Vec<String> = versions::table
        .filter(versions::package_id.eq(pkg.id))
        .select(versions::version)
        .load(conn)
        .await?;
    let highest = all
        .iter()
        .filter_map(|v| semver::Version::parse(v).ok())
        .max();
    let now = chrono::Utc::now();
    if highest.is_none_or(|h| new.semver >= h) {
        diesel::update(packages::table.find(pkg.id))
            .set((
                packages::description.eq(&m.description),
                packages::repository_url.eq(&m.repository),
                packages::homepage.eq(&m.homepage),
                packages::license.eq(&m.license),
                packages::keywords.eq(&m.keywords),
                packages::readme.eq(super::search::readme_excerpt(readme)),
                packages::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    } else {
        diesel::update(packages::table.find(pkg.id))
            .set(packages::updated_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(())
}
