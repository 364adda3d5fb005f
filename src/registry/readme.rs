//! README rendering: CommonMark (+ tables, strikethrough, task lists) to HTML,
//! then sanitised by ammonia so a README cannot run script on our pages.

use pulldown_cmark::{html, Options, Parser};

pub fn render(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, opts));
    ammonia::Builder::default()
        .link_rel(Some("nofollow noopener noreferrer"))
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
        .clean(&unsafe_html)
        .to_string()
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
}
