//! Package search. Ranking: exact canonical name first, then relevance, then
//! downloads, then name. Input of any shape is safe: it only ever reaches
//! Postgres as a bound parameter.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use super::names;
use crate::error::{AppError, AppResult};

pub const PER_PAGE_MAX: i64 = 100;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchResults {
    pub packages: Vec<Hit>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, diesel::QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub latest_version: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub downloads: i64,
    #[diesel(sql_type = BigInt)]
    pub recent_downloads: i64,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    pub keywords: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub exact_match: bool,
    #[diesel(sql_type = BigInt)]
    #[serde(skip)]
    pub total: i64,
}

fn int_param(raw: &Option<String>, name: &str, default: i64) -> AppResult<i64> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| AppError::bad_request(format!("{name} must be a positive integer"))),
    }
}

pub async fn search(conn: &mut AsyncPgConnection, p: &SearchParams) -> AppResult<SearchResults> {
    let page = int_param(&p.page, "page", 1)?.max(1);
    let per_page = int_param(&p.per_page, "per_page", 20)?.clamp(1, PER_PAGE_MAX);
    let q: String =
        p.q.as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .take(256)
            .collect();
    let sort = match p.sort.as_deref().unwrap_or(if q.is_empty() {
        "downloads"
    } else {
        "relevance"
    }) {
        "relevance" | "" => "relevance",
        "downloads" => "downloads",
        "recent-downloads" => "recent-downloads",
        "updated" => "updated",
        "new" => "new",
        "name" => "name",
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(AppError::bad_request(format!(
                "unknown sort {shown:?}; use relevance, downloads, recent-downloads, updated, new or name"
            )));
        }
    };
    let order = match sort {
        "downloads" => "downloads DESC, name",
        "recent-downloads" => "recent_downloads DESC, name",
        "updated" => "updated_at DESC, name",
        "new" => "created_at DESC, name",
        "name" => "canonical_name",
        _ => "exact_match DESC, rank DESC, recent_downloads DESC, canonical_name",
    };
    let offset = (page - 1).saturating_mul(per_page);
    let like = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let sql = format!(
        "WITH matched AS (
           SELECT p.id, p.name, p.canonical_name, p.description, p.keywords, p.updated_at, p.created_at,
                  p.canonical_name = $1 AS exact_match,
                  (CASE WHEN p.canonical_name LIKE $2 OR p.name ILIKE $2 THEN 2 ELSE 0 END
                   + CASE WHEN p.description ILIKE $2 THEN 1 ELSE 0 END
                   + CASE WHEN $3 = ANY (p.keywords) THEN 1 ELSE 0 END)::float8 AS rank
           FROM packages p
           WHERE $3 = '' OR p.canonical_name LIKE $2 OR p.name ILIKE $2 OR p.description ILIKE $2 OR $3 = ANY (p.keywords)
         ), counted AS (
           SELECT m.*,
                  COALESCE((SELECT SUM(d.downloads) FROM version_downloads d JOIN versions v ON v.id = d.version_id WHERE v.package_id = m.id), 0)::bigint AS downloads,
                  COALESCE((SELECT SUM(d.downloads) FROM version_downloads d JOIN versions v ON v.id = d.version_id WHERE v.package_id = m.id AND d.date > current_date - 90), 0)::bigint AS recent_downloads,
                  (SELECT v.version FROM versions v WHERE v.package_id = m.id AND NOT v.yanked ORDER BY v.published_at DESC LIMIT 1) AS latest_version,
                  count(*) OVER () AS total
           FROM matched m
         )
         SELECT name, description, latest_version, downloads, recent_downloads, keywords, updated_at, exact_match, total
         FROM counted ORDER BY {order} LIMIT $4 OFFSET $5"
    );
    let hits: Vec<Hit> = diesel::sql_query(sql)
        .bind::<Text, _>(names::canonical(&q))
        .bind::<Text, _>(&like.to_lowercase())
        .bind::<Text, _>(names::canonical(&q))
        .bind::<BigInt, _>(per_page)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    let total = match hits.as_slice().first() {
        Some(h) => h.total,
        None if offset > 0 => count(conn, &q, &like).await?,
        None => 0,
    };
    Ok(SearchResults {
        packages: hits,
        total,
        page,
        per_page,
    })
}

/// Honest totals for a page past the end.
async fn count(conn: &mut AsyncPgConnection, q: &str, like: &str) -> AppResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM packages p
         WHERE $2 = '' OR p.canonical_name LIKE $1 OR p.name ILIKE $1 OR p.description ILIKE $1 OR $2 = ANY (p.keywords)",
    )
    .bind::<Text, _>(like.to_lowercase())
    .bind::<Text, _>(names::canonical(q))
    .get_result(conn)
    .await?;
    Ok(n.n)
}
