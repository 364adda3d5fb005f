//! The JSON the API sends for packages, versions, publishes and invitations:
//! the wire contract the `sema` CLI reads, with its OpenAPI schemas. Built
//! from the registry's read models, so renaming a field there cannot change
//! what a client receives.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::registry::{deprecations, invitations, packages, publish};

#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyInfo {
    pub name: String,
    pub req: String,
    pub kind: String,
}

/// One version: the CLI's fields first, then ours.
#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
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
    /// Its owners' deprecation; null when it is not deprecated. A deprecated
    /// package still installs.
    pub deprecated: Option<Deprecation>,
}

/// A package's deprecation, as its owners set it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deprecation {
    /// Why, and what to do instead (1–500 characters).
    pub message: String,
    /// The package to use instead, by name as published; null when none is named.
    pub successor: Option<String>,
    /// When it was first deprecated.
    pub at: DateTime<Utc>,
}

/// The contract's shape: `package{…}`, `owners` as strings, top-level `versions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageDetail {
    pub package: PackageSummary,
    pub owners: Vec<String>,
    pub versions: Vec<VersionInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DependentInfo {
    pub name: String,
    pub versions: Vec<DependentVersion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DependentVersion {
    pub version: String,
    pub req: String,
}

/// The publish response; a byte-identical re-publish answers the same body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub ok: bool,
    pub package: String,
    pub version: String,
    pub checksum: String,
    pub size: u64,
}

/// A pending invitation, as its invitee sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    /// The package's name as published.
    pub package: String,
    /// Who invited; `null` when that account is gone.
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<packages::DependencyInfo> for DependencyInfo {
    fn from(d: packages::DependencyInfo) -> Self {
        DependencyInfo {
            name: d.name,
            req: d.req,
            kind: d.kind,
        }
    }
}

impl From<packages::VersionInfo> for VersionInfo {
    fn from(v: packages::VersionInfo) -> Self {
        VersionInfo {
            version: v.version,
            yanked: v.yanked,
            sema_version_req: v.sema_version_req,
            size_bytes: v.size_bytes,
            published_at: v.published_at,
            checksum: v.checksum,
            dependencies: v.dependencies.into_iter().map(Into::into).collect(),
            downloads: v.downloads,
            license: v.license,
            keywords: v.keywords,
            description: v.description,
            yanked_at: v.yanked_at,
            published_by: v.published_by,
        }
    }
}

impl From<packages::PackageSummary> for PackageSummary {
    fn from(p: packages::PackageSummary) -> Self {
        PackageSummary {
            name: p.name,
            description: p.description,
            repository_url: p.repository_url,
            homepage: p.homepage,
            license: p.license,
            keywords: p.keywords,
            latest_version: p.latest_version,
            downloads: p.downloads,
            created_at: p.created_at,
            updated_at: p.updated_at,
            mirrored_from: p.mirrored_from,
            deprecated: p.deprecated.map(Into::into),
        }
    }
}

impl From<packages::PackageDetail> for PackageDetail {
    fn from(d: packages::PackageDetail) -> Self {
        PackageDetail {
            package: d.package.into(),
            owners: d.owners,
            versions: d.versions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<packages::DependentInfo> for DependentInfo {
    fn from(d: packages::DependentInfo) -> Self {
        DependentInfo {
            name: d.name,
            versions: (d.versions.into_iter())
                .map(|v| DependentVersion {
                    version: v.version,
                    req: v.req,
                })
                .collect(),
        }
    }
}

impl From<publish::Published> for Published {
    fn from(p: publish::Published) -> Self {
        Published {
            ok: p.ok,
            package: p.package,
            version: p.version,
            checksum: p.checksum,
            size: p.size,
        }
    }
}

impl From<invitations::Invitation> for Invitation {
    fn from(i: invitations::Invitation) -> Self {
        Invitation {
            package: i.package,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

impl From<deprecations::Deprecated> for Deprecation {
    fn from(d: deprecations::Deprecated) -> Self {
        Deprecation {
            message: d.message,
            successor: d.successor,
            at: d.at,
        }
    }
}
