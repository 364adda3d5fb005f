//! The `.sema` files of a `.tar.gz`, one at a time, within the limits. The
//! archive itself was validated by `registry::tarball` (paths, entry kinds,
//! unpacked size); this pass only reads what it analyses.

use std::io::Read;

use super::report::Limits;
use super::walk::Findings;

pub(super) fn each_sema_file(input: impl Read, limits: &Limits, acc: &mut Findings) {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(input));
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return acc.note(format!("could not read the tarball: {e}")),
    };
    let (mut files, mut total) = (0usize, 0u64);
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => return acc.note(format!("could not read the tarball: {e}")),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = match entry.path() {
            Ok(p) => p.to_string_lossy().trim_start_matches("./").to_string(),
            Err(_) => continue,
        };
        if !path.to_ascii_lowercase().ends_with(".sema") {
            continue;
        }
        let size = entry.size();
        files += 1;
        let skip = if files > limits.files {
            Some(format!("more than {} .sema files", limits.files))
        } else if size > limits.file_bytes {
            Some(format!("larger than {} bytes", limits.file_bytes))
        } else if total + size > limits.total_bytes {
            Some(format!(
                "the .sema files pass {} bytes together",
                limits.total_bytes
            ))
        } else {
            None
        };
        if let Some(why) = skip {
            acc.skipped(&path, &why);
            continue;
        }
        total += size;
        let mut bytes = Vec::with_capacity(size as usize);
        if let Err(e) = (&mut entry).take(size).read_to_end(&mut bytes) {
            return acc.note(format!("could not read {path}: {e}"));
        }
        match String::from_utf8(bytes) {
            Ok(text) => acc.read_file(&path, &text),
            Err(_) => acc.unreadable(&path, "not UTF-8"),
        }
    }
}
