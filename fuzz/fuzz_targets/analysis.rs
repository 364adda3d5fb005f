//! The code analyzer never panics, stays within its limits, and what it
//! reports is consistent: every capability is one of Sema's, every use's
//! capabilities are in the summary, and dynamic sites make the version dynamic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sema_pkg::analysis::{analyze_sources, Limits, CAPABILITIES};

fuzz_target!(|text: &str| {
    let limits = Limits {
        nodes: 200_000,
        ..Limits::default()
    };
    let files = vec![("fuzz.sema".to_string(), text.to_string())];
    // A thread per input, as in the registry: Sema's symbol interner is per
    // thread and would otherwise grow over the whole run.
    let report = std::thread::Builder::new()
        .stack_size(32 * 1024 * 1024)
        .spawn(move || analyze_sources(&files, &limits))
        .unwrap()
        .join()
        .unwrap();
    for c in &report.capabilities {
        assert!(CAPABILITIES.contains(&c.as_str()), "{c}");
    }
    for u in &report.uses {
        assert!(u.capabilities.iter().all(|c| report.capabilities.contains(c)), "{u:?}");
        assert!(u.line >= 1);
    }
    assert!(report.dynamic || report.dynamic_uses.is_empty());
    assert!(report.notes.len() <= limits.listed);
});
