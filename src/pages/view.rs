//! Small helpers that turn domain values into display strings for templates.

use chrono::{DateTime, Utc};

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 1234567 → "1,234,567".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// 12345 → "12.1 KiB".
pub fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

pub fn date(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// "3 days ago", for lists; exact dates go in a `title`.
pub fn ago(t: &DateTime<Utc>) -> String {
    let secs = (Utc::now() - *t).num_seconds().max(0);
    let (n, unit) = match secs {
        s if s < 60 => return "just now".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86400 => (s / 3600, "hour"),
        s if s < 86400 * 30 => (s / 86400, "day"),
        s if s < 86400 * 365 => (s / (86400 * 30), "month"),
        s => (s / (86400 * 365), "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A user-supplied URL we are willing to link to: http(s) only, so a
/// `javascript:` repository URL is shown as text and never becomes a link.
pub fn safe_url(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// Percent-encodes a query value.
pub fn query(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A package as lists show it.
pub struct PackageItem {
    pub name: String,
    pub latest: Option<String>,
    pub description: String,
    pub downloads: String,
    pub updated: String,
    pub updated_exact: String,
    /// (shown, query-encoded)
    pub keywords: Vec<(String, String)>,
    /// A copy of the upstream registry's package (search results mark it).
    pub mirrored: bool,
    /// Its owners deprecated it (every list marks it).
    pub deprecated: bool,
}

fn keywords(k: &[String]) -> Vec<(String, String)> {
    k.iter().take(6).map(|k| (k.clone(), query(k))).collect()
}

impl From<crate::registry::listing::Listed> for PackageItem {
    fn from(p: crate::registry::listing::Listed) -> Self {
        PackageItem {
            latest: p.latest_version,
            description: p.description,
            downloads: count(p.downloads),
            updated: ago(&p.updated_at),
            updated_exact: date(&p.updated_at),
            keywords: keywords(&p.keywords),
            name: p.name,
            mirrored: false,
            deprecated: p.deprecated,
        }
    }
}

impl From<crate::registry::search::Hit> for PackageItem {
    fn from(p: crate::registry::search::Hit) -> Self {
        PackageItem {
            mirrored: p.mirrored_from.is_some(),
            deprecated: p.deprecated,
            latest: p.latest_version,
            description: p.description,
            downloads: count(p.downloads),
            updated: ago(&p.updated_at),
            updated_exact: date(&p.updated_at),
            keywords: keywords(&p.keywords),
            name: p.name,
        }
    }
}

/// One audit-log entry as the admin log and a package's Activity tab show it.
pub struct EventRow {
    pub at: String,
    pub ago: String,
    pub action: String,
    pub actor: Option<String>,
    pub token_id: Option<i64>,
    pub package: Option<String>,
    pub version: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A release that added capabilities: which ("shell, process").
    pub adds: Option<String>,
}

impl From<crate::audit::Event> for EventRow {
    fn from(e: crate::audit::Event) -> Self {
        EventRow {
            at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ago: ago(&e.at),
            action: e.action,
            actor: e.actor,
            token_id: e.token_id,
            package: e.package,
            version: e.version,
            subject: e.subject,
            ip: e.ip,
            user_agent: e.user_agent,
            adds: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(2048), "2.0 KiB");
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url(" JaVaScRiPt:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,x"), None);
        assert_eq!(
            safe_url("https://github.com/x/y").as_deref(),
            Some("https://github.com/x/y")
        );
        assert_eq!(query("a b&c"), "a+b%26c");
    }
}
