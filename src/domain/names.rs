//! Package names (`name` or `ns/name`) and versions.

use super::{DomainError, DomainResult};

/// Last segments that would clash with routes under `/packages/{name}/…`.
pub const RESERVED: &[&str] = &[
    "owners",
    "versions",
    "download",
    "yank",
    "unyank",
    "readme",
    "dependents",
    "dependencies",
    "stats",
    "capabilities",
    "activity",
    "feed",
    "settings",
    "deprecate",
    "undeprecate",
    "webhooks",
];

pub const SEGMENT_MAX: usize = 64;

/// A validated package name. `name` is as published; `canonical` is the form
/// uniqueness and lookups use (lowercase, `_` → `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageName {
    pub name: String,
    pub canonical: String,
}

impl PackageName {
    pub fn parse(raw: &str) -> DomainResult<PackageName> {
        let segments: Vec<&str> = raw.split('/').collect();
        if segments.len() > 2 {
            return Err(invalid(raw, "a name has at most one `/` (namespace/name)"));
        }
        for seg in &segments {
            validate_segment(raw, seg)?;
        }
        let last = canonical(segments[segments.len() - 1]);
        if RESERVED.contains(&last.as_str()) {
            return Err(invalid(raw, &format!("`{last}` is reserved")));
        }
        Ok(PackageName {
            name: raw.to_string(),
            canonical: canonical(raw),
        })
    }

    /// The canonical namespace of `ns/name`.
    pub fn namespace(&self) -> Option<&str> {
        self.canonical.split_once('/').map(|(ns, _)| ns)
    }
}

fn validate_segment(raw: &str, seg: &str) -> DomainResult<()> {
    if seg.is_empty() || seg.len() > SEGMENT_MAX {
        return Err(invalid(raw, "each part must be 1-64 characters"));
    }
    if !seg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(raw, "use only letters, digits, `-` and `_`"));
    }
    let first = seg.chars().next().unwrap_or('-');
    let last = seg.chars().last().unwrap_or('-');
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err(invalid(
            raw,
            "each part must start and end with a letter or digit",
        ));
    }
    Ok(())
}

fn invalid(raw: &str, why: &str) -> DomainError {
    let shown: String = raw.chars().take(80).collect();
    DomainError::invalid(format!("invalid package name {shown:?}: {why}"))
}

/// Lowercase with `_` → `-`: `My_Pkg` and `my-pkg` are one name.
pub fn canonical(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// A strict semver version, plus its key without build metadata (versions that
/// differ only in `+build` conflict).
#[derive(Debug, Clone)]
pub struct Version {
    pub raw: String,
    pub semver: semver::Version,
    pub key: String,
}

impl Version {
    pub fn parse(raw: &str) -> DomainResult<Version> {
        if raw.len() > 128 {
            return Err(DomainError::invalid(
                "invalid version: at most 128 characters",
            ));
        }
        let v = semver::Version::parse(raw).map_err(|e| {
            let shown: String = raw.chars().take(40).collect();
            DomainError::invalid(format!(
                "invalid version {shown:?}: {e} (expected strict semver such as 1.2.3)"
            ))
        })?;
        let mut key = v.clone();
        key.build = semver::BuildMetadata::EMPTY;
        Ok(Version {
            raw: raw.to_string(),
            key: key.to_string(),
            semver: v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for ok in [
            "a",
            "json",
            "My_Pkg",
            "sema/http",
            "a1-b_2",
            &"x".repeat(64),
        ] {
            assert!(PackageName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(PackageName::parse("My_Pkg").unwrap().canonical, "my-pkg");
        assert_eq!(
            PackageName::parse("Sema/HTTP_x").unwrap().namespace(),
            Some("sema")
        );
    }

    #[test]
    fn invalid_names() {
        for bad in [
            "",
            "Bad Name!",
            "-a",
            "a-",
            "_a",
            "a.b",
            "a@b",
            "a/b/c",
            "/a",
            "a/",
            "..",
            "é",
            "owners",
            "ns/versions",
            "ns/Yank",
            &"x".repeat(65),
            "a%2e",
            "a\0",
        ] {
            assert!(PackageName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("1.0.0+build.5").unwrap().key, "1.0.0");
        assert_eq!(Version::parse("1.0.0-rc.1+b").unwrap().key, "1.0.0-rc.1");
        for bad in ["v1.0.0", "1.0", "01.0.0", "", "1.0.0 "] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
