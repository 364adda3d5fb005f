//! The admin view's listings of users and packages, and the LIKE pattern
//! they (and the audit log's filter) share.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::models::User;
use crate::db::schema::{packages, users};
use crate::error::AppResult;

/// One page of a listing, with the total for paging.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// `%text%` for LIKE, with the pattern characters in `text` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Users whose name or email contains `q` (case-insensitive), by name.
pub async fn list_users(
    conn: &mut AsyncPgConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Listing<User>> {
    let pattern = contains_pattern(q.trim());
    let matching = || {
        users::table
            .filter(
                users::username
                    .ilike(pattern.clone())
                    .or(users::email.ilike(pattern.clone())),
            )
            .into_boxed()
    };
    let total = matching().count().get_result(conn).await?;
    let rows = matching()
        .order(users::username.asc())
        .limit(limit)
        .offset(offset)
        .select(User::as_select())
        .load(conn)
        .await?;
    Ok(Listing { rows, total })
}

/// A package as the admin view lists it, removed ones included.
#[derive(Debug, Clone, QueryableByName)]
pub struct PackageRow {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub versions: i64,
    #[diesel(sql_type = Text)]
    pub owners: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Packages whose canonical name contains `q` (any spelling), by name.
pub async fn list_packages(
    conn: &mut AsyncPgConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Listing<PackageRow>> {
    let pattern = contains_pattern(&crate::domain::names::canonical(q.trim()));
    let total = packages::table
        .filter(packages::canonical_name.like(pattern.clone()))
        .count()
        .get_result(conn)
        .await?;
    let rows = diesel::sql_query(
        "SELECT p.name, p.created_at, p.removed_at,
                (SELECT count(*) FROM versions v WHERE v.package_id = p.id) AS versions,
                COALESCE((SELECT string_agg(u.username, ', ' ORDER BY o.created_at)
                          FROM package_owners o JOIN users u ON u.id = o.user_id
                          WHERE o.package_id = p.id), '') AS owners
         FROM packages p
         WHERE p.canonical_name LIKE $1
         ORDER BY p.canonical_name
         LIMIT $2 OFFSET $3",
    )
    .bind::<Text, _>(pattern)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
    .await?;
    Ok(Listing { rows, total })
}
