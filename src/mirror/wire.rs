//! Upstream metadata as it arrives (`GET /api/v1/packages/{name}` of this
//! project, or the reference server's shape), checked before any of it is
//! kept: names, versions, checksums, sizes and requirements must be what a
//! local publish would have accepted.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::MirrorError;
use crate::domain::names::{PackageName, Version};

/// Upstreams with more versions than this for one package are refused.
const VERSIONS_MAX: usize = 10_000;
const TEXT_MAX: usize = 4096;

#[derive(Deserialize)]
struct Wire {
    package: WirePackage,
    versions: Vec<WireVersion>,
}

#[derive(Deserialize)]
struct WirePackage {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    repository_url: Option<String>,
    #[serde(default)]
    homepage: Option<String>,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct WireVersion {
    version: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    yanked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    sema_version_req: Option<String>,
    size_bytes: i64,
    published_at: DateTime<Utc>,
    #[serde(alias = "checksum_sha256")]
    checksum: String,
    #[serde(default)]
    dependencies: Vec<WireDep>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Deserialize)]
struct WireDep {
    name: String,
    req: String,
    #[serde(default = "registry_kind")]
    kind: String,
}

fn registry_kind() -> String {
    "registry".into()
}

/// A package as upstream describes it, checked.
pub struct UpstreamPackage {
    pub name: PackageName,
    pub description: String,
    pub repository_url: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub versions: Vec<UpstreamVersion>,
}

pub struct UpstreamVersion {
    pub version: Version,
    pub yanked: bool,
    pub yanked_at: Option<DateTime<Utc>>,
    pub sema_version_req: Option<String>,
    pub size_bytes: i64,
    pub published_at: DateTime<Utc>,
    pub checksum: String,
    pub description: String,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    /// `(name, canonical, req, kind)`
    pub deps: Vec<Dep>,
}

fn clip(s: Option<String>) -> String {
    s.unwrap_or_default().chars().take(TEXT_MAX).collect()
}

fn clip_opt(s: Option<String>) -> Option<String> {
    s.map(|s| s.chars().take(TEXT_MAX).collect())
}

fn words(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .take(32)
        .map(|k| k.chars().take(64).collect())
        .collect()
}

type Dep = (String, String, String, &'static str);

/// A version's dependencies as upstream lists them, checked like a manifest's.
fn dependencies(list: Vec<WireDep>, asked: &str, version: &str) -> Result<Vec<Dep>, MirrorError> {
    let bad = |m: String| MirrorError::BadUpstream(m);
    let mut deps: Vec<Dep> = Vec::new();
    for d in list.into_iter().take(1000) {
        let (kind, canonical) = match d.kind.as_str() {
            "registry" => {
                let n = PackageName::parse(&d.name)
                    .map_err(|e| bad(format!("{asked}@{version} depends on {:?}: {e}", d.name)))?;
                ("registry", n.canonical)
            }
            "git" => ("git", d.name.to_ascii_lowercase()),
            other => return Err(bad(format!("{asked} has a dependency of kind {other:?}"))),
        };
        if deps.iter().any(|(n, ..)| n == &d.name) || d.req.len() > 256 {
            continue;
        }
        deps.push((d.name, canonical, d.req, kind));
    }
    Ok(deps)
}

/// A version's checksum, size and Sema requirement; returns the requirement, trimmed.
fn check_version(
    v: &WireVersion,
    asked: &str,
    version: &str,
    max_size: u64,
) -> Result<Option<String>, MirrorError> {
    let bad = |what: &str| MirrorError::BadUpstream(format!("{asked}@{version} has {what}"));
    let hex_ok = v.checksum.len() == 64
        && v.checksum
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_ok {
        return Err(bad("a malformed checksum"));
    }
    if v.size_bytes < 0 || v.size_bytes as u64 > max_size {
        return Err(bad("an impossible size"));
    }
    let req = v
        .sema_version_req
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if req.is_some_and(|r| r.len() > 128 || semver::VersionReq::parse(r).is_err()) {
        return Err(bad("an invalid sema_version_req"));
    }
    Ok(req.map(str::to_string))
}

/// Checks upstream's answer for the package `asked` (canonical).
pub fn parse(
    json: serde_json::Value,
    asked: &str,
    max_size: u64,
) -> Result<UpstreamPackage, MirrorError> {
    let bad = |m: String| MirrorError::BadUpstream(m);
    let w: Wire = serde_json::from_value(json).map_err(|e| {
        bad(format!(
            "its metadata for {asked} has an unexpected shape: {e}"
        ))
    })?;
    let name = PackageName::parse(&w.package.name)
        .map_err(|e| bad(format!("it names a package {:?}: {e}", w.package.name)))?;
    if name.canonical != asked {
        return Err(bad(format!(
            "it answered {} when asked for {asked}",
            name.name
        )));
    }
    if w.versions.len() > VERSIONS_MAX {
        return Err(bad(format!(
            "{asked} has more than {VERSIONS_MAX} versions"
        )));
    }
    let mut versions: Vec<UpstreamVersion> = Vec::with_capacity(w.versions.len());
    for v in w.versions {
        let version = Version::parse(&v.version)
            .map_err(|e| bad(format!("{asked} lists a version {:?}: {e}", v.version)))?;
        // `1.0.0+a` and `1.0.0+b` are one version here too: the first listed wins.
        if versions.iter().any(|o| o.version.key == version.key) {
            continue;
        }
        let req = check_version(&v, asked, &version.raw, max_size)?;
        let deps = dependencies(v.dependencies, asked, &version.raw)?;
        versions.push(UpstreamVersion {
            version,
            yanked: v.yanked,
            yanked_at: v.yanked.then(|| v.yanked_at.unwrap_or_else(Utc::now)),
            sema_version_req: req,
            size_bytes: v.size_bytes,
            published_at: v.published_at,
            checksum: v.checksum,
            description: clip(v.description),
            license: clip_opt(v.license),
            keywords: words(v.keywords),
            deps,
        });
    }
    let now = Utc::now();
    Ok(UpstreamPackage {
        name,
        description: clip(w.package.description),
        repository_url: clip_opt(w.package.repository_url),
        homepage: clip_opt(w.package.homepage),
        license: clip_opt(w.package.license),
        keywords: words(w.package.keywords),
        created_at: w.package.created_at.unwrap_or(now),
        updated_at: w.package.updated_at.unwrap_or(now),
        versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(checksum: &str, version: &str) -> serde_json::Value {
        json!({"package": {"name": "Json", "description": "d"}, "owners": ["a"], "versions": [
            {"version": version, "yanked": false, "size_bytes": 10, "published_at": "2026-01-01T00:00:00Z",
             "checksum": checksum, "dependencies": [{"name": "util", "req": "1.0.0", "kind": "registry"}]}]})
    }

    #[test]
    fn a_good_answer_is_kept_and_a_bad_one_is_refused() {
        let sum = "a".repeat(64);
        let p = parse(meta(&sum, "1.0.0"), "json", 100).expect("valid");
        assert_eq!(p.name.name, "Json");
        assert_eq!(p.versions[0].deps[0].1, "util");
        assert!(
            parse(meta(&sum, "1.0.0"), "other", 100).is_err(),
            "another name"
        );
        assert!(
            parse(meta("abc", "1.0.0"), "json", 100).is_err(),
            "short checksum"
        );
        assert!(
            parse(meta(&"A".repeat(64), "1.0.0"), "json", 100).is_err(),
            "uppercase hex"
        );
        assert!(parse(meta(&sum, "v1"), "json", 100).is_err(), "not semver");
        assert!(
            parse(meta(&sum, "1.0.0"), "json", 5).is_err(),
            "larger than the limit"
        );
        assert!(
            parse(json!({"versions": []}), "json", 100).is_err(),
            "no package"
        );
    }
}
