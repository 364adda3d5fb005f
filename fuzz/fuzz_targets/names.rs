//! Name and version canonicalisation: no panics, and canonical forms are stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_pkg::domain::names::{canonical, PackageName, Version, RESERVED, SEGMENT_MAX};

fuzz_target!(|raw: &str| {
    if let Ok(n) = PackageName::parse(raw) {
        assert_eq!(n.name, raw);
        assert_eq!(n.canonical, canonical(raw));
        // Canonicalising is idempotent and the canonical form is itself a valid name.
        assert_eq!(canonical(&n.canonical), n.canonical);
        let again = PackageName::parse(&n.canonical).expect("canonical form parses");
        assert_eq!(again.canonical, n.canonical);
        // Only the characters the CLI can put in a URL path unescaped.
        assert!(raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'));
        assert!(raw.split('/').count() <= 2);
        assert!(raw
            .split('/')
            .all(|s| !s.is_empty() && s.len() <= SEGMENT_MAX));
        let last = n.canonical.rsplit('/').next().unwrap();
        assert!(!RESERVED.contains(&last));
        assert!(!raw.contains(".."));
    }
    if let Ok(v) = Version::parse(raw) {
        assert_eq!(v.raw, raw);
        assert!(raw.len() <= 128);
        // The key drops build metadata only, and is a version of its own.
        let key = Version::parse(&v.key).expect("key parses");
        assert_eq!(key.key, v.key);
        assert!(v.key.len() <= raw.len());
        assert_eq!(raw.split('+').next().unwrap(), v.key);
    }
});
