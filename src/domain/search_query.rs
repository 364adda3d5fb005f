//! A search request taken apart: the free text, its words and name key, the
//! filters (`keyword:`, `owner:`, `ns:`, `cap:`, `-cap:`), the sort and the
//! page. Plain values: `registry::search` turns them into one statement.

use serde::Deserialize;

use super::names;
use super::{DomainError, DomainResult};

pub const PER_PAGE_MAX: i64 = 100;
pub const PER_PAGE_DEFAULT: i64 = 20;
/// Longer queries are cut here: nothing longer is a useful search, and it
/// bounds the work a request can ask for.
const QUERY_MAX_CHARS: usize = 512;
const WORDS_MAX: usize = 16;
pub const WORD_MAX_CHARS: usize = 64;

/// Query string of `GET /api/v1/search` and the web search page, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
    pub keyword: Option<String>,
    pub owner: Option<String>,
    pub ns: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    Relevance,
    Downloads,
    RecentDownloads,
    Updated,
    New,
    Name,
}

impl Sort {
    pub const NAMES: [&'static str; 6] = [
        "relevance",
        "downloads",
        "recent-downloads",
        "updated",
        "new",
        "name",
    ];

    /// `has_text`: the default is relevance for a query, downloads for browsing.
    pub fn parse(raw: Option<&str>, has_text: bool) -> DomainResult<Sort> {
        Ok(match raw.map(str::trim).unwrap_or("") {
            "" if has_text => Sort::Relevance,
            "" => Sort::Downloads,
            "relevance" => Sort::Relevance,
            "downloads" => Sort::Downloads,
            "recent-downloads" => Sort::RecentDownloads,
            "updated" => Sort::Updated,
            "new" => Sort::New,
            "name" => Sort::Name,
            other => {
                let shown: String = other.chars().take(40).collect();
                return Err(DomainError::invalid(format!(
                    "unknown sort {shown:?}; use relevance, downloads, recent-downloads, updated, new or name"
                )));
            }
        })
    }
}

/// A whole search request, checked.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub query: Query,
    pub sort: Sort,
    /// From 1.
    pub page: i64,
    /// 1 to [`PER_PAGE_MAX`]: other values are clamped.
    pub per_page: i64,
}

impl Request {
    pub fn parse(p: &SearchParams) -> DomainResult<Request> {
        let page = int_param(&p.page, "page", 1)?;
        if page < 1 {
            return Err(DomainError::invalid("page must be a positive integer"));
        }
        let per_page = int_param(&p.per_page, "per_page", PER_PAGE_DEFAULT)?.clamp(1, PER_PAGE_MAX);
        let query = Query::parse(p);
        if let Some(cap) = query.unknown_cap() {
            let shown: String = cap.chars().take(40).collect();
            return Err(DomainError::invalid(format!(
                "unknown capability {shown:?} in cap:; use none or one of {}",
                crate::analysis::CAPABILITIES.join(", ")
            )));
        }
        let sort = Sort::parse(p.sort.as_deref(), query.has_text())?;
        Ok(Request {
            query,
            sort,
            page,
            per_page,
        })
    }
}

fn int_param(raw: &Option<String>, name: &str, default: i64) -> DomainResult<i64> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| DomainError::invalid(format!("{name} must be a positive integer"))),
    }
}

/// A query string taken apart: free text, its words, and filters.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    /// The free text (filters removed), whitespace collapsed, lowercase.
    pub text: String,
    /// Letters-and-digits words of `text`; each must match.
    pub words: Vec<String>,
    /// `text` as a name fragment (`json sch` -> `json-sch`), when it can be one.
    pub name_key: Option<String>,
    pub keywords: Vec<String>,
    pub owner: Option<String>,
    pub namespace: Option<String>,
    /// `cap:NAME` (or `cap:none`): the latest version's effective capabilities include it.
    pub caps: Vec<String>,
    /// `-cap:NAME`: the latest version's effective capabilities do not include it.
    pub without_caps: Vec<String>,
    /// One token (`jsno`, `json-shema`): the only shape typo matching tries,
    /// as several words almost always have a trigram neighbour.
    pub single_token: bool,
}

impl Query {
    pub fn parse(p: &SearchParams) -> Query {
        // Control characters (NUL above all, which Postgres text refuses) are spaces.
        let mut raw: String =
            p.q.as_deref()
                .unwrap_or("")
                .chars()
                .take(QUERY_MAX_CHARS + 1)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
        if raw.chars().count() > QUERY_MAX_CHARS {
            // Cut at a word boundary: a half word would have to match too.
            match raw.trim_end().rfind(char::is_whitespace) {
                Some(cut) => raw.truncate(cut),
                None => raw = raw.chars().take(QUERY_MAX_CHARS).collect(),
            }
        }
        let mut q = Query::default();
        let mut text = Vec::new();
        for token in raw.split_whitespace() {
            let lower = token.to_lowercase();
            match lower.split_once(':') {
                Some(("keyword" | "keywords", v)) if !v.is_empty() => {
                    q.keywords.push(names::canonical(v))
                }
                Some(("owner" | "user", v)) if !v.is_empty() => q.owner = Some(v.to_string()),
                Some(("ns" | "namespace", v)) if !v.is_empty() => {
                    q.namespace = Some(names::canonical(v))
                }
                Some(("cap" | "capability", v)) if !v.is_empty() => q.caps.push(v.to_string()),
                Some(("-cap" | "-capability", v)) if !v.is_empty() => {
                    q.without_caps.push(v.to_string())
                }
                _ => text.push(lower),
            }
        }
        let param = |v: &Option<String>| {
            let v: String = v
                .as_deref()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .take(WORD_MAX_CHARS * 2)
                .collect();
            let v = v.trim().to_lowercase();
            (!v.is_empty()).then_some(v)
        };
        if let Some(k) = param(&p.keyword) {
            q.keywords.push(names::canonical(&k));
        }
        if let Some(o) = param(&p.owner) {
            q.owner = Some(o);
        }
        if let Some(n) = param(&p.ns) {
            q.namespace = Some(names::canonical(&n));
        }
        q.text = text.join(" ");
        for word in q.text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() || q.words.len() == WORDS_MAX {
                continue;
            }
            let word: String = word.chars().take(WORD_MAX_CHARS).collect();
            if !q.words.contains(&word) {
                q.words.push(word);
            }
        }
        let key = names::canonical(&q.text.replace(' ', "-"));
        let name_like = key.len() >= 2
            && key.len() <= 130
            && key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/');
        q.name_key = name_like.then_some(key);
        q.single_token = !q.text.contains(' ');
        q
    }

    pub fn has_text(&self) -> bool {
        !self.text.is_empty()
    }

    pub fn has_filters(&self) -> bool {
        !self.keywords.is_empty()
            || self.namespace.is_some()
            || self.owner.is_some()
            || !self.caps.is_empty()
            || !self.without_caps.is_empty()
    }

    /// A `cap:` or `-cap:` naming no capability, for a clear 400.
    pub fn unknown_cap(&self) -> Option<&str> {
        self.caps
            .iter()
            .chain(&self.without_caps)
            .map(String::as_str)
            .find(|c| *c != "none" && !crate::analysis::CAPABILITIES.contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Query {
        Query::parse(&SearchParams {
            q: Some(q.into()),
            ..Default::default()
        })
    }

    #[test]
    fn words_filters_and_name_keys() {
        let q = parse("  JSON   Schema keyword:Data_Format owner:Alice ns:Sema ");
        assert_eq!(q.text, "json schema");
        assert_eq!(q.words, ["json", "schema"]);
        assert_eq!(q.name_key.as_deref(), Some("json-schema"));
        assert_eq!(q.keywords, ["data-format"]);
        assert_eq!(q.owner.as_deref(), Some("alice"));
        assert_eq!(q.namespace.as_deref(), Some("sema"));
        let caps = parse("http cap:none -cap:Shell -cap:network");
        assert_eq!(caps.text, "http");
        assert_eq!(caps.caps, ["none"]);
        assert_eq!(caps.without_caps, ["shell", "network"]);
        assert_eq!(caps.unknown_cap(), None);
        assert_eq!(parse("cap:teleport").unknown_cap(), Some("teleport"));
        assert_eq!(parse("sema/ht").name_key.as_deref(), Some("sema/ht"));
        assert_eq!(parse("a&b|!c:(d)").words, ["a", "b", "c", "d"]);
        assert_eq!(parse("a&b").name_key, None);
        assert_eq!(parse("x").name_key, None);
        assert_eq!(parse("'\"%_").words, Vec::<String>::new());
        assert_eq!(parse("ünïcode ✓").words, ["ünïcode"]);
        assert_eq!(parse(&"w ".repeat(500)).words, ["w"]);
        assert_eq!(parse(&"json ".repeat(300)).words, ["json"]);
        assert!(parse(&"x".repeat(5000)).words[0].len() <= WORD_MAX_CHARS);
    }

    #[test]
    fn pages_sorts_and_capabilities_are_checked() {
        let req = |pairs: &[(&str, &str)]| {
            let mut p = SearchParams::default();
            for (k, v) in pairs {
                let v = Some(v.to_string());
                match *k {
                    "q" => p.q = v,
                    "page" => p.page = v,
                    "per_page" => p.per_page = v,
                    "sort" => p.sort = v,
                    _ => unreachable!(),
                }
            }
            Request::parse(&p)
        };
        let r = req(&[]).unwrap();
        assert_eq!((r.page, r.per_page, r.sort), (1, 20, Sort::Downloads));
        let r = req(&[("q", "json"), ("per_page", "1000"), ("page", " 3 ")]).unwrap();
        assert_eq!((r.page, r.per_page, r.sort), (3, 100, Sort::Relevance));
        assert_eq!(req(&[("per_page", "0")]).unwrap().per_page, 1);
        for bad in [
            ("page", "0"),
            ("page", "x"),
            ("per_page", "1.5"),
            ("sort", "best"),
        ] {
            assert!(
                matches!(req(&[bad]), Err(DomainError::Invalid(_))),
                "{bad:?}"
            );
        }
        let err = req(&[("q", "cap:teleport")]).unwrap_err();
        assert!(err.to_string().contains("unknown capability"), "{err}");
    }
}
