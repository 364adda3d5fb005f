//! Rows as Rust structs, one per aggregate.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub github_id: Option<i64>,
    pub github_login: Option<String>,
    pub is_admin: bool,
    pub is_official: bool,
    pub banned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub packages: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = packages)]
pub struct Package {
    pub id: i64,
    pub name: String,
    pub canonical_name: String,
    pub namespace: Option<String>,
    pub description: String,
    pub repository_url: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The upstream registry a mirrored package comes from; `None` when local.
    pub mirrored_from: Option<String>,
    /// When its owners deprecated it; `None` when it is not deprecated.
    pub deprecated_at: Option<DateTime<Utc>>,
    pub deprecation_message: Option<String>,
    /// The package to use instead, by name as published.
    pub deprecation_successor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = versions)]
pub struct Version {
    pub id: i64,
    pub package_id: i64,
    pub version: String,
    pub checksum: String,
    pub size_bytes: i64,
    pub description: String,
    pub repository_url: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub authors: Vec<String>,
    pub sema_version_req: Option<String>,
    pub entrypoint: Option<String>,
    pub published_by: Option<i64>,
    pub yanked: bool,
    pub yanked_at: Option<DateTime<Utc>>,
    pub published_at: DateTime<Utc>,
    /// False for a mirrored version whose tarball has not been fetched yet.
    pub stored: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dependencies)]
pub struct Dependency {
    pub version_id: i64,
    pub name: String,
    pub canonical_name: String,
    pub req: String,
    pub kind: String,
}
