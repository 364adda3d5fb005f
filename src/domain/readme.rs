//! README rendering: CommonMark (+ tables, strikethrough, task lists) to HTML,
//! then sanitised by ammonia so a README cannot run script on our pages.
//!
//! Sema/Lisp code blocks are highlighted here, on the server, as `<span
//! class="tok-…">`; the sanitiser runs afterwards and allows only those classes.
//! Images become links: pages load nothing from another origin (the CSP would
//! block them anyway, noisily).

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

const LISP_LANGS: &[&str] = &["sema", "lisp", "scheme", "clojure", "scm", "el", "elisp"];

const TOKEN_CLASSES: &[&str] = &[
    "tok-com",
    "tok-str",
    "tok-kw",
    "tok-num",
    "tok-sym",
    "tok-paren",
    "tok-form",
];

pub fn render(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, transform(Parser::new_ext(markdown, opts)));
    ammonia::Builder::default()
        .link_rel(Some("nofollow noopener noreferrer"))
        .rm_tags(&["img"])
        .add_allowed_classes(
            "code",
            &[
                "language-sema",
                "language-lisp",
                "language-scheme",
                "language-clojure",
                "language-toml",
                "language-sh",
                "language-bash",
                "language-rust",
                "language-json",
            ],
        )
        .add_allowed_classes("span", TOKEN_CLASSES)
        .clean(&unsafe_html)
        .to_string()
}

/// Highlights Lisp code blocks and turns images into links to them.
fn transform<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut out = Vec::new();
    let mut code: Option<(String, String)> = None; // (lang, text)
    let mut image_depth = 0usize;
    for ev in events {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info)))
                if is_lisp(info) && code.is_none() =>
            {
                let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
                code = Some((lang, String::new()));
            }
            Event::Text(ref t) if code.is_some() => {
                code.as_mut().unwrap().1.push_str(t);
            }
            Event::End(TagEnd::CodeBlock) if code.is_some() => {
                let (lang, text) = code.take().unwrap();
                let lang = if LISP_LANGS.contains(&lang.as_str()) {
                    lang
                } else {
                    "sema".into()
                };
                out.push(Event::Html(CowStr::from(format!(
                    "<pre><code class=\"language-{lang}\">{}</code></pre>\n",
                    highlight(&text)
                ))));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                image_depth += 1;
                out.push(Event::Start(Tag::Link {
                    link_type: pulldown_cmark::LinkType::Inline,
                    dest_url,
                    title: CowStr::from(""),
                    id: CowStr::from(""),
                }));
                out.push(Event::Text(CowStr::from("[image: ")));
            }
            Event::End(TagEnd::Image) if image_depth > 0 => {
                image_depth -= 1;
                out.push(Event::Text(CowStr::from("]")));
                out.push(Event::End(TagEnd::Link));
            }
            other => out.push(other),
        }
    }
    out.into_iter()
}

fn is_lisp(info: &str) -> bool {
    let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
    LISP_LANGS.contains(&lang.as_str())
}

const SPECIAL_FORMS: &[&str] = &[
    "define",
    "defn",
    "defun",
    "defmacro",
    "defstruct",
    "lambda",
    "fn",
    "let",
    "let*",
    "letrec",
    "if",
    "cond",
    "case",
    "when",
    "unless",
    "do",
    "begin",
    "and",
    "or",
    "not",
    "quote",
    "quasiquote",
    "set!",
    "import",
    "module",
    "export",
    "try",
    "catch",
    "throw",
    "match",
    "define-record-type",
    "else",
];

/// A small Lisp tokenizer: comments, strings, keywords, numbers, special
/// forms and brackets get a class; everything is HTML-escaped.
pub fn highlight(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    let span = |out: &mut String, class: &str, text: &str| {
        out.push_str("<span class=\"");
        out.push_str(class);
        out.push_str("\">");
        escape_into(out, text);
        out.push_str("</span>");
    };
    while i < chars.len() {
        let c = chars[i];
        if c == ';' {
            let start = i;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            span(&mut out, "tok-com", &collect(&chars[start..i]));
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            span(&mut out, "tok-str", &collect(&chars[start..i]));
        } else if "()[]{}".contains(c) {
            span(&mut out, "tok-paren", &c.to_string());
            i += 1;
        } else if c.is_whitespace() || "'`,@".contains(c) {
            escape_into(&mut out, &c.to_string());
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"()[]{}\";".contains(chars[i]) {
                i += 1;
            }
            let word = collect(&chars[start..i]);
            let after_paren = out.ends_with("(</span>");
            let class = if word.starts_with(':') {
                Some("tok-kw")
            } else if (word.starts_with('#') && word.len() > 1) || word.parse::<f64>().is_ok() {
                Some("tok-num")
            } else if after_paren && SPECIAL_FORMS.contains(&word.as_str()) {
                Some("tok-form")
            } else if after_paren {
                Some("tok-sym")
            } else {
                None
            };
            match class {
                Some(c) => span(&mut out, c, &word),
                None => escape_into(&mut out, &word),
            }
        }
    }
    out
}

fn collect(c: &[char]) -> String {
    c.iter().collect()
}

fn escape_into(out: &mut String, s: &str) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_sanitises() {
        let out = render("# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n```sema\n(+ 1 2)\n```");
        assert!(out.contains("<h1>Hi</h1>"), "{out}");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(out.contains("language-sema"), "{out}");
    }

    #[test]
    fn highlights_lisp_blocks_safely() {
        let out = render(
            "```sema\n; greet\n(define (hi name) (string-append \"<b>\" name)) :key 42\n```",
        );
        assert!(
            out.contains("<span class=\"tok-com\">; greet</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"tok-form\">define</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"tok-str\">\"&lt;b&gt;\"</span>"),
            "{out}"
        );
        assert!(out.contains("<span class=\"tok-kw\">:key</span>"), "{out}");
        assert!(out.contains("<span class=\"tok-num\">42</span>"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        // Other languages are left alone; an unterminated string does not break out.
        let out = render("```sema\n\"</code><script>x</script>\n```");
        assert!(!out.contains("<script"), "{out}");
        let out = render("```rust\nfn main() {}\n```");
        assert!(!out.contains("tok-"), "{out}");
    }

    #[test]
    fn images_become_links_and_raw_images_vanish() {
        let out =
            render("![logo](https://example.com/x.png) <img src=\"https://evil.example/t.gif\">");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("href=\"https://example.com/x.png\""), "{out}");
        assert!(out.contains("[image: logo]"), "{out}");
    }
}
