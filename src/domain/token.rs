//! API tokens: `sema_pat_` + 32 random bytes (base64url). Only a SHA-256 is stored.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{DomainError, DomainResult};
use crate::domain::names;

pub const PREFIX: &str = "sema_pat_";
pub const SCOPES: [&str; 4] = ["publish-new", "publish-update", "yank", "change-owners"];

/// The token of an `Authorization` header value in the Bearer scheme; other schemes are not ours.
pub fn bearer_of(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b
}

/// A fresh random string safe for URLs, cookies and TOML strings.
pub fn random_token(bytes: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

pub fn generate() -> String {
    format!("{PREFIX}{}", random_token(32))
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Checks requested scopes; none requested means all of them.
pub fn validate_scopes(scopes: Option<Vec<String>>) -> DomainResult<Vec<String>> {
    let scopes = scopes.unwrap_or_else(|| SCOPES.iter().map(|s| s.to_string()).collect());
    if scopes.is_empty() {
        return Err(DomainError::invalid("a token needs at least one scope"));
    }
    let mut out = Vec::new();
    for s in scopes {
        if !SCOPES.contains(&s.as_str()) {
            return Err(DomainError::invalid(format!(
                "unknown scope {s:?}; scopes are {}",
                SCOPES.join(", ")
            )));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// A package pattern is a name (`json`, `ns/json`), a prefix (`json*`) or a
/// namespace (`ns/*`). Stored in canonical form. `*` matches within one part
/// of a name, as in a shell glob: `al*` matches `alpha` but not `al/pha`.
pub fn validate_pattern(pattern: &str) -> DomainResult<String> {
    let bad = || {
        DomainError::invalid(format!(
            "invalid package pattern {pattern:?}: use a name, a prefix ending in * or ns/*"
        ))
    };
    let p = pattern.trim();
    let (body, star) = match p.strip_suffix('*') {
        Some(b) => (b, true),
        None => (p, false),
    };
    if body.is_empty() || body.contains('*') || p.len() > 130 {
        return Err(bad());
    }
    let body_ok = body.trim_end_matches('/').split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if !body_ok || body.matches('/').count() > 1 || (!star && body.ends_with('/')) {
        return Err(bad());
    }
    let canon = names::canonical(body);
    Ok(if star { format!("{canon}*") } else { canon })
}

/// Does a canonical package name match any of the token's patterns? No patterns: all.
/// `*` never crosses a `/`, so `al*` cannot reach into the `al/` or `alice/` namespaces.
pub fn patterns_allow(patterns: &[String], canonical_name: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => canonical_name
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.contains('/')),
            None => p == canonical_name,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        let t = generate();
        assert!(t.starts_with(PREFIX));
        assert_eq!(t.len(), PREFIX.len() + 43);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        assert_ne!(generate(), t);
        assert_eq!(hash(&t).len(), 32);
    }

    #[test]
    fn patterns() {
        assert_eq!(validate_pattern("My_Pkg").unwrap(), "my-pkg");
        assert_eq!(validate_pattern("sema/*").unwrap(), "sema/*");
        assert_eq!(validate_pattern("json*").unwrap(), "json*");
        for bad in ["", "*", "a*b", "a b", "a/b/c", "a/"] {
            assert!(validate_pattern(bad).is_err(), "{bad}");
        }
        let p = vec!["json*".to_string(), "sema/*".into(), "http".into()];
        assert!(patterns_allow(&p, "json-schema"));
        assert!(patterns_allow(&p, "sema/net"));
        assert!(patterns_allow(&p, "http"));
        assert!(!patterns_allow(&p, "https"));
        assert!(!patterns_allow(&p, "other/json"));
        assert!(!patterns_allow(&p, "sema/net/x"));
        assert!(patterns_allow(&[], "anything"));
        // `*` stops at `/`, like a glob.
        let al = vec!["al*".to_string()];
        assert!(patterns_allow(&al, "alpha"));
        assert!(patterns_allow(&al, "al"));
        assert!(!patterns_allow(&al, "al/pha"));
        assert!(!patterns_allow(&al, "alice/tools"));
    }

    #[test]
    fn scopes() {
        assert_eq!(validate_scopes(None).unwrap().len(), 4);
        assert!(validate_scopes(Some(vec![])).is_err());
        assert!(validate_scopes(Some(vec!["root".into()])).is_err());
        assert_eq!(
            validate_scopes(Some(vec!["yank".into(), "yank".into()])).unwrap(),
            vec!["yank"]
        );
    }
}
