//! Tarball validation never panics, and whatever it accepts obeys the rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_pkg::domain::tarball::{inspect_bytes, Limits};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast and let the fuzzer reach every limit.
    let limits = Limits {
        unpacked_bytes: 4 * 1024 * 1024,
        entries: 64,
        entry_bytes: 1024 * 1024,
        manifest_bytes: 64 * 1024,
        readme_bytes: 4 * 1024,
    };
    if let Ok(c) = inspect_bytes(data, limits) {
        assert!(c.files.len() <= limits.entries);
        assert!(c.manifest.len() as u64 <= limits.manifest_bytes);
        // The README is capped, possibly growing by lossy UTF-8 replacement (3 bytes per byte).
        assert!(c
            .readme
            .as_ref()
            .is_none_or(|r| r.len() <= 3 * limits.readme_bytes));
        for f in &c.files {
            assert!(!f.starts_with('/'), "{f}");
            assert!(f.split('/').all(|s| s != ".." && !s.is_empty()), "{f}");
        }
    }
});
