//! Search-query building: `registry::search::Query::parse` and `Sort::parse`
//! (pure; the SQL is assembled from fixed fragments with bound parameters).
//! Nothing that reaches Postgres may carry a NUL or another control character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_pkg::registry::search::{Query, SearchParams, Sort};

fuzz_target!(|input: &str| {
    // Fields separated by `\u{1}`: q, keyword, owner, ns, sort.
    let mut f = input.split('\u{1}').map(|s| Some(s.to_string()));
    let p = SearchParams {
        q: f.next().flatten(),
        keyword: f.next().flatten(),
        owner: f.next().flatten(),
        ns: f.next().flatten(),
        sort: f.next().flatten(),
        ..Default::default()
    };
    let q = Query::parse(&p);
    let clean = |s: &str| !s.chars().any(char::is_control);
    assert!(clean(&q.text), "{q:?}");
    assert!(
        q.words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric)),
        "{q:?}"
    );
    assert!(q.keywords.iter().all(|k| clean(k)), "{q:?}");
    assert!(q.owner.as_deref().is_none_or(clean), "{q:?}");
    assert!(q.namespace.as_deref().is_none_or(clean), "{q:?}");
    if let Some(k) = &q.name_key {
        assert!(
            k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/'),
            "{k}"
        );
    }
    // Unknown sorts are a 400, never a panic.
    let _ = Sort::parse(p.sort.as_deref(), !q.text.is_empty());
});
