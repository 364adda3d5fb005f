//! A rendered (already sanitised) README as the package page shows it: its
//! headings one level down (the page's `h1` is the package name), each with an
//! id and a link to itself, and a table of contents made of them.

use std::collections::HashSet;

/// One heading for the table of contents.
pub struct TocEntry {
    pub id: String,
    pub text: String,
    /// 2 or 3 (README `#` and `##`, shifted); deeper headings are left out.
    pub level: u8,
}

/// Ids the page itself uses, which a heading must not take.
const TAKEN: &[&str] = &[
    "main",
    "tabs",
    "flash",
    "announce",
    "results",
    "q",
    "install-cmd",
    "toml-line",
    "side-owners",
    "owners-panel",
    "new-owner",
    "chart-t",
];

/// GitHub-style: lower case, letters, digits, `-` and `_`; spaces become `-`.
fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            s.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            s.push('-');
        }
    }
    if s.is_empty() {
        "section".into()
    } else {
        s
    }
}

/// The text of a heading's inner HTML (tags dropped, the sanitiser's entities decoded).
fn text_of(inner: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Finds the next `<hN>` (no attributes: the sanitiser's output) at or after `from`.
fn next_heading(html: &str, from: usize) -> Option<(usize, u8)> {
    let mut at = from;
    while let Some(i) = html[at..].find("<h") {
        let start = at + i;
        let b = html.as_bytes();
        if let (Some(d), Some(b'>')) = (b.get(start + 2), b.get(start + 3)) {
            if (b'1'..=b'6').contains(d) {
                return Some((start, d - b'0'));
            }
        }
        at = start + 2;
    }
    None
}

pub fn present(html: &str) -> (String, Vec<TocEntry>) {
    let mut out = String::with_capacity(html.len() + 256);
    let mut toc = Vec::new();
    let mut used: HashSet<String> = TAKEN.iter().map(|s| s.to_string()).collect();
    let mut pos = 0;
    while let Some((start, level)) = next_heading(html, pos) {
        let close = format!("</h{level}>");
        let Some(end) = html[start..].find(&close).map(|e| start + e) else {
            break;
        };
        let inner = &html[start + 4..end];
        let text = text_of(inner);
        let base = slug(&text);
        let mut id = base.clone();
        let mut n = 1;
        while !used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let shown = (level + 1).min(6);
        out.push_str(&html[pos..start]);
        out.push_str(&format!(
            "<h{shown} id=\"{id}\">{inner}<a class=\"anchor\" href=\"#{id}\"><span aria-hidden=\"true\">#</span><span class=\"sr-only\">Link to this section</span></a></h{shown}>"
        ));
        if level <= 2 {
            toc.push(TocEntry {
                id,
                text,
                level: shown,
            });
        }
        pos = end + close.len();
    }
    out.push_str(&html[pos..]);
    (out, toc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_move_down_a_level_with_unique_ids_and_anchors() {
        let html = "<h1>My <code>json</code> &amp; more</h1>\n<p>x</p><h2>Usage</h2><h2>Usage</h2><h3>Main</h3><h6>Deep</h6><hr>";
        let (out, toc) = present(html);
        assert!(out.starts_with(
            "<h2 id=\"my-json--more\">My <code>json</code> &amp; more<a class=\"anchor\" href=\"#my-json--more\">"
        ));
        assert!(out.contains("<h3 id=\"usage\">") && out.contains("<h3 id=\"usage-1\">"));
        // `main` is the page's own landmark.
        assert!(out.contains("<h4 id=\"main-1\">"));
        assert!(out.contains("<h6 id=\"deep\">Deep") && out.ends_with("</h6><hr>"));
        assert!(!out.contains("<h1"));
        let ids: Vec<_> = toc.iter().map(|t| (t.id.as_str(), t.level)).collect();
        assert_eq!(ids, [("my-json--more", 2), ("usage", 3), ("usage-1", 3)]);
        assert_eq!(toc[0].text, "My json & more");
    }

    #[test]
    fn text_without_headings_is_unchanged() {
        let html = "<p>a <hr> <header>b</header></p>";
        assert_eq!(present(html).0, html);
    }
}
