//! `sema.toml`: what the registry reads from inside a tarball. The manifest in
//! the tarball is what installers read, so it wins over the upload's metadata.

use std::collections::BTreeMap;

use super::names::{self, PackageName, Version};
use crate::error::{AppError, AppResult};

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

fn bad(msg: impl Into<String>) -> AppError {
    AppError::unprocessable(format!("sema.toml: {}", msg.into()))
}

/// TOML allows `\u0000`; Postgres text does not, and no field needs it.
fn no_nul(key: &str, s: &str) -> AppResult<()> {
    if s.contains('\0') {
        return Err(bad(format!("{key} must not contain NUL characters")));
    }
    Ok(())
}

fn opt_string(table: &toml::Table, key: &str, max: usize) -> AppResult<Option<String>> {
    if let Some(toml::Value::String(s)) = table.get(key) {
        no_nul(&format!("[package].{key}"), s)?;
    }
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
) -> AppResult<Vec<String>> {
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
                        no_nul(&format!("[package].{key}"), s)?;
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
pub fn parse(text: &str, name: &PackageName, version: &Version) -> AppResult<Manifest> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {}", e.message())))?;
    let pkg = match doc.get("package") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(bad("[package] must be a table")),
        None => return Err(bad("missing [package] table")),
    };
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
    let sema_version_req = opt_string(pkg, "sema_version_req", 128)?;
    if let Some(req) = &sema_version_req {
        semver::VersionReq::parse(req).map_err(|e| {
            bad(format!(
                "[package].sema_version_req {req:?} is not a valid requirement: {e}"
            ))
        })?;
    }
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
    let mut deps = Vec::new();
    match doc.get("deps") {
        None => {}
        Some(toml::Value::Table(t)) => {
            if t.len() > 256 {
                return Err(bad("[deps] has more than 256 entries"));
            }
            let sorted: BTreeMap<_, _> = t.iter().collect();
            for (dep, value) in sorted {
                let toml::Value::String(req) = value else {
                    return Err(bad(format!(
                        "[deps].{dep} must be a string (an exact version or a git ref)"
                    )));
                };
                no_nul(&format!("[deps].{dep:?}"), dep)?;
                no_nul(&format!("[deps].{dep:?}"), req)?;
                if is_git(dep) {
                    if dep.len() > 256 || req.is_empty() || req.len() > 256 {
                        return Err(bad(format!("[deps] git dependency {dep:?} needs a ref")));
                    }
                    deps.push(Dep {
                        name: dep.clone(),
                        req: req.clone(),
                        kind: DepKind::Git,
                    });
                } else {
                    let parsed =
                        PackageName::parse(dep).map_err(|e| bad(format!("[deps]: {e}")))?;
                    Version::parse(req).map_err(|_| {
                        bad(format!("[deps].{dep} = {req:?}: registry dependencies name an exact version such as \"1.2.3\""))
                    })?;
                    if parsed.canonical == name.canonical {
                        return Err(bad("a package cannot depend on itself"));
                    }
                    deps.push(Dep {
                        name: dep.clone(),
                        req: req.clone(),
                        kind: DepKind::Registry,
                    });
                }
            }
        }
        Some(_) => return Err(bad("[deps] must be a table")),
    }
    let repository = opt_string(pkg, "repository", 512)?;
    let homepage = opt_string(pkg, "homepage", 512)?;
    for (key, url) in [("repository", &repository), ("homepage", &homepage)] {
        if let Some(u) = url {
            if !(u.starts_with("https://") || u.starts_with("http://"))
                || url::Url::parse(u).is_err()
            {
                return Err(bad(format!("[package].{key} must be an http(s) URL")));
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> AppResult<Manifest> {
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
        ] {
            let err = p(&text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
