//! Tarball validation: a streaming pass over the gzip + tar with limits, so a
//! bomb costs us bounded time and memory. Synchronous; run on a blocking thread.

use std::io::{self, Read};
use std::path::{Component, Path};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes after decompression.
    pub unpacked_bytes: u64,
    pub entries: usize,
    pub entry_bytes: u64,
    pub manifest_bytes: u64,
    pub readme_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            unpacked_bytes: 256 * 1024 * 1024,
            entries: 10_000,
            entry_bytes: 64 * 1024 * 1024,
            manifest_bytes: 256 * 1024,
            readme_bytes: 512 * 1024,
        }
    }
}

/// What the registry keeps from a valid tarball.
#[derive(Debug, Clone)]
pub struct Contents {
    pub manifest: String,
    pub readme: Option<String>,
    pub files: Vec<String>,
}

/// Counts decompressed bytes and fails once past the limit.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other(UNPACKED_TOO_LARGE));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

const UNPACKED_TOO_LARGE: &str = "unpacked-too-large";

fn bad(msg: impl Into<String>) -> AppError {
    AppError::bad_request(format!("invalid tarball: {}", msg.into()))
}

fn io_error(e: io::Error, limits: &Limits) -> AppError {
    if e.to_string().contains(UNPACKED_TOO_LARGE) {
        AppError::PayloadTooLarge(format!(
            "invalid tarball: it unpacks to more than {} bytes",
            limits.unpacked_bytes
        ))
    } else {
        bad(format!("not a readable gzip-compressed tar archive ({e})"))
    }
}

/// Validates the archive at `path` and extracts the manifest and README.
pub fn inspect(path: &Path, limits: Limits) -> AppResult<Contents> {
    let mut file = std::fs::File::open(path).map_err(AppError::internal)?;
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(bad("not gzip-compressed (expected a .tar.gz)"));
    }
    let file = std::fs::File::open(path).map_err(AppError::internal)?;
    let gz = flate2::read::GzDecoder::new(io::BufReader::new(file));
    inspect_tar(
        Capped {
            inner: gz,
            left: limits.unpacked_bytes,
        },
        limits,
    )
}

/// The same validation over bytes in memory (the fuzz targets use it).
pub fn inspect_bytes(bytes: &[u8], limits: Limits) -> AppResult<Contents> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(bad("not gzip-compressed (expected a .tar.gz)"));
    }
    let gz = flate2::read::GzDecoder::new(bytes);
    inspect_tar(
        Capped {
            inner: gz,
            left: limits.unpacked_bytes,
        },
        limits,
    )
}

fn inspect_tar<R: Read>(reader: R, limits: Limits) -> AppResult<Contents> {
    let mut archive = tar::Archive::new(reader);
    let mut manifest = None;
    // (depth, text) of the shallowest README seen so far.
    let mut readme: Option<(usize, String)> = None;
    let mut files = Vec::new();
    let entries = archive.entries().map_err(|e| io_error(e, &limits))?;
    for (i, entry) in entries.enumerate() {
        if i >= limits.entries {
            return Err(bad(format!("more than {} entries", limits.entries)));
        }
        let mut entry = entry.map_err(|e| io_error(e, &limits))?;
        let kind = entry.header().entry_type();
        let raw_path = entry
            .path()
            .map_err(|e| bad(format!("unreadable entry name ({e})")))?
            .into_owned();
        let shown = raw_path
            .to_string_lossy()
            .chars()
            .take(120)
            .collect::<String>();
        let Some(rel) = raw_path.to_str() else {
            return Err(bad(format!("entry name {shown:?} is not UTF-8")));
        };
        let mut parts = Vec::new();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(p) => parts.push(p.to_str().unwrap_or_default().to_string()),
                Component::CurDir => {}
                Component::ParentDir => return Err(bad(format!("entry {shown:?} contains `..`"))),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(bad(format!("entry {shown:?} is an absolute path")))
                }
            }
        }
        if rel.contains('\\') || rel.contains(':') {
            return Err(bad(format!("entry {shown:?} contains `\\` or `:`")));
        }
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            // pax global headers carry metadata only.
            tar::EntryType::XGlobalHeader => continue,
            other => {
                let what = match other {
                    tar::EntryType::Symlink => "a symlink",
                    tar::EntryType::Link => "a hardlink",
                    tar::EntryType::Char | tar::EntryType::Block => "a device",
                    tar::EntryType::Fifo => "a FIFO",
                    _ => "not a regular file or directory",
                };
                return Err(bad(format!(
                    "entry {shown:?} is {what}; only regular files and directories are allowed"
                )));
            }
        }
        if parts.is_empty() {
            continue;
        }
        let size = entry
            .header()
            .size()
            .map_err(|e| bad(format!("entry {shown:?}: {e}")))?;
        let file_name = parts
            .last()
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let is_readme = matches!(
            file_name.as_str(),
            "readme.md" | "readme" | "readme.markdown"
        );
        // A README is only ever read up to `readme_bytes`, so a huge one is capped,
        // not refused; the total unpacked limit still bounds the work.
        if size > limits.entry_bytes && !is_readme {
            return Err(AppError::PayloadTooLarge(format!(
                "invalid tarball: entry {shown:?} is larger than {} bytes",
                limits.entry_bytes
            )));
        }
        let joined = parts.join("/");
        let depth = parts.len() - 1;
        if joined == "sema.toml" {
            if size > limits.manifest_bytes {
                return Err(bad(format!(
                    "sema.toml is larger than {} bytes",
                    limits.manifest_bytes
                )));
            }
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(|e| {
                if e.kind() == io::ErrorKind::InvalidData {
                    bad("sema.toml is not UTF-8")
                } else {
                    io_error(e, &limits)
                }
            })?;
            if manifest.replace(text).is_some() {
                return Err(bad("sema.toml appears twice"));
            }
        } else if is_readme && readme.as_ref().is_none_or(|(d, _)| depth < *d) {
            let mut buf = Vec::new();
            (&mut entry)
                .take(limits.readme_bytes as u64)
                .read_to_end(&mut buf)
                .map_err(|e| io_error(e, &limits))?;
            // Lossy: a README is shown, never executed; NUL cannot be stored in Postgres text.
            let text = String::from_utf8_lossy(&buf).replace('\0', "\u{fffd}");
            readme = Some((depth, text));
        }
        // The rest of the entry is read (and counted) when the iterator skips it.
        files.push(joined);
    }
    // Whatever follows the end-of-archive marker is inflated by installers that
    // gunzip the whole stream: count it too, so a bomb cannot hide behind it.
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(|e| io_error(e, &limits))?;
    let manifest = manifest.ok_or_else(|| bad("no sema.toml at the root of the archive"))?;
    Ok(Contents {
        manifest,
        readme: readme.map(|(_, r)| r),
        files,
    })
}

/// Builds a `.tar.gz` the way `sema pkg publish` does (GNU headers, files
/// only). Used by the demo seed and by tests.
pub fn build(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data)
            .expect("writing to memory");
    }
    b.into_inner()
        .and_then(|gz| gz.finish())
        .expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(tar_bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(tar_bytes).unwrap();
        f.write_all(&enc.finish().unwrap()).unwrap();
        f
    }

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn picks_shallowest_readme() {
        let f = gz(&tar_of(&[
            ("docs/README.md", b"deep"),
            ("sema.toml", b"x"),
            ("ReadMe.MD", b"top"),
        ]));
        let c = inspect(f.path(), Limits::default()).unwrap();
        assert_eq!(c.readme.as_deref(), Some("top"));
        assert_eq!(c.manifest, "x");
    }

    #[test]
    fn rejects_bombs_and_missing_manifest() {
        let f = gz(&tar_of(&[("a.sema", b"x")]));
        assert!(inspect(f.path(), Limits::default())
            .unwrap_err()
            .to_string()
            .contains("no sema.toml"));
        let zeros = vec![0u8; 2 * 1024 * 1024];
        let f = gz(&tar_of(&[("sema.toml", b"x"), ("big", &zeros)]));
        let limits = Limits {
            unpacked_bytes: 1024 * 1024,
            ..Limits::default()
        };
        let e = inspect(f.path(), limits).unwrap_err();
        assert!(matches!(e, AppError::PayloadTooLarge(_)), "{e}");
        let mut plain = tempfile::NamedTempFile::new().unwrap();
        plain.write_all(b"hello").unwrap();
        assert!(inspect(plain.path(), Limits::default())
            .unwrap_err()
            .to_string()
            .contains("not gzip"));
    }
}
