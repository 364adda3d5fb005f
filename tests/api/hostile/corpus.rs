//! The hostile input corpus: one table, run in a loop against one app. Every
//! row states what it sends and which statuses are acceptable; every row must
//! answer in time, never 5xx, carry a JSON `{"error"}` when it refuses, and
//! leave every table and the blob store as it found them.
//!
//! Single cases already covered in `v1/packages/publish.rs` (the basic tarball
//! rules, the 300 MiB gzip bomb, 20k entries, the CLI's multipart shapes) are
//! not repeated here.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{form, snapshot};
use crate::common::{publish, tarball, TestApp};

enum Req {
    Http(Box<reqwest::RequestBuilder>),
    /// Bytes written as-is on a fresh connection (what reqwest would normalise).
    /// `half_close` shuts our side down after writing (a body that never ends).
    Raw {
        bytes: Vec<u8>,
        half_close: bool,
    },
}

struct Case {
    what: String,
    req: Req,
    /// Acceptable statuses.
    ok: &'static [u16],
    /// The HTTP parser refuses these before any handler runs (431, 400 on a
    /// malformed request line): its bodies are not ours to shape.
    json: bool,
}

const BAD: &[u16] = &[400];
const BAD_OR_404: &[u16] = &[400, 404];
const UNAUTH: &[u16] = &[401];
const FORBID: &[u16] = &[403];
const CONFLICT: &[u16] = &[409];
const TOO_LARGE: &[u16] = &[413];
const UNPROC: &[u16] = &[422];
const READ_OK: &[u16] = &[200, 400];

fn case(what: impl Into<String>, req: reqwest::RequestBuilder, ok: &'static [u16]) -> Case {
    Case {
        what: what.into(),
        req: Req::Http(Box::new(req)),
        ok,
        json: true,
    }
}

fn raw(what: impl Into<String>, bytes: Vec<u8>, ok: &'static [u16], json: bool) -> Case {
    Case {
        what: what.into(),
        req: Req::Raw {
            bytes,
            half_close: false,
        },
        ok,
        json,
    }
}

/// Sends raw bytes and reads one response: (status, body).
async fn send_raw(addr: &str, bytes: &[u8], half_close: bool) -> Result<(u16, Vec<u8>), String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    // The server may answer (and close) before it has read everything.
    let _ = s.write_all(bytes).await;
    if half_close {
        let _ = s.shutdown().await;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let chunked = head.contains("transfer-encoding: chunked");
            let body = &buf[end + 4..];
            let done = match len {
                Some(n) => body.len() >= n,
                None if chunked => find(body, b"0\r\n\r\n").is_some(),
                None => false,
            };
            if done {
                break;
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let end = find(&buf, b"\r\n\r\n").ok_or_else(|| {
        format!(
            "no response (got {:?})",
            String::from_utf8_lossy(&buf[..buf.len().min(200)])
        )
    })?;
    let status_line = String::from_utf8_lossy(&buf[..end]);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let head = status_line.to_ascii_lowercase();
    let mut body = buf[end + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = find(b, b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 || b.len() < i + 2 + n {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[(i + 4 + n).min(b.len())..];
    }
    out
}

fn request(method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut out = r.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A gzip of `n` zero bytes, streamed so the test never holds `n` bytes.
fn gzip_of_zeros(prefix: &[u8], n: u64) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(prefix).unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len() as u64) as usize;
        enc.write_all(&zeros[..k]).unwrap();
        left -= k as u64;
    }
    enc.finish().unwrap()
}

/// A raw tar header whose size field says `size` (no data follows).
fn header_claiming(name: &str, size: &str) -> Vec<u8> {
    let mut h = tarball::raw_entry(name, b'0', b"", "");
    let field = format!("{size:0>11}\0");
    h[124..136].copy_from_slice(field.as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h[..512].iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A GNU long-name entry (`././@LongLink`, type `L`) naming the next entry.
fn gnu_long_name(long: &str, kind: u8) -> Vec<u8> {
    let mut data = long.as_bytes().to_vec();
    data.push(0);
    tarball::raw_entry("././@LongLink", kind, &data, "")
}

/// A pax extended header (type `x`) with one record.
fn pax(key: &str, value: &str) -> Vec<u8> {
    let rec = |len: usize| format!("{len} {key}={value}\n");
    let mut len = rec(0).len();
    while rec(len).len() != len {
        len = rec(len).len();
    }
    tarball::raw_entry("PaxHeaders/x", b'x', rec(len).as_bytes(), "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_corpus_is_refused_cleanly_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (alice_browser, alice) = app.user_with_token("alice").await;
    let (_, bob) = app.user_with_token("bob").await;
    assert_eq!(
        publish(
            &app,
            &alice,
            "demo",
            "1.0.0",
            tarball::package("demo", "1.0.0")
        )
        .await
        .status(),
        201
    );
    let addr = app.base.trim_start_matches("http://").to_string();
    let c = app.client();
    let put = |path: &str| {
        c.put(app.url(&format!("/api/v1/packages/{path}")))
            .bearer_auth(&alice)
    };
    let pkg = |tgz: Vec<u8>| put("demo/0.1.0").multipart(form(tgz));
    let get = |path: &str| c.get(app.url(path));
    let m = tarball::manifest("demo", "0.1.0", "");
    let base = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n";
    let with_extra = |extra: &str| tarball::with_manifest(&format!("{base}{extra}"));
    let entries = |es: Vec<Vec<u8>>| {
        let mut all = vec![tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "")];
        all.extend(es);
        tarball::raw(&all)
    };
    let json_post = |path: &str, body: String| {
        c.post(app.url(path))
            .header("content-type", "application/json")
            .body(body)
    };
    let owners_post = |body: String| {
        c.post(app.url("/api/v1/packages/demo/owners"))
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .body(body)
    };
    let token_post =
        |body: serde_json::Value| alice_browser.post(app.url("/api/v1/tokens")).json(&body);
    let publish_req = |method: &str, extra_headers: &[(&str, String)], body: &[u8]| {
        let mut h = vec![("Authorization", format!("Bearer {alice}"))];
        h.extend(extra_headers.iter().cloned());
        request(method, "/api/v1/packages/demo/0.1.0", &h, body)
    };
    let good = tarball::package("demo", "0.1.0");

    let mut cases: Vec<Case> = vec![];

    // ---- names and versions (publish) ----
    for (what, path, ok) in [
        ("empty name", "/0.1.0", BAD_OR_404),
        (
            "65-char name",
            &format!("{}/0.1.0", "a".repeat(65)) as &str,
            BAD,
        ),
        (
            "65-char namespace",
            &format!("{}/x/0.1.0", "n".repeat(65)),
            BAD,
        ),
        ("4 KiB name", &format!("{}/0.1.0", "a".repeat(4096)), BAD),
        ("cyrillic look-alike", "d\u{435}mo/0.1.0", BAD),
        (
            "full-width letters",
            "\u{ff44}\u{ff45}\u{ff4d}\u{ff4f}/0.1.0",
            BAD,
        ),
        ("zero-width space", "de\u{200b}mo/0.1.0", BAD),
        ("accented", "d\u{e9}mo/0.1.0", BAD),
        ("right-to-left override", "\u{202e}omed/0.1.0", BAD),
        ("encoded dot-dot", "%2e%2e/0.1.0", BAD_OR_404),
        ("encoded slash", "a%2Fb%2Fc/0.1.0", BAD_OR_404),
        ("three segments", "a/b/c/0.1.0", BAD),
        ("empty namespace", "/x/0.1.0", BAD_OR_404),
        ("at sign", "a@b/0.1.0", BAD),
        ("npm-style scope", "@scope/pkg/0.1.0", BAD),
        ("dot", "a.b/0.1.0", BAD),
        ("git-host-like", "github.com/u/r/0.1.0", BAD),
        ("space", "a%20b/0.1.0", BAD),
        ("NUL", "a%00b/0.1.0", BAD_OR_404),
        ("percent garbage", "a%ZZ/0.1.0", BAD_OR_404),
        ("reserved word", "owners/0.1.0", BAD),
        ("reserved in namespace", "ns/download/0.1.0", BAD),
        ("reserved, other case", "ns/ReadMe/0.1.0", BAD),
        ("reserved via underscore", "ns/Yank/0.1.0", BAD),
        ("leading hyphen", "-demo/0.1.0", BAD),
        ("trailing underscore", "demo_/0.1.0", BAD),
        // `/packages/demo` is the package: it is read, not published to.
        ("version missing", "demo", &[405]),
        ("version 1.0", "demo/1.0", BAD),
        ("version 1", "demo/1", BAD),
        ("version v-prefixed", "demo/v1.0.0", BAD),
        ("version leading zero", "demo/01.0.0", BAD),
        ("pre-release leading zero", "demo/1.0.0-01", BAD),
        ("empty pre-release", "demo/1.0.0-", BAD),
        ("empty build", "demo/1.0.0+", BAD),
        ("empty pre-release part", "demo/1.0.0-alpha..1", BAD),
        ("u64 overflow", "demo/99999999999999999999.0.0", BAD),
        (
            "200-char pre-release",
            &format!("demo/1.0.0-{}", "a".repeat(200)),
            BAD,
        ),
        ("version with space", "demo/1.0.0%20", BAD),
        ("version with NUL", "demo/1.0.0%00", BAD_OR_404),
        ("unicode digits", "demo/\u{661}.0.0", BAD),
    ] {
        cases.push(case(
            format!("name/version: {what}"),
            put(path).multipart(form(good.clone())),
            ok,
        ));
    }
    cases.push(case(
        "name: canonical twin of another's package (bob, DEMO)",
        c.put(app.url("/api/v1/packages/DEMO/0.2.0"))
            .bearer_auth(&bob)
            .multipart(form(tarball::package("DEMO", "0.2.0"))),
        FORBID,
    ));
    cases.push(case(
        "name: canonical twin in another case (bob, Demo)",
        c.put(app.url("/api/v1/packages/Demo/0.2.0"))
            .bearer_auth(&bob)
            .multipart(form(tarball::package("Demo", "0.2.0"))),
        FORBID,
    ));
    cases.push(case(
        "version: build-metadata twin of 1.0.0",
        put("demo/1.0.0+evil").multipart(form(tarball::package("demo", "1.0.0+evil"))),
        CONFLICT,
    ));
    cases.push(case(
        "version: same version, other bytes",
        put("demo/1.0.0").multipart(form(tarball::package_with("demo", "1.0.0", "", "(x)"))),
        CONFLICT,
    ));
    cases.push(case(
        "version: same version through another spelling of the name",
        put("DEMO/1.0.0").multipart(form(tarball::package_with("DEMO", "1.0.0", "", "(x)"))),
        CONFLICT,
    ));
    // Literal dot segments, which any URL library would resolve away.
    for (what, path) in [
        ("literal ..", "/api/v1/packages/../0.1.0"),
        ("literal ns/..", "/api/v1/packages/ns/../0.1.0"),
        ("literal ../demo", "/api/v1/packages/../demo/0.1.0"),
        ("literal ./demo", "/api/v1/packages/./demo/0.1.0"),
        ("backslash", "/api/v1/packages/a\\b/0.1.0"),
    ] {
        let body = format!("Authorization: Bearer {alice}");
        let _ = body;
        cases.push(raw(
            format!("name (raw): {what}"),
            request(
                "PUT",
                path,
                &[
                    ("Authorization", format!("Bearer {alice}")),
                    ("Content-Length", "0".into()),
                ],
                b"",
            ),
            BAD_OR_404,
            true,
        ));
    }

    // ---- hostile reads by name/version (no state to change, never 5xx) ----
    for path in [
        "/api/v1/packages/%00",
        "/api/v1/packages/demo%00",
        &format!("/api/v1/packages/{}", "a".repeat(10_000)),
        "/api/v1/packages/d%D0%B5mo",
        "/api/v1/packages/%FF%FE",
        "/api/v1/packages/demo/1.0.0%00",
        "/api/v1/packages/demo/1.0.0%00/download",
        &format!("/api/v1/packages/demo/1.0.0-{}/download", "x".repeat(5000)),
        "/api/v1/packages/demo/readme?version=%00",
        "/api/v1/packages/demo/readme?version=1.0.0%27%3B--",
        "/api/v1/packages/demo/owners/%00",
        "/api/v1/tokens/%00",
    ] {
        let ok: &'static [u16] = if path.contains("readme?version=1.0.0%27") {
            &[404]
        } else {
            &[400, 401, 404, 405]
        };
        cases.push(case(format!("read: GET {:.60}", path), get(path), ok));
    }

    // ---- answering owner invitations that do not exist, under hostile names ----
    for path in [
        "/api/v1/me/invitations/%00/accept",
        "/api/v1/me/invitations/demo%00/decline",
        &format!("/api/v1/me/invitations/{}/accept", "a".repeat(10_000)),
        "/api/v1/me/invitations/d%D0%B5mo/accept",
        "/api/v1/me/invitations/demo/accept",
        "/api/v1/me/invitations/demo/decline",
        "/api/v1/me/invitations/a/b/c/accept",
    ] {
        let req = c
            .post(app.url(path))
            .bearer_auth(&alice)
            .header("content-type", "application/json");
        cases.push(case(
            format!("invitation: POST {:.60}", path),
            req,
            &[400, 404],
        ));
    }

    // ---- multipart ----
    let part = |b: Vec<u8>| reqwest::multipart::Part::bytes(b).file_name("package.tar.gz");
    use reqwest::multipart::Form;
    for (what, f) in [
        (
            "two metadata parts",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", "{}")
                .text("metadata", "{}"),
        ),
        (
            "metadata is an array",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", "[]"),
        ),
        (
            "metadata is null",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", "null"),
        ),
        (
            "metadata nested 100k deep",
            Form::new().part("tarball", part(good.clone())).text(
                "metadata",
                format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            ),
        ),
        (
            "metadata 1 MiB",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", format!("{{\"d\":\"{}\"}}", "x".repeat(1 << 20))),
        ),
        (
            "metadata not UTF-8",
            Form::new().part("tarball", part(good.clone())).part(
                "metadata",
                reqwest::multipart::Part::bytes(vec![0xff, 0xfe, b'{']),
            ),
        ),
        (
            "tarball part empty name",
            Form::new()
                .part("", part(good.clone()))
                .text("metadata", "{}"),
        ),
        (
            "extra part after valid ones",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", "{}")
                .text("x", "y"),
        ),
        (
            "part name 10 KiB",
            Form::new()
                .part("tarball", part(good.clone()))
                .text("metadata", "{}")
                .text("n".repeat(10_240), "y"),
        ),
    ] {
        cases.push(case(
            format!("multipart: {what}"),
            put("demo/0.1.0").multipart(f),
            BAD,
        ));
    }
    let body = |parts: &str| parts.replace('\n', "\r\n").into_bytes();
    for (what, ct, b, ok) in [
        (
            "boundary never closed",
            "multipart/form-data; boundary=XX",
            body("--XX\nContent-Disposition: form-data; name=\"metadata\"\n\n{}\n--XX\nContent-Disposition: form-data; name=\"tarball\"; filename=\"p.tgz\"\n\n\x1f"),
            BAD,
        ),
        (
            "wrong boundary",
            "multipart/form-data; boundary=YY",
            body("--XX\nContent-Disposition: form-data; name=\"metadata\"\n\n{}\n--XX--\n"),
            BAD,
        ),
        (
            "part without Content-Disposition",
            "multipart/form-data; boundary=XX",
            body("--XX\nContent-Type: text/plain\n\n{}\n--XX--\n"),
            BAD,
        ),
        (
            "empty boundary",
            "multipart/form-data; boundary=",
            body("----\n\n--\n"),
            BAD,
        ),
        (
            "8 KiB boundary",
            &format!("multipart/form-data; boundary={}", "b".repeat(8192)) as &str,
            body("x"),
            BAD,
        ),
        ("multipart/mixed", "multipart/mixed; boundary=XX", body("--XX--\n"), BAD),
        ("no content type", "", body("--XX--\n"), BAD),
        (
            "only the closing boundary",
            "multipart/form-data; boundary=XX",
            body("--XX--\n"),
            BAD,
        ),
        (
            "part header 64 KiB",
            "multipart/form-data; boundary=XX",
            body(&format!(
                "--XX\nContent-Disposition: form-data; name=\"metadata\"\nX-Junk: {}\n\n{{}}\n--XX--\n",
                "j".repeat(65536)
            )),
            BAD,
        ),
    ] {
        let mut h = vec![("Content-Length", b.len().to_string())];
        if !ct.is_empty() {
            h.push(("Content-Type", ct.to_string()));
        }
        cases.push(raw(format!("multipart (raw): {what}"), publish_req("PUT", &h, &b), ok, true));
    }
    cases.push(Case {
        what: "multipart (raw): truncated body, then the client hangs up".into(),
        req: Req::Raw {
            bytes: publish_req(
                "PUT",
                &[
                    ("Content-Type", "multipart/form-data; boundary=XX".into()),
                    ("Content-Length", "100000".into()),
                ],
                &body("--XX\nContent-Disposition: form-data; name=\"metadata\"\n\n{}\n--XX\nContent-Disposition: form-data; name=\"tarball\"; filename=\"p\"\n\n\x1f\x08"),
            ),
            half_close: true,
        },
        ok: BAD,
        json: true,
    });
    cases.push(raw(
        "multipart (raw): 10 GB Content-Length that never arrives",
        publish_req(
            "PUT",
            &[
                ("Content-Type", "multipart/form-data; boundary=XX".into()),
                ("Content-Length", "10737418240".into()),
            ],
            b"--XX\r\n",
        ),
        TOO_LARGE,
        true,
    ));
    cases.push(raw(
        "multipart (raw): Content-Length beyond u64",
        publish_req(
            "PUT",
            &[
                ("Content-Type", "multipart/form-data; boundary=XX".into()),
                ("Content-Length", "99999999999999999999999".into()),
            ],
            b"",
        ),
        BAD,
        false,
    ));
    cases.push(raw(
        "multipart (raw): Content-Length and chunked together (smuggling)",
        publish_req(
            "PUT",
            &[
                ("Content-Type", "multipart/form-data; boundary=XX".into()),
                ("Content-Length", "4".into()),
                ("Transfer-Encoding", "chunked".into()),
            ],
            b"0\r\n\r\n",
        ),
        BAD,
        false,
    ));
    cases.push(raw(
        "multipart (raw): negative Content-Length",
        publish_req(
            "PUT",
            &[
                ("Content-Type", "multipart/form-data; boundary=XX".into()),
                ("Content-Length", "-1".into()),
            ],
            b"",
        ),
        BAD,
        false,
    ));

    // ---- tarballs (beyond the basic rules in publish.rs) ----
    for (what, tgz, ok) in [
        ("zero bytes of gzip magic only", vec![0x1f, 0x8b], BAD),
        ("gzip of nothing", tarball::gzip(b""), BAD),
        ("gzip of garbage", tarball::gzip(&[0x55; 4096]), BAD),
        (
            "tar with a bad header checksum",
            {
                let mut e = tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "");
                e[148] = b'7';
                tarball::raw(&[e])
            },
            BAD,
        ),
        (
            "tar header with a non-octal size",
            {
                let mut e = tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "");
                e[124..136].copy_from_slice(b"zzzzzzzzzzz\0");
                e[148..156].copy_from_slice(b"        ");
                let sum: u32 = e[..512].iter().map(|b| *b as u32).sum();
                e[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
                tarball::raw(&[e])
            },
            BAD,
        ),
        (
            "entry claiming 8 GiB with no data",
            entries(vec![header_claiming("big", "77777777777")]),
            TOO_LARGE,
        ),
        (
            "data cut mid-entry",
            {
                let mut t = tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "");
                t.extend(header_claiming("half", "4000"));
                t.extend(vec![b'x'; 1000]);
                tarball::gzip(&t)
            },
            BAD,
        ),
        (
            "GNU long name to ../escape",
            entries(vec![
                gnu_long_name(&format!("{}/../../escape", "d".repeat(120)), b'L'),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "GNU long name to an absolute path",
            entries(vec![
                gnu_long_name(&format!("/{}/passwd", "e".repeat(120)), b'L'),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "GNU long link name on a symlink",
            entries(vec![
                gnu_long_name(&format!("/{}", "t".repeat(200)), b'K'),
                tarball::raw_entry("link", b'2', b"", "x"),
            ]),
            BAD,
        ),
        (
            "GNU long name of 4 MiB (buffered whole by the tar crate)",
            entries(vec![
                gnu_long_name(&"a".repeat(4 << 20), b'L'),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "pax record of 1 MiB",
            entries(vec![
                pax("comment", &"c".repeat(1 << 20)),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "a second gzip member with another sema.toml",
            [
                tarball::package("demo", "0.1.0"),
                tarball::with_manifest(
                    "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nentrypoint = \"../x\"",
                ),
            ]
            .concat(),
            BAD,
        ),
        (
            "README.md twice",
            entries(vec![
                tarball::raw_entry("README.md", b'0', b"# shown", ""),
                tarball::raw_entry("README.md", b'0', b"# installed", ""),
            ]),
            BAD,
        ),
        (
            "sema.toml beside Sema.toml",
            entries(vec![tarball::raw_entry("Sema.toml", b'0', b"x", "")]),
            BAD,
        ),
        (
            "one name in NFC and NFD",
            entries(vec![
                tarball::raw_entry("caf\u{e9}.sema", b'0', b"1", ""),
                tarball::raw_entry("cafe\u{301}.sema", b'0', b"2", ""),
            ]),
            BAD,
        ),
        (
            "a file and a folder of one name",
            entries(vec![
                tarball::raw_entry("lib", b'0', b"1", ""),
                tarball::raw_entry("LIB/x.sema", b'0', b"2", ""),
            ]),
            BAD,
        ),
        (
            "pax path ../escape",
            entries(vec![
                pax("path", "../../escape"),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "pax path absolute",
            entries(vec![
                pax("path", "/etc/cron.d/evil"),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            BAD,
        ),
        (
            "pax size lies upward",
            entries(vec![
                pax("size", "99999999999"),
                tarball::raw_entry("placeholder", b'0', b"x", ""),
            ]),
            &[400, 413],
        ),
        (
            "sparse file",
            entries(vec![tarball::raw_entry("sparse", b'S', b"", "")]),
            BAD,
        ),
        (
            "block device",
            entries(vec![tarball::raw_entry("sda", b'4', b"", "")]),
            BAD,
        ),
        (
            "symlink to a sibling",
            entries(vec![tarball::raw_entry("l", b'2', b"", "sema.toml")]),
            BAD,
        ),
        (
            "hardlink to ../",
            entries(vec![tarball::raw_entry("h", b'1', b"", "../../etc/passwd")]),
            BAD,
        ),
        (
            "backslash path",
            entries(vec![tarball::raw_entry("..\\..\\evil", b'0', b"x", "")]),
            BAD,
        ),
        (
            "drive-letter path",
            entries(vec![tarball::raw_entry("C:evil", b'0', b"x", "")]),
            BAD,
        ),
        (
            "non-UTF-8 entry name",
            entries(vec![{
                let mut e = tarball::raw_entry("xx", b'0', b"x", "");
                e[0] = 0xff;
                e[1] = 0xfe;
                e[148..156].copy_from_slice(b"        ");
                let sum: u32 = e[..512].iter().map(|b| *b as u32).sum();
                e[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
                e
            }]),
            BAD,
        ),
        (
            "sema.toml twice",
            entries(vec![tarball::raw_entry(
                "./sema.toml",
                b'0',
                m.as_bytes(),
                "",
            )]),
            BAD,
        ),
        (
            "sema.toml not UTF-8",
            tarball::build(&[("sema.toml", &[0xff, 0xfe, 0x00])]),
            BAD,
        ),
        (
            "sema.toml 300 KiB",
            tarball::build(&[(
                "sema.toml",
                format!("{m}#{}", "x".repeat(300 * 1024)).as_bytes(),
            )]),
            BAD,
        ),
        (
            "sema.toml is a directory",
            tarball::raw(&[tarball::raw_entry("sema.toml/", b'5', b"", "")]),
            BAD,
        ),
        (
            "only directories",
            tarball::raw(&[tarball::raw_entry("a/", b'5', b"", "")]),
            BAD,
        ),
        (
            "name case differs from URL",
            tarball::with_manifest("[package]\nname = \"Demo\"\nversion = \"0.1.0\""),
            UNPROC,
        ),
        (
            "version with build metadata differs",
            tarball::with_manifest("[package]\nname = \"demo\"\nversion = \"0.1.0+x\""),
            UNPROC,
        ),
        (
            "name is a table",
            tarball::with_manifest("[package]\nversion = \"0.1.0\"\n[package.name]\nx = 1"),
            UNPROC,
        ),
        (
            "[package] is an array",
            tarball::with_manifest("package = [1]"),
            UNPROC,
        ),
        (
            "dep value is a table",
            with_extra("[deps]\njson = { version = \"1.0.0\" }"),
            UNPROC,
        ),
        (
            "dep on itself",
            with_extra("[deps]\nDEMO = \"1.0.0\""),
            UNPROC,
        ),
        (
            "dep name invalid",
            with_extra("[deps]\n\"a@b\" = \"1.0.0\""),
            UNPROC,
        ),
        (
            "dep req is a range",
            with_extra("[deps]\njson = \">=1\""),
            UNPROC,
        ),
        (
            "git dep without ref",
            with_extra("[deps]\n\"github.com/u/r\" = \"\""),
            UNPROC,
        ),
        (
            "[deps] is a string",
            tarball::with_manifest(&format!("deps = \"x\"\n{base}")),
            UNPROC,
        ),
        (
            "description with NUL escape",
            with_extra("description = \"a\\u0000b\""),
            UNPROC,
        ),
        (
            "keyword with NUL escape",
            with_extra("keywords = [\"a\\u0000\"]"),
            UNPROC,
        ),
        (
            "git dep ref with NUL escape",
            with_extra("[deps]\n\"github.com/u/r\" = \"main\\u0000\""),
            UNPROC,
        ),
        (
            "author with NUL escape",
            with_extra("authors = [\"\\u0000\"]"),
            UNPROC,
        ),
        (
            "300 deps",
            with_extra(&format!(
                "[deps]\n{}",
                (0..300)
                    .map(|i| format!("d{i} = \"1.0.0\"\n"))
                    .collect::<String>()
            )),
            UNPROC,
        ),
        (
            "entrypoint backslash traversal",
            with_extra("entrypoint = \"a\\\\..\\\\..\\\\b\""),
            UNPROC,
        ),
        (
            "entrypoint drive letter",
            with_extra("entrypoint = \"C:/x.sema\""),
            UNPROC,
        ),
        (
            "entrypoint NUL",
            with_extra("entrypoint = \"a\\u0000b\""),
            UNPROC,
        ),
        (
            "entrypoint not a string",
            with_extra("entrypoint = 1"),
            UNPROC,
        ),
        (
            "repository javascript:",
            with_extra("repository = \"javascript:alert(1)\""),
            UNPROC,
        ),
        (
            "homepage data:",
            with_extra("homepage = \"data:text/html,<script>alert(1)</script>\""),
            UNPROC,
        ),
        (
            "11 keywords",
            with_extra(
                "keywords = [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]",
            ),
            UNPROC,
        ),
        (
            "keyword 33 chars",
            with_extra(&format!("keywords = [\"{}\"]", "k".repeat(33))),
            UNPROC,
        ),
        (
            "keywords not strings",
            with_extra("keywords = [1, 2]"),
            UNPROC,
        ),
        (
            "description 1001 chars",
            with_extra(&format!("description = \"{}\"", "d".repeat(1001))),
            UNPROC,
        ),
        (
            "license 129 chars",
            with_extra(&format!("license = \"{}\"", "l".repeat(129))),
            UNPROC,
        ),
        (
            "sema_version_req not a string",
            with_extra("sema_version_req = [\">=1\"]"),
            UNPROC,
        ),
        (
            "TOML nested 10k deep",
            tarball::with_manifest(&format!(
                "{base}x = {}{}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            )),
            UNPROC,
        ),
        (
            "TOML inline tables 10k deep",
            tarball::with_manifest(&format!(
                "{base}x = {}{}",
                "{a=".repeat(10_000),
                "}".repeat(10_000)
            )),
            UNPROC,
        ),
    ] {
        cases.push(case(format!("tarball: {what}"), pkg(tgz), ok));
    }
    // The bombs, once each: small uploads that inflate far past the limits.
    cases.push(case(
        "tarball: gzip bomb after the end-of-archive (5 MB upload, 1 GiB inflated)",
        pkg(gzip_of_zeros(
            &tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "")[..],
            1 << 30,
        )),
        &[400, 413],
    ));
    let mut bomb = vec![tarball::raw_entry("sema.toml", b'0', m.as_bytes(), "")];
    let empty = tarball::raw_entry("f", b'0', b"", "");
    for i in 0..100_000u32 {
        let mut e = empty.clone();
        let name = format!("f{i}");
        e[..name.len()].copy_from_slice(name.as_bytes());
        e[148..156].copy_from_slice(b"        ");
        let sum: u32 = e[..512].iter().map(|b| *b as u32).sum();
        e[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        bomb.push(e);
    }
    cases.push(case(
        "tarball: tar bomb (100k entries)",
        pkg(tarball::raw(&bomb)),
        BAD,
    ));
    drop(bomb);

    // ---- JSON bodies ----
    for (what, path, body, ok) in [
        ("register: invalid JSON", "/api/v1/auth/register", "{".to_string(), BAD),
        ("register: wrong types", "/api/v1/auth/register", json!({"username": 1, "email": [], "password": {}}).to_string(), BAD),
        ("register: array", "/api/v1/auth/register", "[]".into(), BAD),
        ("register: null", "/api/v1/auth/register", "null".into(), BAD),
        ("register: nested 100k deep", "/api/v1/auth/register", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)), &[400, 413]),
        ("register: 1 MiB", "/api/v1/auth/register", json!({"username": "x".repeat(1 << 20), "email": "a@b.c", "password": "p"}).to_string(), TOO_LARGE),
        ("register: NUL in username", "/api/v1/auth/register", json!({"username": "eve\u{0}", "email": "e@example.com", "password": "correct-horse"}).to_string(), BAD),
        ("register: username with markup", "/api/v1/auth/register", json!({"username": "<script>", "email": "e@example.com", "password": "correct-horse"}).to_string(), BAD),
        ("register: unicode look-alike of alice", "/api/v1/auth/register", json!({"username": "\u{430}lice", "email": "e@example.com", "password": "correct-horse"}).to_string(), BAD),
        ("register: Alice (case twin)", "/api/v1/auth/register", json!({"username": "Alice", "email": "e@example.com", "password": "correct-horse"}).to_string(), CONFLICT),
        ("register: email with CRLF", "/api/v1/auth/register", json!({"username": "eve", "email": "e@x.com\r\nBcc: all@x.com", "password": "correct-horse"}).to_string(), BAD),
        ("register: 300-char password", "/api/v1/auth/register", json!({"username": "eve", "email": "e@example.com", "password": "p".repeat(300)}).to_string(), BAD),
        ("register: invalid UTF-8", "/api/v1/auth/register", String::from_utf8_lossy(b"{\"username\":\"\xff\"}").into_owned(), BAD),
        ("login: wrong types", "/api/v1/auth/login", json!({"username": true, "password": 1}).to_string(), BAD),
        ("login: 10 KiB password", "/api/v1/auth/login", json!({"username": "alice", "password": "p".repeat(10_240)}).to_string(), UNAUTH),
        ("login: NUL username", "/api/v1/auth/login", json!({"username": "\u{0}", "password": "correct-horse"}).to_string(), &[400, 401]),
        ("login: SQL in username", "/api/v1/auth/login", json!({"username": "' OR 1=1 --", "password": "x"}).to_string(), UNAUTH),
    ] {
        cases.push(case(format!("json: {what}"), json_post(path, body), ok));
    }
    cases.push(case(
        "json: register with text/plain",
        c.post(app.url("/api/v1/auth/register"))
            .header("content-type", "text/plain")
            .body(
                json!({"username": "eve", "email": "e@example.com", "password": "correct-horse"})
                    .to_string(),
            ),
        &[415],
    ));
    for (what, body) in [
        ("owners: wrong field", json!({"user": "bob"}).to_string()),
        (
            "owners: username null",
            json!({"username": null}).to_string(),
        ),
        ("owners: invalid JSON", "{\"username\":".to_string()),
        (
            "owners: nested 100k deep",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
    ] {
        cases.push(case(
            format!("json: {what}"),
            owners_post(body),
            &[400, 413],
        ));
    }
    for (what, body) in [
        ("owners: unknown user", json!({"username": "nobody"})),
        ("owners: empty username", json!({"username": ""})),
        (
            "owners: 10k-char username",
            json!({"username": "u".repeat(10_000)}),
        ),
        ("owners: NUL username", json!({"username": "bo\u{0}b"})),
    ] {
        cases.push(case(
            format!("json: {what}"),
            owners_post(body.to_string()),
            BAD_OR_404,
        ));
    }
    for (what, body) in [
        ("tokens: empty name", json!({"name": ""})),
        ("tokens: 65-char name", json!({"name": "n".repeat(65)})),
        ("tokens: name of spaces", json!({"name": "   "})),
        (
            "tokens: unknown scope",
            json!({"name": "t", "scopes": ["root"]}),
        ),
        (
            "tokens: scopes not a list",
            json!({"name": "t", "scopes": "publish-new"}),
        ),
        ("tokens: no scopes", json!({"name": "t", "scopes": []})),
        (
            "tokens: 21 patterns",
            json!({"name": "t", "packages": (0..21).map(|i| format!("p{i}")).collect::<Vec<_>>()}),
        ),
        (
            "tokens: pattern with ..",
            json!({"name": "t", "packages": ["../x"]}),
        ),
        (
            "tokens: pattern a*b",
            json!({"name": "t", "packages": ["a*b"]}),
        ),
        (
            "tokens: expires 0 days",
            json!({"name": "t", "expires_in_days": 0}),
        ),
        (
            "tokens: expires -1 days",
            json!({"name": "t", "expires_in_days": -1}),
        ),
        (
            "tokens: expires 1e20 days",
            json!({"name": "t", "expires_in_days": 1e20}),
        ),
        (
            "tokens: expires i64::MAX days",
            json!({"name": "t", "expires_in_days": i64::MAX}),
        ),
        ("tokens: name NUL", json!({"name": "a\u{0}b"})),
    ] {
        cases.push(case(format!("json: {what}"), token_post(body), BAD));
    }

    // ---- headers ----
    let me = || get("/api/v1/me");
    for (what, value) in [
        ("no scheme", alice.clone()),
        ("empty bearer", "Bearer ".to_string()),
        ("bearer, no space", format!("Bearer{alice}")),
        (
            "basic auth",
            "Basic YWxpY2U6Y29ycmVjdC1ob3JzZQ==".to_string(),
        ),
        ("wrong prefix", "Bearer sema_tok_abcdef".to_string()),
        (
            "10 KiB token",
            format!("Bearer sema_pat_{}", "A".repeat(10_240)),
        ),
        ("token plus junk", format!("Bearer {alice} extra")),
        ("token with a NUL-like escape", format!("Bearer {alice}%00")),
        ("prefix only", "Bearer sema_pat_".to_string()),
        ("SQL", "Bearer sema_pat_' OR '1'='1".to_string()),
    ] {
        cases.push(case(
            format!("header: Authorization {what}"),
            me().header("authorization", value),
            UNAUTH,
        ));
    }
    cases.push(case(
        "header: two Authorization headers (bob's token twice, mangled)",
        me().header("authorization", "Bearer x")
            .header("authorization", "Bearer y"),
        UNAUTH,
    ));
    cases.push(case(
        "header: forged session cookie",
        me().header(
            "cookie",
            "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        UNAUTH,
    ));
    cases.push(case(
        "header: 4 KiB session cookie",
        me().header("cookie", format!("session={}", "Z".repeat(4096))),
        UNAUTH,
    ));
    cases.push(case(
        "header: 500 cookies",
        me().header(
            "cookie",
            (0..500)
                .map(|i| format!("c{i}=v{i}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        UNAUTH,
    ));
    cases.push(case(
        "header: 50 session cookies",
        me().header("cookie", vec!["session=x"; 50].join("; ")),
        UNAUTH,
    ));
    cases.push(case(
        "header: X-Forwarded-For garbage on login",
        json_post(
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "wrong-pass"}).to_string(),
        )
        .header("x-forwarded-for", "not-an-ip, 999.1.1.1, ::::"),
        UNAUTH,
    ));
    cases.push(raw(
        "header (raw): Authorization not UTF-8",
        request(
            "GET",
            "/api/v1/me",
            &[(
                "Authorization",
                String::from_utf8_lossy(b"Bearer sema_pat_\xff\xfe").into_owned(),
            )],
            b"",
        ),
        UNAUTH,
        true,
    ));
    cases.push(raw(
        "header (raw): one 64 KiB header",
        request(
            "GET",
            "/api/v1/me",
            &[("X-Big", "h".repeat(64 * 1024))],
            b"",
        ),
        &[400, 401, 413, 431],
        false,
    ));
    cases.push(raw(
        "header (raw): 200 headers",
        request(
            "GET",
            "/api/v1/me",
            &(0..200)
                .map(|_| ("X-H", "v".to_string()))
                .collect::<Vec<_>>(),
            b"",
        ),
        &[400, 413, 431],
        false,
    ));
    cases.push(raw(
        "header (raw): request line 64 KiB",
        request(
            "GET",
            &format!("/api/v1/packages/{}", "a".repeat(64 * 1024)),
            &[],
            b"",
        ),
        &[400, 404, 414, 431],
        false,
    ));

    // ---- query strings ----
    for q in [
        "page=-1",
        "page=0",
        "per_page=1000000000",
        "per_page=-5",
        "page=9223372036854775807",
        "page=9223372036854775807&per_page=100",
        "page=99999999999999999999",
        "page=1e3",
        "page=%00",
        "sort=%27%3B%20DROP%20TABLE%20packages%3B--",
        "q=%00",
        "q=%FF%FE",
        "q=a%00b&sort=name",
        "q=%27%20OR%201%3D1--",
        "q=%5C",
        "q=%25%25%25_",
        "q=keyword%3A%00",
        "q=owner%3A%27",
        "q=ns%3A%FF",
        "q=a&q=b",
    ] {
        cases.push(case(
            format!("query: /search?{q}"),
            get(&format!("/api/v1/search?{q}")),
            READ_OK,
        ));
    }
    cases.push(case(
        "query: 10,000-character q",
        get(&format!("/api/v1/search?q={}", "a".repeat(10_000))),
        READ_OK,
    ));
    cases.push(case(
        "query: 10,000 words",
        get(&format!("/api/v1/search?q={}", "ab+".repeat(10_000))),
        READ_OK,
    ));
    cases.push(case(
        "query: /packages?q= with 1000 filters",
        get(&format!("/api/v1/packages?q={}", "keyword:x+".repeat(1000))),
        READ_OK,
    ));

    assert!(cases.len() >= 100, "the corpus has {} cases", cases.len());
    eprintln!("hostile corpus: {} cases", cases.len());
    let mut failures = vec![];
    let mut before = snapshot(&app).await;
    for Case {
        what,
        req,
        ok,
        json,
    } in cases
    {
        let started = std::time::Instant::now();
        let outcome = match req {
            Req::Http(rb) => match rb.timeout(Duration::from_secs(20)).send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    Ok((
                        status,
                        res.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
                    ))
                }
                Err(e) => Err(format!("{e:?}")),
            },
            Req::Raw { bytes, half_close } => {
                match tokio::time::timeout(
                    Duration::from_secs(20),
                    send_raw(&addr, &bytes, half_close),
                )
                .await
                {
                    Ok(r) => r,
                    Err(_) => Err("no answer within 20 s".into()),
                }
            }
        };
        let after = snapshot(&app).await;
        let mut problems = vec![];
        match &outcome {
            Err(e) => problems.push(format!("no response: {e}")),
            Ok((status, body)) => {
                if !ok.contains(status) {
                    problems.push(format!(
                        "status {status}, expected one of {ok:?}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    ));
                }
                if *status >= 400 && json {
                    let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
                    if !v.as_ref().is_some_and(|v| v["error"].is_string()) {
                        problems.push(format!(
                            "no JSON error: {:?}",
                            String::from_utf8_lossy(&body[..body.len().min(300)])
                        ));
                    }
                }
            }
        }
        if after != before {
            problems.push(format!("state changed: {before:?} -> {after:?}"));
            before = after;
        }
        if started.elapsed() > Duration::from_secs(15) {
            problems.push(format!("took {:?}", started.elapsed()));
        }
        if !problems.is_empty() {
            failures.push(format!("{what}: {}", problems.join("; ")));
        }
    }
    // The app still serves after all of it.
    assert_eq!(
        get("/api/v1/packages/demo").send().await.unwrap().status(),
        200
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
