//! A version against the one before it: capabilities gained and lost, API
//! added, removed or changed, and whether the release may remove API.

use serde::Serialize;

use super::report::ApiItem;

/// What kind of release a version is after the previous one, the way Cargo
/// reads semver: in `0.y.z` a new `y` is a major release, in `0.0.z` every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Major,
    Minor,
    Patch,
    /// Same `x.y.z`, another pre-release or build.
    Prerelease,
}

impl Bump {
    pub fn of(prev: &semver::Version, new: &semver::Version) -> Bump {
        let core = |v: &semver::Version| (v.major, v.minor, v.patch);
        if core(prev) == core(new) {
            return Bump::Prerelease;
        }
        match (new.major, new.minor) {
            _ if new.major != prev.major => Bump::Major,
            (0, _) if new.minor != prev.minor => Bump::Major,
            (0, 0) => Bump::Major,
            _ if new.minor != prev.minor => Bump::Minor,
            _ => Bump::Patch,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::Prerelease => "prerelease",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Diff {
    /// The version compared against: the highest lower one; null for the first.
    pub previous_version: Option<String>,
    pub bump: Option<Bump>,
    pub added_capabilities: Vec<String>,
    pub removed_capabilities: Vec<String>,
    pub added_api: Vec<String>,
    pub removed_api: Vec<String>,
    /// Names whose arity changed.
    pub changed_api: Vec<String>,
    /// API removed or changed in a release that is not major.
    pub breaking: bool,
}

/// One side of a comparison: version, capabilities, API.
pub struct Side<'a> {
    pub version: &'a str,
    pub capabilities: &'a [String],
    pub api: &'a [ApiItem],
}

/// `new` against `prev`; a first release has nothing to differ from.
pub fn diff(prev: Option<Side<'_>>, new: Side<'_>) -> Diff {
    let Some(prev) = prev else {
        return Diff::default();
    };
    let minus = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    let find = |api: &[ApiItem], name: &str| api.iter().find(|a| a.name == name).cloned();
    let added_api = new
        .api
        .iter()
        .filter(|a| find(prev.api, &a.name).is_none())
        .map(|a| a.name.clone())
        .collect();
    let removed_api: Vec<String> = prev
        .api
        .iter()
        .filter(|a| find(new.api, &a.name).is_none())
        .map(|a| a.name.clone())
        .collect();
    let changed_api: Vec<String> = new
        .api
        .iter()
        .filter(|a| {
            find(prev.api, &a.name).is_some_and(|p| (p.arity, p.variadic) != (a.arity, a.variadic))
        })
        .map(|a| a.name.clone())
        .collect();
    let bump = match (
        semver::Version::parse(prev.version),
        semver::Version::parse(new.version),
    ) {
        (Ok(p), Ok(n)) => Some(Bump::of(&p, &n)),
        _ => None,
    };
    Diff {
        previous_version: Some(prev.version.to_string()),
        breaking: (!removed_api.is_empty() || !changed_api.is_empty())
            && bump.is_some_and(|b| b != Bump::Major),
        bump,
        added_capabilities: minus(new.capabilities, prev.capabilities),
        removed_capabilities: minus(prev.capabilities, new.capabilities),
        added_api,
        removed_api,
        changed_api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn bumps_read_the_way_cargo_does() {
        assert_eq!(Bump::of(&v("1.2.3"), &v("1.2.4")), Bump::Patch);
        assert_eq!(Bump::of(&v("1.2.3"), &v("1.3.0")), Bump::Minor);
        assert_eq!(Bump::of(&v("1.2.3"), &v("2.0.0")), Bump::Major);
        assert_eq!(Bump::of(&v("0.2.3"), &v("0.2.4")), Bump::Patch);
        assert_eq!(Bump::of(&v("0.2.3"), &v("0.3.0")), Bump::Major);
        assert_eq!(Bump::of(&v("0.0.3"), &v("0.0.4")), Bump::Major);
        assert_eq!(Bump::of(&v("1.0.0-rc.1"), &v("1.0.0")), Bump::Prerelease);
    }

    fn item(name: &str, arity: u32) -> ApiItem {
        ApiItem {
            name: name.into(),
            arity: Some(arity),
            variadic: false,
            kind: "function".into(),
            file: "lib.sema".into(),
        }
    }

    #[test]
    fn a_patch_that_removes_api_and_adds_shell() {
        let caps = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (old_caps, new_caps) = (caps(&["network"]), caps(&["network", "shell"]));
        let old_api = [item("get", 1), item("post", 2), item("put", 2)];
        let new_api = [item("get", 1), item("post", 3), item("fetch", 1)];
        let side = |version, capabilities, api| Side {
            version,
            capabilities,
            api,
        };
        let d = diff(
            Some(side("1.0.0", &old_caps, &old_api)),
            side("1.0.1", &new_caps, &new_api),
        );
        assert_eq!(d.previous_version.as_deref(), Some("1.0.0"));
        assert_eq!(d.bump, Some(Bump::Patch));
        assert_eq!(d.added_capabilities, ["shell"]);
        assert!(d.removed_capabilities.is_empty());
        assert_eq!(d.added_api, ["fetch"]);
        assert_eq!(d.removed_api, ["put"]);
        assert_eq!(d.changed_api, ["post"]);
        assert!(d.breaking);
        // The same change as a major release is allowed to break.
        let major = diff(
            Some(side("1.0.0", &old_caps, &old_api)),
            side("2.0.0", &new_caps, &new_api),
        );
        assert!(!major.breaking);
        // A first release has nothing to differ from.
        assert_eq!(
            diff(None, side("0.1.0", &new_caps, &new_api)),
            Diff::default()
        );
    }
}
