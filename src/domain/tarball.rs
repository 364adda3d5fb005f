//! Tarball validation: a streaming pass over the gzip + tar with limits, so a
//! bomb costs us bounded time and memory. Synchronous; run on a blocking thread.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::io::{self, BufRead, Read};
use std::path::{Component, Path};

use unicode_normalization::UnicodeNormalization;

use super::{DomainError, DomainResult};

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

fn bad(msg: impl Into<String>) -> DomainError {
    DomainError::invalid(format!("invalid tarball: {}", msg.into()))
}

fn io_error(e: io::Error, limits: &Limits) -> DomainError {
    if e.to_string().contains(UNPACKED_TOO_LARGE) {
        DomainError::TooLarge(format!(
            "invalid tarball: it unpacks to more than {} bytes",
            limits.unpacked_bytes
        ))
    } else {
        bad(format!("not a readable gzip-compressed tar archive ({e})"))
    }
}

/// Largest GNU long-name/long-link or pax record read. The `tar` crate would
/// buffer one of any size (a 250 MB name from a 250 KB upload), so they are
/// read here, raw, and refused past this.
const MAX_EXTENSION_BYTES: u64 = 4096;
/// Longest path and deepest folder nesting accepted: far past real packages,
/// and they bound the collision bookkeeping below.
const MAX_PATH_BYTES: usize = 1024;
const MAX_DEPTH: usize = 64;

/// Validates the archive at `path` and extracts the manifest and README.
pub fn inspect(path: &Path, limits: Limits) -> DomainResult<Contents> {
    let mut file = std::fs::File::open(path).map_err(|e| DomainError::Io(e.to_string()))?;
    let mut magic = [0u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Err(bad("not gzip-compressed (expected a .tar.gz)"));
    }
    let file = std::fs::File::open(path).map_err(|e| DomainError::Io(e.to_string()))?;
    inspect_gzip(io::BufReader::new(file), limits)
}

/// The same validation over bytes in memory (the fuzz targets use it).
pub fn inspect_bytes(bytes: &[u8], limits: Limits) -> DomainResult<Contents> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(bad("not gzip-compressed (expected a .tar.gz)"));
    }
    inspect_gzip(bytes, limits)
}

/// One gzip member, then nothing but zero padding: GNU tar, Python and
/// mirrors would also inflate a second member, which we would never have seen.
fn inspect_gzip<B: BufRead>(input: B, limits: Limits) -> DomainResult<Contents> {
    let gz = flate2::bufread::GzDecoder::new(input);
    let capped = Capped {
        inner: gz,
        left: limits.unpacked_bytes,
    };
    let (contents, capped) = inspect_tar(capped, limits)?;
    let mut rest = capped.inner.into_inner();
    let mut buf = [0u8; 8192];
    loop {
        let n = rest.read(&mut buf).map_err(|e| io_error(e, &limits))?;
        if n == 0 {
            return Ok(contents);
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(bad(
                "data after the end of the gzip stream (a second gzip member?); \
                 upload a single-member .tar.gz",
            ));
        }
    }
}

fn inspect_tar<R: Read>(reader: R, limits: Limits) -> DomainResult<(Contents, R)> {
    let mut archive = tar::Archive::new(reader);
    let mut walk = Walk::default();
    // Raw: long names and pax records come to us as entries, unbuffered.
    let entries = archive
        .entries()
        .map_err(|e| io_error(e, &limits))?
        .raw(true);
    for (i, entry) in entries.enumerate() {
        if i >= limits.entries {
            return Err(bad(format!("more than {} entries", limits.entries)));
        }
        let mut entry = entry.map_err(|e| io_error(e, &limits))?;
        walk.visit(&mut entry, &limits)?;
    }
    if walk.ext.is_pending() {
        return Err(bad("a long-name or pax record describes no entry"));
    }
    // Whatever follows the end-of-archive marker is inflated by installers that
    // gunzip the whole stream: count it too, so a bomb cannot hide behind it.
    let mut inner = archive.into_inner();
    io::copy(&mut inner, &mut io::sink()).map_err(|e| io_error(e, &limits))?;
    let manifest = walk
        .manifest
        .ok_or_else(|| bad("no sema.toml at the root of the archive"))?;
    let contents = Contents {
        manifest,
        readme: walk.readme.map(|(_, r)| r),
        files: walk.files,
    };
    Ok((contents, inner))
}

/// Long-name and pax values waiting for the entry they describe.
#[derive(Default)]
struct Extensions {
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_size: Option<u64>,
}

impl Extensions {
    fn is_pending(&self) -> bool {
        self.long_name.is_some() || self.pax_path.is_some() || self.pax_size.is_some()
    }

    fn read<R: Read>(
        &mut self,
        entry: &mut tar::Entry<R>,
        kind: tar::EntryType,
    ) -> DomainResult<()> {
        let size = entry
            .header()
            .entry_size()
            .map_err(|e| bad(format!("unreadable extension header ({e})")))?;
        if size > MAX_EXTENSION_BYTES {
            return Err(bad(format!(
                "a long-name or pax record of {size} bytes (at most {MAX_EXTENSION_BYTES})"
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("unreadable extension record ({e})")))?;
        match kind {
            tar::EntryType::GNULongName => {
                while data.last() == Some(&0) {
                    data.pop();
                }
                if self.long_name.replace(data).is_some() {
                    return Err(bad("two long names for one entry"));
                }
                Ok(())
            }
            // Links are refused with their entry; the name itself is unused.
            tar::EntryType::GNULongLink => Ok(()),
            tar::EntryType::XHeader => self.read_pax(&data, false),
            _ => self.read_pax(&data, true),
        }
    }

    /// Local pax records may rename the next entry; a size that differs from
    /// the header's is a differential (readers disagree on where data ends).
    fn read_pax(&mut self, data: &[u8], global: bool) -> DomainResult<()> {
        for ext in tar::PaxExtensions::new(data) {
            let ext = ext.map_err(|_| bad("a malformed pax record"))?;
            let key = ext.key().map_err(|_| bad("a pax key is not UTF-8"))?;
            match (key, global) {
                ("path" | "size" | "linkpath", true) => {
                    return Err(bad(format!("a global pax record sets `{key}`")))
                }
                ("path", false) => self.pax_path = Some(ext.value_bytes().to_vec()),
                ("size", false) => {
                    let v = ext.value().ok().and_then(|v| v.parse().ok());
                    self.pax_size = Some(v.ok_or_else(|| bad("a pax size is not a number"))?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The entry's name: pax `path` over a GNU long name over the header.
    fn take_name(&mut self, header: &tar::Header, size: u64) -> DomainResult<Vec<u8>> {
        if let Some(s) = self.pax_size.take() {
            if s != size {
                return Err(bad(format!(
                    "a pax size ({s}) differs from its entry's ({size})"
                )));
            }
        }
        let long = self.long_name.take();
        Ok(match (self.pax_path.take(), long) {
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => header.path_bytes().into_owned(),
        })
    }
}

/// What the walk over the entries has gathered so far.
#[derive(Default)]
struct Walk {
    ext: Extensions,
    manifest: Option<String>,
    /// (depth, text) of the shallowest README seen so far.
    readme: Option<(usize, String)>,
    files: Vec<String>,
    paths: Collisions,
}

impl Walk {
    fn visit<R: Read>(&mut self, entry: &mut tar::Entry<R>, limits: &Limits) -> DomainResult<()> {
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
                | tar::EntryType::XHeader
                | tar::EntryType::XGlobalHeader
        ) {
            return self.ext.read(entry, kind);
        }
        let size = entry
            .header()
            .entry_size()
            .map_err(|e| bad(format!("unreadable entry size ({e})")))?;
        let name = self.ext.take_name(entry.header(), size)?;
        let (parts, shown) = split_path(&name)?;
        check_kind(kind, &shown)?;
        if parts.is_empty() {
            return Ok(());
        }
        self.paths
            .claim(&parts, kind == tar::EntryType::Directory, &shown)?;
        if kind == tar::EntryType::Directory {
            return Ok(());
        }
        self.read_file(entry, parts, size, &shown, limits)
    }

    fn read_file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<R>,
        parts: Vec<String>,
        size: u64,
        shown: &str,
        limits: &Limits,
    ) -> DomainResult<()> {
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
            return Err(DomainError::TooLarge(format!(
                "invalid tarball: entry {shown:?} is larger than {} bytes",
                limits.entry_bytes
            )));
        }
        let joined = parts.join("/");
        let depth = parts.len() - 1;
        if joined == "sema.toml" {
            self.manifest = Some(read_manifest(entry, size, limits)?);
        } else if is_readme && self.readme.as_ref().is_none_or(|(d, _)| depth < *d) {
            let mut buf = Vec::new();
            entry
                .take(limits.readme_bytes as u64)
                .read_to_end(&mut buf)
                .map_err(|e| io_error(e, limits))?;
            // Lossy: a README is shown, never executed; NUL cannot be stored in Postgres text.
            let text = String::from_utf8_lossy(&buf).replace('\0', "\u{fffd}");
            self.readme = Some((depth, text));
        }
        // The rest of the entry is read (and counted) when the iterator skips it.
        self.files.push(joined);
        Ok(())
    }
}

fn read_manifest<R: Read>(entry: &mut R, size: u64, limits: &Limits) -> DomainResult<String> {
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
            io_error(e, limits)
        }
    })?;
    Ok(text)
}

/// The entry name as relative path segments, and a short form for messages.
fn split_path(name: &[u8]) -> DomainResult<(Vec<String>, String)> {
    let lossy = String::from_utf8_lossy(name);
    let shown = lossy.chars().take(120).collect::<String>();
    let Ok(rel) = std::str::from_utf8(name) else {
        return Err(bad(format!("entry name {shown:?} is not UTF-8")));
    };
    if rel.len() > MAX_PATH_BYTES {
        return Err(bad(format!(
            "entry name {shown:?}… is longer than {MAX_PATH_BYTES} bytes"
        )));
    }
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
    if parts.len() > MAX_DEPTH {
        return Err(bad(format!(
            "entry {shown:?} is nested more than {MAX_DEPTH} folders deep"
        )));
    }
    Ok((parts, shown))
}

fn check_kind(kind: tar::EntryType, shown: &str) -> DomainResult<()> {
    let what = match kind {
        tar::EntryType::Directory | tar::EntryType::Regular | tar::EntryType::Continuous => {
            return Ok(())
        }
        tar::EntryType::Symlink => "a symlink",
        tar::EntryType::Link => "a hardlink",
        tar::EntryType::Char | tar::EntryType::Block => "a device",
        tar::EntryType::Fifo => "a FIFO",
        _ => "not a regular file or directory",
    };
    Err(bad(format!(
        "entry {shown:?} is {what}; only regular files and directories are allowed"
    )))
}

/// Paths already in the archive, folded the way case-insensitive and
/// normalising file systems (macOS, Windows) compare them, so no two entries
/// can land on one file and tools cannot disagree on which one wins. Kept as
/// keyed hashes: a few bytes a path whatever its length.
#[derive(Default)]
struct Collisions {
    keys: RandomState,
    files: HashSet<u64>,
    dirs: HashSet<u64>,
}

impl Collisions {
    fn claim(&mut self, parts: &[String], is_dir: bool, shown: &str) -> DomainResult<()> {
        let clash = || {
            bad(format!(
                "entry {shown:?} collides with another entry (paths are compared ignoring \
                 case and Unicode normalisation)"
            ))
        };
        let mut hasher = self.keys.build_hasher();
        let mut key = 0;
        for (i, part) in parts.iter().enumerate() {
            part.nfc()
                .flat_map(char::to_lowercase)
                .for_each(|c| c.hash(&mut hasher));
            '/'.hash(&mut hasher);
            key = hasher.finish();
            if i + 1 < parts.len() || is_dir {
                if self.files.contains(&key) {
                    return Err(clash());
                }
                self.dirs.insert(key);
            }
        }
        if !is_dir && (self.dirs.contains(&key) || !self.files.insert(key)) {
            return Err(clash());
        }
        Ok(())
    }
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

    /// A raw GNU header (the `tar` crate refuses to write some of these).
    fn raw_entry(name: &[u8], kind: u8, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    fn entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut e = raw_entry(name.as_bytes(), b'0', data.len() as u64);
        e.extend_from_slice(data);
        e.resize(e.len().div_ceil(512) * 512, 0);
        e
    }

    fn closed(mut t: Vec<u8>) -> Vec<u8> {
        t.extend_from_slice(&[0; 1024]);
        t
    }

    /// Counts what the validator inflates, to show what it had to hold.
    struct Counting<R>(R, std::rc::Rc<std::cell::Cell<u64>>);

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn a_huge_long_name_is_refused_after_reading_only_its_header() {
        let long = 64 << 20;
        let mut t = raw_entry(b"././@LongLink", b'L', long);
        t.extend(std::iter::repeat_n(b'a', long as usize));
        t.extend(entry("sema.toml", b"x"));
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let e = inspect_tar(Counting(&closed(t)[..], read.clone()), Limits::default())
            .err()
            .expect("refused");
        assert!(e.to_string().contains("long-name or pax record"), "{e}");
        assert!(read.get() < 64 * 1024, "inflated {} bytes", read.get());
    }

    #[test]
    fn pax_records_rename_within_bounds_and_cannot_lie_about_size() {
        let pax = |rec: &str| {
            let mut e = raw_entry(b"PaxHeaders/x", b'x', rec.len() as u64);
            e.extend_from_slice(rec.as_bytes());
            e.resize(e.len().div_ceil(512) * 512, 0);
            e
        };
        let mut t = pax("18 path=sema.toml\n");
        t.extend(entry("other", b"manifest"));
        let c = inspect_bytes(&gzip_bytes(&closed(t)), Limits::default()).unwrap();
        assert_eq!(c.manifest, "manifest");
        assert_eq!(c.files, ["sema.toml"]);
        let mut t = pax("10 size=9\n");
        t.extend(entry("sema.toml", b"x"));
        let e = inspect_bytes(&gzip_bytes(&closed(t)), Limits::default()).unwrap_err();
        assert!(e.to_string().contains("pax size"), "{e}");
    }

    fn gzip_bytes(tar_bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(tar_bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn only_one_gzip_member_and_zero_padding_are_accepted() {
        let good = build(&[("sema.toml", b"x")]);
        let mut padded = good.clone();
        padded.extend_from_slice(&[0; 4096]);
        assert_eq!(
            inspect_bytes(&padded, Limits::default()).unwrap().manifest,
            "x"
        );
        let two = [good.clone(), build(&[("evil.sema", b"(shell)")])].concat();
        let e = inspect_bytes(&two, Limits::default()).unwrap_err();
        assert!(e.to_string().contains("second gzip member"), "{e}");
        let mut junk = good;
        junk.extend_from_slice(&[0, 0, 7]);
        assert!(inspect_bytes(&junk, Limits::default()).is_err());
    }

    #[test]
    fn colliding_paths_are_refused() {
        for (a, b) in [
            ("README.md", "README.md"),
            ("README.md", "./README.md"),
            ("Sema.toml", "sema.toml"),
            ("caf\u{e9}.sema", "cafe\u{301}.sema"),
            ("lib", "Lib/x.sema"),
            ("lib/x.sema", "LIB"),
        ] {
            let t = [entry(a, b"1"), entry(b, b"2"), entry("sema.toml", b"x")].concat();
            let e = inspect_bytes(&gzip_bytes(&closed(t)), Limits::default()).unwrap_err();
            assert!(e.to_string().contains("collides"), "{a} / {b}: {e}");
        }
        let ok = [
            entry("lib/a.sema", b"1"),
            entry("lib/b.sema", b"2"),
            entry("sema.toml", b"x"),
        ];
        let c = inspect_bytes(&gzip_bytes(&closed(ok.concat())), Limits::default()).unwrap();
        assert_eq!(c.files, ["lib/a.sema", "lib/b.sema", "sema.toml"]);
    }

    #[test]
    fn paths_are_bounded_in_length_and_depth() {
        let deep = vec!["d"; MAX_DEPTH + 1].join("/");
        let long = "l".repeat(MAX_PATH_BYTES + 1);
        for (name, why) in [(deep, "folders deep"), (long, "longer than")] {
            let mut t = raw_entry(b"././@LongLink", b'L', name.len() as u64);
            t.extend_from_slice(name.as_bytes());
            t.resize(t.len().div_ceil(512) * 512, 0);
            t.extend(entry("x", b"1"));
            t.extend(entry("sema.toml", b"x"));
            let e = inspect_bytes(&gzip_bytes(&closed(t)), Limits::default()).unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
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
        assert!(matches!(e, DomainError::TooLarge(_)), "{e}");
        let mut plain = tempfile::NamedTempFile::new().unwrap();
        plain.write_all(b"hello").unwrap();
        assert!(inspect(plain.path(), Limits::default())
            .unwrap_err()
            .to_string()
            .contains("not gzip"));
    }
}
