//! Mirrored metadata in Postgres: the same `packages`/`versions` rows as local
//! packages, marked with `mirrored_from`. A local package is never touched:
//! the upsert only updates rows that are already mirrored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::wire::UpstreamPackage;
use crate::db::schema::{dependencies, name_claims, packages, versions};
use crate::error::{AppError, AppResult};

/// What this registry holds under a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Published here (or removed here): upstream is never asked.
    Local,
    /// Claimed by an administrator for local use: upstream is never asked.
    Claimed,
    /// Mirrored, fetched at this time.
    Mirrored(DateTime<Utc>),
    Nothing,
}

pub async fn held(conn: &mut AsyncPgConnection, canonical: &str) -> AppResult<Held> {
    let row: Option<(Option<String>, Option<DateTime<Utc>>)> = packages::table
        .filter(packages::canonical_name.eq(canonical))
        .select((packages::mirrored_from, packages::fetched_at))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some((None, _)) => return Ok(Held::Local),
        Some((Some(_), at)) => return Ok(Held::Mirrored(at.unwrap_or_default())),
        None => {}
    }
    let claimed: bool = diesel::select(diesel::dsl::exists(
        name_claims::table.filter(name_claims::canonical_name.eq(canonical)),
    ))
    .get_result(conn)
    .await?;
    Ok(if claimed {
        Held::Claimed
    } else {
        Held::Nothing
    })
}

/// Marks a stale copy as checked now, so a vanished upstream package is not asked for on every read.
pub async fn touch(conn: &mut AsyncPgConnection, canonical: &str) -> AppResult<()> {
    diesel::update(
        packages::table
            .filter(packages::canonical_name.eq(canonical))
            .filter(packages::mirrored_from.is_not_null()),
    )
    .set(packages::fetched_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// What a refresh changed.
#[derive(Debug, Default)]
pub struct Saved {
    pub new_versions: usize,
    pub yank_changes: usize,
    /// Versions upstream now lists with another checksum: ours is kept (published versions never change).
    pub conflicts: Vec<String>,
}

/// Writes upstream's package in one transaction. `None` when the name is a
/// local package (it always wins).
pub async fn save(
    conn: &mut AsyncPgConnection,
    upstream_url: &str,
    p: &UpstreamPackage,
) -> AppResult<Option<Saved>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let id: Option<Id> = diesel::sql_query(
            "INSERT INTO packages (name, canonical_name, description, repository_url, homepage,
                 license, keywords, created_at, updated_at, mirrored_from, fetched_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()
             -- A claim made while upstream was being asked wins.
             WHERE NOT EXISTS (SELECT 1 FROM name_claims c WHERE c.canonical_name = $2)
             ON CONFLICT (canonical_name) DO UPDATE SET description = excluded.description,
                 repository_url = excluded.repository_url, homepage = excluded.homepage,
                 license = excluded.license, keywords = excluded.keywords,
                 updated_at = excluded.updated_at, mirrored_from = excluded.mirrored_from,
                 fetched_at = excluded.fetched_at
             WHERE packages.mirrored_from IS NOT NULL
             RETURNING id",
        )
        .bind::<Text, _>(&p.name.name)
        .bind::<Text, _>(&p.name.canonical)
        .bind::<Text, _>(&p.description)
        .bind::<Nullable<Text>, _>(&p.repository_url)
        .bind::<Nullable<Text>, _>(&p.homepage)
        .bind::<Nullable<Text>, _>(&p.license)
        .bind::<Array<Text>, _>(&p.keywords)
        .bind::<Timestamptz, _>(p.created_at)
        .bind::<Timestamptz, _>(p.updated_at)
        .bind::<Text, _>(upstream_url)
        .get_result(conn)
        .await
        .optional()?;
        let Some(Id { id }) = id else {
            return Ok(None);
        };
        Ok(Some(save_versions(conn, id, p).await?))
    })
    .await
}

async fn save_versions(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    p: &UpstreamPackage,
) -> AppResult<Saved> {
    let have: HashMap<String, (String, bool)> = versions::table
        .filter(versions::package_id.eq(package_id))
        .select((versions::version_key, versions::checksum, versions::yanked))
        .load::<(String, String, bool)>(conn)
        .await?
        .into_iter()
        .map(|(k, c, y)| (k, (c, y)))
        .collect();
    let mut saved = Saved::default();
    let mut rows = Vec::new();
    for v in &p.versions {
        match have.get(&v.version.key) {
            None => rows.push((
                versions::package_id.eq(package_id),
                versions::version.eq(&v.version.raw),
                versions::version_key.eq(&v.version.key),
                versions::checksum.eq(&v.checksum),
                versions::size_bytes.eq(v.size_bytes),
                versions::description.eq(&v.description),
                versions::license.eq(&v.license),
                versions::keywords.eq(&v.keywords),
                versions::sema_version_req.eq(&v.sema_version_req),
                versions::yanked.eq(v.yanked),
                versions::yanked_at.eq(v.yanked_at),
                versions::published_at.eq(v.published_at),
                versions::stored.eq(false),
            )),
            Some((checksum, _)) if checksum != &v.checksum => {
                saved.conflicts.push(v.version.raw.clone());
            }
            Some((_, yanked)) if *yanked != v.yanked => {
                diesel::update(
                    versions::table
                        .filter(versions::package_id.eq(package_id))
                        .filter(versions::version_key.eq(&v.version.key)),
                )
                .set((
                    versions::yanked.eq(v.yanked),
                    versions::yanked_at.eq(v.yanked_at),
                ))
                .execute(conn)
                .await?;
                saved.yank_changes += 1;
            }
            Some(_) => {}
        }
    }
    if rows.is_empty() {
        return Ok(saved);
    }
    saved.new_versions = rows.len();
    let ids: Vec<(i64, String)> = diesel::insert_into(versions::table)
        .values(rows)
        .returning((versions::id, versions::version_key))
        .get_results(conn)
        .await?;
    save_dependencies(conn, p, &ids).await?;
    Ok(saved)
}

/// The dependencies of newly saved versions (`ids`: id and version key).
async fn save_dependencies(
    conn: &mut AsyncPgConnection,
    p: &UpstreamPackage,
    ids: &[(i64, String)],
) -> AppResult<()> {
    let mut deps = Vec::new();
    for (id, key) in ids {
        let Some(v) = p.versions.iter().find(|v| &v.version.key == key) else {
            continue;
        };
        for (name, canonical, req, kind) in &v.deps {
            deps.push((
                dependencies::version_id.eq(*id),
                dependencies::name.eq(name),
                dependencies::canonical_name.eq(canonical),
                dependencies::req.eq(req),
                dependencies::kind.eq(*kind),
            ));
        }
    }
    if !deps.is_empty() {
        diesel::insert_into(dependencies::table)
            .values(deps)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Every mirrored version with this tarball now has it in the blob store.
pub async fn mark_stored(conn: &mut AsyncPgConnection, checksum: &str) -> AppResult<()> {
    diesel::update(
        versions::table
            .filter(versions::checksum.eq(checksum))
            .filter(versions::stored.eq(false)),
    )
    .set(versions::stored.eq(true))
    .execute(conn)
    .await?;
    Ok(())
}
