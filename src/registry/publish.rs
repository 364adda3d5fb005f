//! Publishing a version: validate the tarball, authorise, store the blob at its
//! content address, then record everything in one transaction. Any failure
//! leaves no version row; an orphan blob is harmless and `doctor` lists them.

use std::path::PathBuf;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use super::manifest::{self, DepKind, Manifest};
use super::names::{self, PackageName, Version};
use super::tarball::{self, Limits};
use crate::db::models::{Package, User};
use crate::db::schema::{dependencies, namespaces, package_owners, packages, users, versions};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::storage::Storage;

/// An upload spooled to a temporary file, hashed on the way in.
pub struct Upload {
    pub path: PathBuf,
    pub checksum: String,
    pub size: u64,
}

/// The publish response; a byte-identical re-publish answers the same body.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
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

/// Who publishes, and what their credential allows (`scope`, canonical name).
pub struct Publisher<'a> {
    pub user: &'a User,
    pub allows: &'a (dyn Fn(&str, &str) -> AppResult<()> + Sync),
}

pub async fn publish(
    pool: &Pool,
    storage: &Storage,
    limits: Limits,
    name: PackageName,
    version: Version,
    upload: Upload,
    publisher: Publisher<'_>,
) -> AppResult<Outcome> {
    let mut conn = pool.get().await?;
    let removed: Option<Option<chrono::DateTime<chrono::Utc>>> = packages::table
        .filter(packages::canonical_name.eq(&name.canonical))
        .select(packages::removed_at)
        .first(&mut conn)
        .await
        .optional()?;
    if removed.flatten().is_some() {
        return Err(AppError::forbidden(format!(
            "the name {} was removed from this registry and cannot be reused",
            name.name
        )));
    }
    let existing = find_package(&mut conn, &name.canonical).await?;
    if let Some(pkg) = &existing {
        authorise_update(&mut conn, pkg, &publisher).await?;
        if let Some(done) = already_published(&mut conn, pkg, &name, &version, &upload).await? {
            return Ok(done);
        }
    } else {
        (publisher.allows)("publish-new", &name.canonical)?;
        check_namespace(&mut conn, &name, publisher.user).await?;
    }
    drop(conn);

    let path = upload.path.clone();
    let contents = tokio::task::spawn_blocking(move || tarball::inspect(&path, limits))
        .await
        .map_err(AppError::internal)??;
    let manifest = manifest::parse(&contents.manifest, &name, &version)?;
    let mut conn = pool.get().await?;
    check_dependencies(&mut conn, &manifest).await?;
    drop(conn);

    let stored = storage.put_file(&upload.checksum, &upload.path).await?;

    let mut conn = pool.get().await?;
    let user_id = publisher.user.id;
    let readme = contents.readme;
    let body = Published {
        ok: true,
        package: name.name.clone(),
        version: version.raw.clone(),
        checksum: upload.checksum.clone(),
        size: upload.size,
    };
    let allows = publisher.allows;
    let created = conn
        .transaction::<_, AppError, _>(async |conn| {
            let pkg = match insert_package(conn, &name, &manifest, user_id).await? {
                Some(pkg) => pkg,
                None => {
                    // Created by someone else since we looked: authorise as an update.
                    let pkg = find_package(conn, &name.canonical)
                        .await?
                        .ok_or_else(|| AppError::internal("package vanished"))?;
                    authorise_update(
                        conn,
                        &pkg,
                        &Publisher {
                            user: publisher.user,
                            allows,
                        },
                    )
                    .await?;
                    pkg
                }
            };
            let inserted: Option<i64> = diesel::insert_into(versions::table)
                .values((
                    versions::package_id.eq(pkg.id),
                    versions::version.eq(&version.raw),
                    versions::version_key.eq(&version.key),
                    versions::checksum.eq(&upload.checksum),
                    versions::size_bytes.eq(upload.size as i64),
                    versions::description.eq(&manifest.description),
                    versions::repository_url.eq(&manifest.repository),
                    versions::homepage.eq(&manifest.homepage),
                    versions::license.eq(&manifest.license),
                    versions::keywords.eq(&manifest.keywords),
                    versions::authors.eq(&manifest.authors),
                    versions::sema_version_req.eq(&manifest.sema_version_req),
                    versions::entrypoint.eq(&manifest.entrypoint),
                    versions::readme.eq(&readme),
                    versions::published_by.eq(user_id),
                ))
                .on_conflict_do_nothing()
                .returning(versions::id)
                .get_result(conn)
                .await
                .optional()?;
            let Some(version_id) = inserted else {
                // A concurrent publish of the same version won the race.
                return match already_published(conn, &pkg, &name, &version, &upload).await? {
                    Some(_) => Ok((false, pkg.id)),
                    None => Err(AppError::internal("version conflict without a version row")),
                };
            };
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
            refresh_package(conn, &pkg, &version, &manifest, readme.as_deref()).await?;
            Ok((true, pkg.id))
        })
        .await;
    match created {
        Ok((created, package_id)) => Ok(Outcome {
            created,
            package_id,
            body,
        }),
        Err(e) => {
            // Leave nothing half-written: drop a blob this attempt added that no version uses.
            if stored {
                let used: bool = diesel::select(diesel::dsl::exists(
                    versions::table.filter(versions::checksum.eq(&upload.checksum)),
                ))
                .get_result(&mut conn)
                .await
                .unwrap_or(true);
                if !used {
                    let _ = storage.delete(&upload.checksum).await;
                }
            }
            Err(e)
        }
    }
}

async fn find_package(conn: &mut AsyncPgConnection, canonical: &str) -> AppResult<Option<Package>> {
    Ok(packages::table
        .filter(packages::canonical_name.eq(canonical))
        .select(Package::as_select())
        .first(conn)
        .await
        .optional()?)
}

async fn authorise_update(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    p: &Publisher<'_>,
) -> AppResult<()> {
    super::packages::require_owner(conn, pkg, p.user).await?;
    (p.allows)("publish-update", &pkg.canonical_name)
}

/// The version (or a `+build` twin) exists: the same bytes are an idempotent
/// success, anything else a conflict.
async fn already_published(
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

/// `ns/…`: the namespace must be free, or the publisher's. A namespace equal to
/// someone's username is theirs alone.
async fn check_namespace(
    conn: &mut AsyncPgConnection,
    name: &PackageName,
    user: &User,
) -> AppResult<()> {
    let Some(ns) = name.namespace() else {
        return Ok(());
    };
    let namesake: Option<i64> = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(username) = ")
                .bind::<diesel::sql_types::Text, _>(ns),
        )
        .select(users::id)
        .first(conn)
        .await
        .optional()?;
    if namesake.is_some_and(|id| id != user.id) {
        return Err(AppError::forbidden(format!(
            "the namespace {ns:?} belongs to the user {ns:?}"
        )));
    }
    let owner: Option<i64> = namespaces::table
        .find(ns)
        .select(namespaces::owner_id)
        .first(conn)
        .await
        .optional()?;
    if owner.is_some_and(|id| id != user.id) {
        return Err(AppError::forbidden(format!(
            "the namespace {ns:?} belongs to another user; only they can create packages in it"
        )));
    }
    Ok(())
}

/// Inserts the package (and its namespace) with the publisher as owner; `None`
/// when it already exists.
async fn insert_package(
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

/// Registry dependencies must name published versions, so installs resolve.
async fn check_dependencies(conn: &mut AsyncPgConnection, m: &Manifest) -> AppResult<()> {
    let wanted: Vec<(String, &str)> = m
        .deps
        .iter()
        .filter(|d| d.kind == DepKind::Registry)
        .map(|d| (names::canonical(&d.name), d.req.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let canon: Vec<&String> = wanted.iter().map(|(c, _)| c).collect();
    let have: Vec<(String, String)> = versions::table
        .inner_join(packages::table)
        .filter(packages::canonical_name.eq_any(canon))
        .select((packages::canonical_name, versions::version))
        .load(conn)
        .await?;
    for (c, req) in &wanted {
        if !have.iter().any(|(hc, hv)| hc == c && hv == req) {
            return Err(AppError::unprocessable(format!(
                "sema.toml: dependency {c}@{req} is not published on this registry"
            )));
        }
    }
    Ok(())
}

/// The package's searchable fields (README included) follow its highest version.
async fn refresh_package(
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
