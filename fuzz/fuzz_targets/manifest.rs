//! `sema.toml` parsing never panics, and an accepted manifest is self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_pkg::domain::manifest::{parse, safe_relative_path, DepKind};
use sema_pkg::domain::names::{PackageName, Version};

fuzz_target!(|text: &str| {
    let name = PackageName::parse("demo").unwrap();
    let version = Version::parse("0.1.0").unwrap();
    // Also fuzz the body under a fixed, matching header so the fuzzer gets past the name check.
    let with_header = format!("[package]\nname = \"demo\"\nversion = \"0.1.0\"\n{text}");
    for doc in [text, with_header.as_str()] {
        if let Ok(m) = parse(doc, &name, &version) {
            assert_eq!(m.name, "demo");
            assert_eq!(m.version, "0.1.0");
            assert!(m.entrypoint.as_deref().is_none_or(safe_relative_path));
            for u in [&m.repository, &m.homepage].into_iter().flatten() {
                assert!(u.starts_with("http://") || u.starts_with("https://"), "{u}");
            }
            for d in &m.deps {
                if d.kind == DepKind::Registry {
                    assert!(PackageName::parse(&d.name).is_ok());
                    assert!(Version::parse(&d.req).is_ok());
                }
            }
        }
    }
});
