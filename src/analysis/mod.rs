//! What a version's code can do, read (never run) with Sema's own reader:
//! the capabilities its builtins need (through the table generated from
//! sema-stdlib, `capability_table.rs`), the dynamic features reading cannot
//! see through (`eval`, `load`, `import` of a computed value), its public API
//! and the packages it imports. Plain Rust: no SQL, no HTTP.
//!
//! Hostile input costs bounded time and memory: files past a size, bracket
//! or token count are not read (and said so), the reader refuses nesting past
//! 256, the walk stops after a node budget, and the whole analysis runs on a
//! short-lived thread of its own (Sema's symbol interner is per thread and
//! never shrinks, so it dies with the thread) that is given up after a time
//! limit. A file that does not parse is reported, never an error: analysis
//! never blocks a publish.

pub mod capability_table;
pub mod diff;
mod report;
mod sources;
mod walk;

use std::path::Path;

pub use diff::{diff, Bump, Diff, Side};
pub use report::*;

/// Analyses `(path, text)` sources. Pure and synchronous; `analyze_tarball`
/// is the bounded entry point for untrusted uploads.
pub fn analyze_sources(files: &[(String, String)], limits: &Limits) -> Report {
    let mut acc = walk::Findings::new(limits);
    for (path, text) in files {
        acc.read_file(path, text);
    }
    acc.finish()
}

/// Analyses the `.sema` files of a `.tar.gz` on a thread of its own, within
/// `limits`. Never fails: what went wrong is in the report's notes.
pub fn analyze_tarball(path: &Path, limits: Limits) -> Report {
    let path = path.to_path_buf();
    run_bounded(limits, move || {
        let file =
            std::fs::File::open(&path).map_err(|e| format!("could not open the tarball: {e}"))?;
        Ok(analyze_gzip(std::io::BufReader::new(file), &limits))
    })
}

/// The same over bytes in memory (the fuzz target and tests use it).
pub fn analyze_tarball_bytes(bytes: Vec<u8>, limits: Limits) -> Report {
    run_bounded(limits, move || Ok(analyze_gzip(bytes.as_slice(), &limits)))
}

fn analyze_gzip(input: impl std::io::Read, limits: &Limits) -> Report {
    let mut acc = walk::Findings::new(limits);
    sources::each_sema_file(input, limits, &mut acc);
    acc.finish()
}

/// Stack for the analysis thread: the reader recurses up to 256 levels and
/// the walk follows it.
const STACK_BYTES: usize = 32 * 1024 * 1024;

fn run_bounded(
    limits: Limits,
    work: impl FnOnce() -> Result<Report, String> + Send + 'static,
) -> Report {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("sema-analysis".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(out);
        });
    if let Err(e) = spawned {
        return failed(format!("analysis could not start: {e}"));
    }
    match rx.recv_timeout(limits.time) {
        Ok(Ok(Ok(report))) => report,
        Ok(Ok(Err(reason))) => failed(reason),
        Ok(Err(_)) => failed("analysis failed: the reader panicked".into()),
        // The thread finishes on its own (its work is bounded); nobody waits.
        Err(_) => failed(format!("analysis stopped after {:?}", limits.time)),
    }
}

/// A report that says only why there is nothing in it.
fn failed(reason: String) -> Report {
    Report {
        analyzer: ANALYZER_VERSION,
        sema: capability_table::SEMA_VERSION.into(),
        dynamic: true,
        notes: vec![reason],
        complete: false,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
