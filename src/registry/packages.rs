//! Reading packages and the owner actions on them (yank, owners).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use crate::db::models::{Dependency, Package, User, Version};
use crate::db::schema::{
    dependencies, package_owners, packages, users, version_downloads, versions,
};
use crate::domain::names::PackageName;
use crate::error::{AppError, AppResult};
use crate::registry::deprecations::Deprecated;

pub async fn find(conn: &mut AsyncPgConnection, name: &str) -> AppResult<Package> {
    // Any spelling that canonicalises to a package finds it; a malformed name cannot exist.
    let canonical = PackageName::parse(name)
        .map(|n| n.canonical)
        .unwrap_or_default();
    packages::table
        .filter(packages::canonical_name.eq(canonical))
        .filter(packages::removed_at.is_null())
        .select(Package::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("package {:?} not found", truncate(name, 80))))
}

pub async fn find_version(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    version: &str,
) -> AppResult<Version> {
    versions::table
        .filter(versions::package_id.eq(pkg.id))
        .filter(versions::version.eq(version))
        .select(Version::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| {
            AppError::not_found(format!("{}@{} not found", pkg.name, truncate(version, 80)))
        })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

pub async fn owners(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<Vec<User>> {
    Ok(package_owners::table
        .inner_join(users::table)
        .filter(package_owners::package_id.eq(package_id))
        .order(package_owners::created_at.asc())
        .select(User::as_select())
        .load(conn)
        .await?)
}

pub async fn is_owner(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    user_id: i64,
) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        package_owners::table
            .filter(package_owners::package_id.eq(package_id))
            .filter(package_owners::user_id.eq(user_id)),
    ))
    .get_result(conn)
    .await?)
}

pub async fn require_owner(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    user: &User,
) -> AppResult<()> {
    if is_owner(conn, pkg.id, user.id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "you are not an owner of {}",
            pkg.name
        )))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DependencyInfo {
    pub name: String,
    pub req: String,
    pub kind: String,
}

/// One version as the API shows it: the CLI's fields first, then ours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: String,
    pub yanked: bool,
    pub sema_version_req: Option<String>,
    pub size_bytes: i64,
    pub published_at: DateTime<Utc>,
    pub checksum: String,
    pub dependencies: Vec<DependencyInfo>,
    pub downloads: i64,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub description: String,
    pub yanked_at: Option<DateTime<Utc>>,
    pub published_by: Option<String>,
}

/// Every version of a package, newest published first, with dependencies and
/// download totals, in three queries.
pub async fn version_infos(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
) -> AppResult<Vec<VersionInfo>> {
    let rows: Vec<(Version, Option<String>)> = versions::table
        .left_join(users::table.on(users::id.nullable().eq(versions::published_by)))
        .filter(versions::package_id.eq(pkg.id))
        .order((versions::published_at.desc(), versions::id.desc()))
        .select((Version::as_select(), users::username.nullable()))
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(v, _)| v.id).collect();
    let deps: Vec<Dependency> = dependencies::table
        .filter(dependencies::version_id.eq_any(&ids))
        .order((dependencies::version_id, dependencies::name))
        .select(Dependency::as_select())
        .load(conn)
        .await?;
    let totals: Vec<(i64, Option<i64>)> = version_downloads::table
        .filter(version_downloads::version_id.eq_any(&ids))
        .group_by(version_downloads::version_id)
        .select((
            version_downloads::version_id,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "SUM(downloads)::bigint",
            ),
        ))
        .load(conn)
        .await?;
    let totals: HashMap<i64, i64> = totals
        .into_iter()
        .map(|(id, n)| (id, n.unwrap_or(0)))
        .collect();
    let mut by_version: HashMap<i64, Vec<DependencyInfo>> = HashMap::new();
    for d in deps {
        by_version
            .entry(d.version_id)
            .or_default()
            .push(DependencyInfo {
                name: d.name,
                req: d.req,
                kind: d.kind,
            });
    }
    Ok(rows
        .into_iter()
        .map(|(v, by)| VersionInfo {
            dependencies: by_version.remove(&v.id).unwrap_or_default(),
            downloads: totals.get(&v.id).copied().unwrap_or(0),
            version: v.version,
            yanked: v.yanked,
            sema_version_req: v.sema_version_req,
            size_bytes: v.size_bytes,
            published_at: v.published_at,
            checksum: v.checksum,
            license: v.license,
            keywords: v.keywords,
            description: v.description,
            yanked_at: v.yanked_at,
            published_by: by,
        })
        .collect())
}

/// The highest non-yanked version by semver precedence (what `add` picks).
pub fn latest(versions: &[VersionInfo]) -> Option<&VersionInfo> {
    versions
        .iter()
        .filter(|v| !v.yanked)
        .filter_map(|v| semver::Version::parse(&v.version).ok().map(|s| (s, v)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageSummary {
    pub name: String,
    pub description: String,
    pub repository_url: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The upstream registry this package is mirrored from; null for a local package.
    pub mirrored_from: Option<String>,
    /// Its owners' deprecation; null when it is not deprecated.
    pub deprecated: Option<Deprecated>,
}

/// The contract's shape: `package{…}`, `owners` as strings, top-level `versions`.
#[derive(Debug, Clone, Serialize)]
pub struct PackageDetail {
    #[serde(skip)]
    pub package_id: i64,
    pub package: PackageSummary,
    pub owners: Vec<String>,
    pub versions: Vec<VersionInfo>,
}

/// `detail` in one statement (the uncached metadata path runs it on every
/// miss): the package, its owners, and its versions as JSON with their
/// dependencies and download totals.
const DETAIL_SQL: &str = "
SELECT p.id, p.name, p.description, p.repository_url, p.homepage, p.license, p.keywords,
       p.created_at, p.updated_at, p.mirrored_from,
       p.deprecated_at, p.deprecation_message, p.deprecation_successor,
       ARRAY(SELECT u.username FROM package_owners po JOIN users u ON u.id = po.user_id
             WHERE po.package_id = p.id ORDER BY po.created_at) AS owners,
       COALESCE((
         SELECT json_agg(json_build_object(
                  'version', v.version, 'yanked', v.yanked, 'sema_version_req', v.sema_version_req,
                  'size_bytes', v.size_bytes, 'published_at', v.published_at, 'checksum', v.checksum,
                  'dependencies', ARRAY(SELECT json_build_object('name', d.name, 'req', d.req, 'kind', d.kind)
                                        FROM dependencies d WHERE d.version_id = v.id ORDER BY d.name),
                  'downloads', (SELECT COALESCE(SUM(vd.downloads), 0) FROM version_downloads vd
                                WHERE vd.version_id = v.id),
                  'license', v.license, 'keywords', v.keywords, 'description', v.description,
                  'yanked_at', v.yanked_at, 'published_by', pu.username)
                ORDER BY v.published_at DESC, v.id DESC)
         FROM versions v LEFT JOIN users pu ON pu.id = v.published_by
         WHERE v.package_id = p.id), '[]')::text AS versions
FROM packages p WHERE p.canonical_name = $1 AND p.removed_at IS NULL";

#[derive(diesel::QueryableByName)]
struct DetailRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    description: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    repository_url: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    homepage: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    license: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    keywords: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    mirrored_from: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    deprecated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    deprecation_message: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    deprecation_successor: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    owners: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    versions: String,
}

pub async fn detail(conn: &mut AsyncPgConnection, name: &str) -> AppResult<PackageDetail> {
    // Any spelling that canonicalises to a package finds it; a malformed name cannot exist.
    let canonical = PackageName::parse(name)
        .map(|n| n.canonical)
        .unwrap_or_default();
    let row: DetailRow = diesel::sql_query(DETAIL_SQL)
        .bind::<diesel::sql_types::Text, _>(canonical)
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(|| {
            AppError::not_found(format!("package {:?} not found", truncate(name, 80)))
        })?;
    let versions: Vec<VersionInfo> =
        serde_json::from_str(&row.versions).map_err(AppError::internal)?;
    Ok(PackageDetail {
        package_id: row.id,
        package: PackageSummary {
            latest_version: latest(&versions).map(|v| v.version.clone()),
            downloads: versions.iter().map(|v| v.downloads).sum(),
            name: row.name,
            description: row.description,
            repository_url: row.repository_url,
            homepage: row.homepage,
            license: row.license,
            keywords: row.keywords,
            created_at: row.created_at,
            updated_at: row.updated_at,
            mirrored_from: row.mirrored_from,
            deprecated: Deprecated::from_columns(
                row.deprecated_at,
                row.deprecation_message,
                row.deprecation_successor,
            ),
        },
        owners: row.owners,
        versions,
    })
}

/// Packages whose versions depend on this one, with the versions they ask for.
pub async fn dependents(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
) -> AppResult<Vec<DependentInfo>> {
    let rows: Vec<(String, String, String)> = dependencies::table
        .inner_join(versions::table.inner_join(packages::table))
        .filter(dependencies::canonical_name.eq(&pkg.canonical_name))
        .filter(dependencies::kind.eq("registry"))
        .order((packages::canonical_name, versions::published_at.desc()))
        .select((packages::name, versions::version, dependencies::req))
        .load(conn)
        .await?;
    let mut out: Vec<DependentInfo> = Vec::new();
    for (name, version, req) in rows {
        match out.last_mut() {
            Some(d) if d.name == name => d.versions.push(DependentVersion { version, req }),
            _ => out.push(DependentInfo {
                name,
                versions: vec![DependentVersion { version, req }],
            }),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct DependentInfo {
    pub name: String,
    pub versions: Vec<DependentVersion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DependentVersion {
    pub version: String,
    pub req: String,
}

pub async fn readme(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    version: Option<&str>,
) -> AppResult<(String, Option<String>)> {
    let mut q = versions::table
        .filter(versions::package_id.eq(pkg.id))
        .into_boxed();
    if let Some(v) = version {
        q = q.filter(versions::version.eq(v.to_string()));
    }
    let rows: Vec<(String, bool, Option<String>)> = q
        .select((versions::version, versions::yanked, versions::readme))
        .load(conn)
        .await?;
    // Without a version: the README of the latest non-yanked version (else the newest).
    let pick = rows
        .iter()
        .filter_map(|r| semver::Version::parse(&r.0).ok().map(|s| (!r.1, s, r)))
        .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
        .map(|(_, _, r)| r.clone());
    let (v, _, text) = pick.ok_or_else(|| AppError::not_found("no such version"))?;
    Ok((v, text))
}

/// Marks a version yanked or not. Idempotent.
pub async fn set_yanked(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    version: &str,
    yanked: bool,
) -> AppResult<()> {
    let v = find_version(conn, pkg, version).await?;
    diesel::update(versions::table.find(v.id))
        .set((
            versions::yanked.eq(yanked),
            versions::yanked_at.eq(if yanked {
                v.yanked_at.or(Some(Utc::now()))
            } else {
                None
            }),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes an owner; the last owner stays. The owner rows are locked first, so
/// two owners removing each other at once cannot leave none.
pub async fn remove_owner(
    conn: &mut AsyncPgConnection,
    pkg: &Package,
    username: &str,
) -> AppResult<()> {
    let user = find_user(conn, username).await?;
    let pkg_id = pkg.id;
    conn.transaction::<_, AppError, _>(async move |conn| {
        let ids: Vec<i64> = package_owners::table
            .filter(package_owners::package_id.eq(pkg_id))
            .select(package_owners::user_id)
            .for_update()
            .load(conn)
            .await?;
        if !ids.contains(&user.id) {
            return Err(AppError::not_found(format!(
                "{} is not an owner",
                user.username
            )));
        }
        if ids.len() == 1 {
            return Err(AppError::conflict(
                "cannot remove the last owner; add another owner first",
            ));
        }
        diesel::delete(package_owners::table.find((pkg_id, user.id)))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

pub async fn find_user(conn: &mut AsyncPgConnection, username: &str) -> AppResult<User> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(username) = ")
                .bind::<diesel::sql_types::Text, _>(username.to_lowercase()),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("user {:?} not found", truncate(username, 40))))
}

/// Deletes a package's versions and owners and keeps its row as a tombstone,
/// so nobody else can take the name.
pub async fn tombstone(conn: &mut AsyncPgConnection, id: i64) -> AppResult<()> {
    diesel::delete(versions::table.filter(versions::package_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::delete(package_owners::table.filter(package_owners::package_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::update(packages::table.find(id))
        .set(packages::removed_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether `canonical` is a package published here (not a mirrored copy).
pub async fn is_local(conn: &mut AsyncPgConnection, canonical: &str) -> AppResult<bool> {
    let mirrored_from: Option<Option<String>> = packages::table
        .filter(packages::canonical_name.eq(canonical))
        .select(packages::mirrored_from)
        .first(conn)
        .await
        .optional()?;
    Ok(matches!(mirrored_from, Some(None)))
}

/// Reserves `name` for local publishing (idempotent) and deletes a mirrored
/// copy held under it.
pub async fn claim_name(
    conn: &mut AsyncPgConnection,
    name: &PackageName,
    by: &str,
) -> AppResult<()> {
    use crate::db::schema::name_claims;
    diesel::insert_into(name_claims::table)
        .values((
            name_claims::canonical_name.eq(&name.canonical),
            name_claims::name.eq(&name.name),
            name_claims::claimed_by.eq(by),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::delete(
        packages::table
            .filter(packages::canonical_name.eq(&name.canonical))
            .filter(packages::mirrored_from.is_not_null()),
    )
    .execute(conn)
    .await?;
    Ok(())
}
