//! A package's deprecation: its columns on the packages row (migration
//! 2026-12-20-000001), and the deprecation events the feeds show.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use crate::db::models::Package;
use crate::db::schema::packages;
use crate::error::AppResult;

/// A package's deprecation as it is read: what its owners said, the package
/// to use instead (by name as published), and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deprecated {
    pub message: String,
    pub successor: Option<String>,
    pub at: DateTime<Utc>,
}

impl Deprecated {
    /// From the row's columns; `None` when the package is not deprecated.
    pub fn from_columns(
        at: Option<DateTime<Utc>>,
        message: Option<String>,
        successor: Option<String>,
    ) -> Option<Deprecated> {
        Some(Deprecated {
            at: at?,
            message: message?,
            successor,
        })
    }

    pub fn of(pkg: &Package) -> Option<Deprecated> {
        Deprecated::from_columns(
            pkg.deprecated_at,
            pkg.deprecation_message.clone(),
            pkg.deprecation_successor.clone(),
        )
    }
}

/// The name as published of the package `canonical`, when it exists here
/// (removed packages do not).
pub async fn existing_name(
    conn: &mut AsyncPgConnection,
    canonical: &str,
) -> AppResult<Option<String>> {
    Ok(packages::table
        .filter(packages::canonical_name.eq(canonical))
        .filter(packages::removed_at.is_null())
        .select(packages::name)
        .first(conn)
        .await
        .optional()?)
}

/// Deprecates a package, or replaces what its deprecation says; keeps the
/// time it was first deprecated (as a yank keeps its `yanked_at`).
pub async fn set(
    conn: &mut AsyncPgConnection,
    package_id: i64,
    message: &str,
    successor: Option<&str>,
) -> AppResult<Deprecated> {
    let (at, message, successor): (Option<DateTime<Utc>>, Option<String>, Option<String>) =
        diesel::update(packages::table.find(package_id))
            .set((
                packages::deprecated_at.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                    "COALESCE(deprecated_at, now())",
                )),
                packages::deprecation_message.eq(message),
                packages::deprecation_successor.eq(successor),
            ))
            .returning((
                packages::deprecated_at,
                packages::deprecation_message,
                packages::deprecation_successor,
            ))
            .get_result(conn)
            .await?;
    Deprecated::from_columns(at, message, successor)
        .ok_or_else(|| crate::error::AppError::internal("the deprecation was not stored"))
}

/// Clears a package's deprecation; whether it was deprecated.
pub async fn clear(conn: &mut AsyncPgConnection, package_id: i64) -> AppResult<bool> {
    let n = diesel::update(
        packages::table
            .find(package_id)
            .filter(packages::deprecated_at.is_not_null()),
    )
    .set((
        packages::deprecated_at.eq(None::<DateTime<Utc>>),
        packages::deprecation_message.eq(None::<String>),
        packages::deprecation_successor.eq(None::<String>),
    ))
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// One deprecation or undeprecation, as the feeds show it (from the audit log).
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Change {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// `package.deprecate` or `package.undeprecate`.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// The message, as recorded (the audit subject keeps its first 256 characters).
    #[diesel(sql_type = Nullable<Text>)]
    pub message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// The newest deprecation changes, of every package or of one.
pub async fn changes(
    conn: &mut AsyncPgConnection,
    package_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Change>> {
    Ok(diesel::sql_query(
        "SELECT a.id, p.name, a.action, a.subject AS message, a.actor, a.at
         FROM audit_log a JOIN packages p ON p.id = a.package_id
         WHERE a.action IN ('package.deprecate', 'package.undeprecate')
           AND p.removed_at IS NULL AND ($1::bigint IS NULL OR a.package_id = $1)
         ORDER BY a.at DESC, a.id DESC LIMIT $2",
    )
    .bind::<Nullable<BigInt>, _>(package_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}
