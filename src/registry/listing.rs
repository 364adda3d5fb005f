//! Read-only package listings for the web pages and feeds: front-page lists,
//! a user's packages, daily downloads, recent releases, sitemap entries.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, BigInt, Date, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::AppResult;

/// One package in a list.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Listed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Array<Text>)]
    pub keywords: Vec<String>,
    #[diesel(sql_type = BigInt)]
    pub downloads: i64,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Filled in by [`with_latest`]: semver precedence is not an SQL order.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub latest_version: Option<String>,
    /// Its owners deprecated it (lists mark it).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub deprecated: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum Order {
    Downloads,
    Updated,
    Created,
}

const LISTED: &str = "SELECT p.id, p.name, p.description, p.keywords, p.updated_at, p.created_at,
       p.deprecated_at IS NOT NULL AS deprecated, COALESCE(t.n, 0)::bigint AS downloads, NULL::text AS latest_version
FROM packages p
LEFT JOIN (SELECT v.package_id, SUM(d.downloads) AS n
           FROM version_downloads d JOIN versions v ON v.id = d.version_id
           GROUP BY v.package_id) t ON t.package_id = p.id
WHERE p.removed_at IS NULL";

/// The front page's lists.
pub async fn top(conn: &mut AsyncPgConnection, order: Order, limit: i64) -> AppResult<Vec<Listed>> {
    // The ORDER BY comes from this fixed set, never from input.
    let order = match order {
        Order::Downloads => "downloads DESC, p.canonical_name",
        Order::Updated => "p.updated_at DESC, p.canonical_name",
        Order::Created => "p.created_at DESC, p.canonical_name",
    };
    let rows: Vec<Listed> = diesel::sql_query(format!("{LISTED} ORDER BY {order} LIMIT $1"))
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    with_latest(conn, rows).await
}

/// Packages a user owns, by name.
pub async fn owned_by(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<Vec<Listed>> {
    let rows: Vec<Listed> = diesel::sql_query(format!(
        "{LISTED} AND p.id IN (SELECT package_id FROM package_owners WHERE user_id = $1)
         ORDER BY p.canonical_name"
    ))
    .bind::<BigInt, _>(user_id)
    .load(conn)
    .await?;
    with_latest(conn, rows).await
}

/// Sets each package's latest version: the highest non-yanked by semver.
async fn with_latest(
    conn: &mut AsyncPgConnection,
    mut rows: Vec<Listed>,
) -> AppResult<Vec<Listed>> {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = BigInt)]
        package_id: i64,
        #[diesel(sql_type = Text)]
        version: String,
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let versions: Vec<V> = diesel::sql_query(
        "SELECT package_id, version FROM versions WHERE package_id = ANY($1) AND NOT yanked",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .load(conn)
    .await?;
    let mut best: HashMap<i64, semver::Version> = HashMap::new();
    for v in versions {
        let Ok(s) = semver::Version::parse(&v.version) else {
            continue;
        };
        match best.get(&v.package_id) {
            Some(b) if *b >= s => {}
            _ => {
                best.insert(v.package_id, s);
            }
        }
    }
    for r in &mut rows {
        r.latest_version = best.get(&r.id).map(|v| v.to_string());
    }
    Ok(rows)
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub packages: i64,
    pub versions: i64,
    pub downloads: i64,
}

pub async fn counts(conn: &mut AsyncPgConnection) -> AppResult<Counts> {
    #[derive(diesel::QueryableByName)]
    struct C {
        #[diesel(sql_type = BigInt)]
        packages: i64,
        #[diesel(sql_type = BigInt)]
        versions: i64,
        #[diesel(sql_type = BigInt)]
        downloads: i64,
    }
    let c: C = diesel::sql_query(
        "SELECT (SELECT count(*) FROM packages WHERE removed_at IS NULL)::bigint AS packages,
                (SELECT count(*) FROM versions)::bigint AS versions,
                (SELECT COALESCE(SUM(downloads), 0) FROM version_downloads)::bigint AS downloads",
    )
    .get_result(conn)
    .await?;
    Ok(Counts {
        packages: c.packages,
        versions: c.versions,
        downloads: c.downloads,
    })
}

/// Downloads per day for the last `days` days (today included), oldest first,
/// with the days nobody downloaded as zero.
pub async fn daily_downloads(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    days: i64,
) -> AppResult<Vec<(NaiveDate, i64)>> {
    #[derive(diesel::QueryableByName)]
    struct D {
        #[diesel(sql_type = Date)]
        date: NaiveDate,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<D> = diesel::sql_query(
        "SELECT d.date, SUM(d.downloads)::bigint AS n
         FROM version_downloads d JOIN versions v ON v.id = d.version_id
         WHERE v.package_id = $1 AND d.date > current_date - $2::int
         GROUP BY d.date",
    )
    .bind::<BigInt, _>(package_id)
    .bind::<BigInt, _>(days)
    .load(conn)
    .await?;
    let by_day: HashMap<NaiveDate, i64> = rows.into_iter().map(|d| (d.date, d.n)).collect();
    let today = Utc::now().date_naive();
    Ok((0..days)
        .rev()
        .map(|ago| {
            let day = today - chrono::Duration::days(ago);
            (day, by_day.get(&day).copied().unwrap_or(0))
        })
        .collect())
}

/// One published version, for feeds.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Release {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub version: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub published_by: Option<String>,
}

/// The newest releases, of every package or of one.
pub async fn releases(
    conn: &mut AsyncPgConnection,
    package_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Release>> {
    Ok(diesel::sql_query(
        "SELECT p.name, v.version, v.description, v.published_at, u.username AS published_by
         FROM versions v JOIN packages p ON p.id = v.package_id
         LEFT JOIN users u ON u.id = v.published_by
         WHERE p.removed_at IS NULL AND ($1::bigint IS NULL OR v.package_id = $1)
         ORDER BY v.published_at DESC, v.id DESC LIMIT $2",
    )
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(package_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// A page of package names with their last change, by id, for the sitemap.
pub async fn sitemap_page(
    conn: &mut AsyncPgConnection,
    offset: i64,
    limit: i64,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Timestamptz)]
        updated_at: DateTime<Utc>,
    }
    let rows: Vec<S> = diesel::sql_query(
        "SELECT name, updated_at FROM packages WHERE removed_at IS NULL
             ORDER BY id LIMIT $1 OFFSET $2",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|s| (s.name, s.updated_at)).collect())
}
