//! `sema.toml`: what the registry reads from inside a tarball. The manifest in
//! the tarball is what installers read, so it wins over the upload's metadata.

use std::collections::BTreeMap;

use super::names::{self, PackageName, Version};
use super::{DomainError, DomainResult};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub authors: Vec<String>,
    pub sema_version_req: Option<String>,
    pub entrypoint: Option<String>,
    pub deps: Vec<Dep>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dep {
    pub name: String,
    pub req: String,
    pub kind: DepKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DepKind {
    Registry,
    Git,
}

impl DepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Registry => "registry",
            DepKind::Git => "git",
        }
    }
}

fn bad(msg: impl Into<String>) -> DomainError {
    DomainError::Unprocessable(format!("sema.toml: {}", msg.into()))
}

/// TOML allows escapes such as `\u0001`. Postgres text cannot hold NUL, XML
/// cannot hold most controls, and no field needs them: C0 and C1 controls
/// other than tab, newline and CR, and the noncharacters U+FFFE and U+FFFF.
fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    })
}

/// Checks every string in the manifest, keys included, naming the first bad
/// field (`package.description`, `package.authors[1]`, `deps."x"`).
fn check_strings(path: &str, value: &toml::Value) -> DomainResult<()> {
    let bad_char = |field: &str, c: char| {
        bad(format!(
            "{field} contains the control character U+{:04X}; remove it",
            c as u32
        ))
    };
    match value {
        toml::Value::String(s) => match forbidden_char(s) {
            Some(c) => Err(bad_char(path, c)),
            None => Ok(()),
        },
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_strings(&format!("{path}[{i}]"), v)),
        toml::Value::Table(t) => check_table(path, t),
        _ => Ok(()),
    }
}

fn check_table(path: &str, t: &toml::Table) -> DomainResult<()> {
    t.iter().try_for_each(|(k, v)| {
        let simple = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let shown: String = k.chars().take(64).collect();
        let field = match (path.is_empty(), simple) {
            (true, true) => shown,
            (true, false) => format!("{shown:?}"),
            (false, true) => format!("{path}.{shown}"),
            (false, false) => format!("{path}.{shown:?}"),
        };
        match forbidden_char(k) {
            Some(c) => Err(bad(format!(
                "the key {field} contains the control character U+{:04X}; remove it",
                c as u32
            ))),
            None => check_strings(&field, v),
        }
    })
}

fn opt_string(table: &toml::Table, key: &str, max: usize) -> DomainResult<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) if s.chars().count() > max => Err(bad(format!(
            "[package].{key} is longer than {max} characters"
        ))),
        Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => Err(bad(format!("[package].{key} must be a string"))),
    }
}

fn string_list(
    table: &toml::Table,
    key: &str,
    max_items: usize,
    max_len: usize,
) -> DomainResult<Vec<String>> {
    match table.get(key) {
        None => Ok(vec![]),
        Some(toml::Value::Array(items)) => {
            if items.len() > max_items {
                return Err(bad(format!(
                    "[package].{key} has more than {max_items} entries"
                )));
            }
            items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) if s.chars().count() <= max_len => {
                        Ok(s.trim().to_string())
                    }
                    toml::Value::String(_) => Err(bad(format!(
                        "[package].{key} entries are at most {max_len} characters"
                    ))),
                    _ => Err(bad(format!("[package].{key} must be an array of strings"))),
                })
                .collect()
        }
        Some(_) => Err(bad(format!("[package].{key} must be an array of strings"))),
    }
}

/// A git dependency key looks like a host path: `github.com/u/r`.
fn is_git(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(host, _)| host.contains('.'))
}

/// A relative path inside the package, with no `..`, no root and no backslashes.
pub fn safe_relative_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && !p.contains(':')
        && p.split('/').all(|seg| seg != "..")
}

/// Parses and checks a manifest against the name and version in the URL.
pub fn parse(text: &str, name: &PackageName, version: &Version) -> DomainResult<Manifest> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {}", e.message())))?;
    check_table("", &doc)?;
    let pkg = match doc.get("package") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(bad("[package] must be a table")),
        None => return Err(bad("missing [package] table")),
    };
    let (m_name, m_version) = identity(pkg, name, version)?;
    let sema_version_req = opt_string(pkg, "sema_version_req", 128)?;
    if let Some(req) = &sema_version_req {
        semver::VersionReq::parse(req).map_err(|e| {
            bad(format!(
                "[package].sema_version_req {req:?} is not a valid requirement: {e}"
            ))
        })?;
    }
    let entrypoint = entrypoint(&doc, pkg)?;
    let deps = deps(&doc, name)?;
    let repository = url_field(pkg, "repository")?;
    let homepage = url_field(pkg, "homepage")?;
    let keywords = string_list(pkg, "keywords", 10, 32)?
        .into_iter()
        .map(|k| names::canonical(&k))
        .filter(|k| !k.is_empty())
        .collect();
    Ok(Manifest {
        name: m_name,
        version: m_version,
        description: opt_string(pkg, "description", 1000)?.unwrap_or_default(),
        repository,
        homepage,
        license: opt_string(pkg, "license", 128)?,
        keywords,
        authors: string_list(pkg, "authors", 32, 256)?,
        sema_version_req,
        entrypoint,
        deps,
    })
}

/// `[package].name` and `.version`, which must be the upload's.
fn identity(
    pkg: &toml::Table,
    name: &PackageName,
    version: &Version,
) -> DomainResult<(String, String)> {
    let m_name = match pkg.get("name") {
        Some(toml::Value::String(s)) => s.clone(),
        _ => return Err(bad("[package].name must be a string")),
    };
    let m_version = match pkg.get("version") {
        Some(toml::Value::String(s)) => s.clone(),
        _ => return Err(bad("[package].version must be a string")),
    };
    if m_name != name.name {
        return Err(bad(format!(
            "[package].name is {m_name:?} but the upload is for {:?}",
            name.name
        )));
    }
    if m_version != version.raw {
        return Err(bad(format!(
            "[package].version is {m_version:?} but the upload is for {:?}",
            version.raw
        )));
    }
    Ok((m_name, m_version))
}

/// `[package].entrypoint`, or the top-level `entrypoint`: a safe relative path.
fn entrypoint(doc: &toml::Table, pkg: &toml::Table) -> DomainResult<Option<String>> {
    let entrypoint = match opt_string(pkg, "entrypoint", 256)? {
        Some(e) => Some(e),
        None => match doc.get("entrypoint") {
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("entrypoint must be a string")),
            None => None,
        },
    };
    if let Some(e) = &entrypoint {
        if !safe_relative_path(e) {
            return Err(bad(format!(
                "entrypoint {e:?} must be a relative path inside the package without `..`"
            )));
        }
    }
    Ok(entrypoint)
}

/// An optional http(s) URL of `[package]`.
fn url_field(pkg: &toml::Table, key: &str) -> DomainResult<Option<String>> {
    let url = opt_string(pkg, key, 512)?;
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://")) || url::Url::parse(u).is_err() {
            return Err(bad(format!("[package].{key} must be an http(s) URL")));
        }
    }
    Ok(url)
}

/// `[deps]`, sorted by name: git dependencies with a ref, registry ones at an
/// exact version.
fn deps(doc: &toml::Table, name: &PackageName) -> DomainResult<Vec<Dep>> {
    let t = match doc.get("deps") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(bad("[deps] must be a table")),
    };
    if t.len() > 256 {
        return Err(bad("[deps] has more than 256 entries"));
    }
    let sorted: BTreeMap<_, _> = t.iter().collect();
    sorted
        .into_iter()
        .map(|(dep, value)| dependency(dep, value, name))
        .collect()
}

fn dependency(dep: &str, value: &toml::Value, name: &PackageName) -> DomainResult<Dep> {
    let toml::Value::String(req) = value else {
        return Err(bad(format!(
            "[deps].{dep} must be a string (an exact version or a git ref)"
        )));
    };
    if is_git(dep) {
        if dep.len() > 256 || req.is_empty() || req.len() > 256 {
            return Err(bad(format!("[deps] git dependency {dep:?} needs a ref")));
        }
        return Ok(Dep {
            name: dep.to_string(),
            req: req.clone(),
            kind: DepKind::Git,
        });
    }
    let parsed = PackageName::parse(dep).map_err(|e| bad(format!("[deps]: {e}")))?;
    Version::parse(req).map_err(|_| {
        bad(format!(
            "[deps].{dep} = {req:?}: registry dependencies name an exact version such as \"1.2.3\""
        ))
    })?;
    if parsed.canonical == name.canonical {
        return Err(bad("a package cannot depend on itself"));
    }
    Ok(Dep {
        name: dep.to_string(),
        req: req.clone(),
        kind: DepKind::Registry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> DomainResult<Manifest> {
        parse(
            text,
            &PackageName::parse("demo").unwrap(),
            &Version::parse("0.1.0").unwrap(),
        )
    }

    const BASE: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n";

    #[test]
    fn full_manifest() {
        let m = p(&format!(
            "{BASE}description = \"d\"\nrepository = \"https://x.org/r\"\nlicense = \"MIT\"\nkeywords = [\"Web\", \"http_x\"]\nsema_version_req = \">=2.0\"\nentrypoint = \"src/main.sema\"\n[deps]\njson = \"1.0.0\"\n\"github.com/u/r\" = \"main\"\n"
        ))
        .unwrap();
        assert_eq!(m.keywords, vec!["web", "http-x"]);
        assert_eq!(m.deps.len(), 2);
        assert_eq!(m.deps[1].kind, DepKind::Registry);
        assert_eq!(m.deps[0].kind, DepKind::Git);
    }

    #[test]
    fn tabs_newlines_and_returns_are_fine() {
        let m = p(&format!("{BASE}description = \"a\\tb\\nc\\r\\nd\"")).unwrap();
        assert_eq!(m.description, "a\tb\nc\r\nd");
    }

    #[test]
    fn rejections() {
        for (text, needle) in [
            ("not toml [".to_string(), "not valid TOML"),
            ("x = 1".into(), "missing [package]"),
            (
                "[package]\nname = \"other\"\nversion = \"0.1.0\"".into(),
                "name is",
            ),
            (
                "[package]\nname = \"demo\"\nversion = \"0.2.0\"".into(),
                "version is",
            ),
            (format!("{BASE}[deps]\njson = 1"), "must be a string"),
            (format!("{BASE}[deps]\njson = \"^1.0\""), "exact version"),
            (
                format!("{BASE}sema_version_req = \"not a req\""),
                "sema_version_req",
            ),
            (
                format!("{BASE}sema_version_req = \"{}\"", "1".repeat(129)),
                "longer than 128",
            ),
            (format!("{BASE}entrypoint = \"../evil.sema\""), "entrypoint"),
            (format!("{BASE}entrypoint = \"/etc/passwd\""), "entrypoint"),
            (
                format!("{BASE}repository = \"javascript:alert(1)\""),
                "http(s) URL",
            ),
            (format!("{BASE}[deps]\ndemo = \"1.0.0\""), "itself"),
            (
                format!("{BASE}description = \"a\\u0001b\""),
                "package.description contains the control character U+0001",
            ),
            (
                format!("{BASE}authors = [\"ok\", \"x\\u0085\"]"),
                "package.authors[1] contains the control character U+0085",
            ),
            (
                format!("{BASE}license = \"\\uFFFF\""),
                "package.license contains",
            ),
            (
                format!("{BASE}[deps]\n\"a\\u001bb\" = \"1.0.0\""),
                "the key deps.",
            ),
            (format!("{BASE}x = \"\\u0000\""), "package.x contains"),
        ] {
            let err = p(&text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
