//! Crafting tarballs for tests, including ones the `tar` crate refuses to write.

use std::io::Write;

pub use sema_pkg::domain::tarball::build;

pub fn manifest(name: &str, version: &str, extra: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"The {name} package\"\nentrypoint = \"package.sema\"\n{extra}\n[deps]\n")
}

/// A valid package: sema.toml, package.sema, README.md.
pub fn package(name: &str, version: &str) -> Vec<u8> {
    package_with(name, version, "", "(define (hello) \"hi\")")
}

pub fn package_with(name: &str, version: &str, extra_manifest: &str, code: &str) -> Vec<u8> {
    let m = manifest(name, version, extra_manifest);
    build(&[
        ("sema.toml", m.as_bytes()),
        ("package.sema", code.as_bytes()),
        (
            "README.md",
            format!("# {name}\n\nVersion {version}.").as_bytes(),
        ),
    ])
}

/// A package whose manifest is exactly `toml`.
pub fn with_manifest(toml: &str) -> Vec<u8> {
    build(&[
        ("sema.toml", toml.as_bytes()),
        ("package.sema", b"(define x 1)"),
    ])
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One raw tar entry: a GNU header written by hand, so any name and type can be made.
pub fn raw_entry(name: &str, kind: u8, data: &[u8], link: &str) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..265].copy_from_slice(b"ustar  \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// A tarball of raw entries (plus the closing zero blocks), gzipped.
pub fn raw(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut t: Vec<u8> = entries.concat();
    t.extend_from_slice(&[0u8; 1024]);
    gzip(&t)
}
