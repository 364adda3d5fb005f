//! Odd but valid uploads are accepted, capped where they are big, and whatever
//! they carry comes back from the API as data, never as live markup.

use std::io::Write;

use crate::common::{json as body, publish, tarball, TestApp};

fn manifest(version: &str, extra: &str) -> String {
    tarball::manifest("odd", version, extra)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_but_valid_tarballs_are_stored_capped_and_served_as_data() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("alice").await;
    let c = app.client();

    // GNU long names: a 250-character path (the `tar` crate writes a `././@LongLink`).
    let long = format!("{}/{}/file.sema", "d".repeat(120), "e".repeat(110));
    let m = manifest("1.0.0", "");
    let tgz = tarball::build(&[
        ("sema.toml", m.as_bytes()),
        (long.as_str(), b"(define x 1)"),
        (&format!("{}/README.md", "r".repeat(150)), b"deep readme"),
    ]);
    body(publish(&app, &token, "odd", "1.0.0", tgz).await, 201).await;

    // A README that is not UTF-8 and carries markup: stored lossily, rendered inert.
    let hostile = b"\xff\xfe# Title\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n[x](javascript:alert(3))\n\xc3\x28 NUL:\x00.";
    let m = manifest(
        "1.1.0",
        "keywords = [\"<b>kw</b>\"]\nrepository = \"https://example.com/\\\"><script>alert(4)</script>\"",
    );
    let m = m.replace(
        "description = \"The odd package\"",
        "description = \"<script>alert(5)</script>\"",
    );
    let tgz = tarball::build(&[
        ("sema.toml", m.as_bytes()),
        ("package.sema", b"(define x 1)"),
        ("README.md", hostile),
    ]);
    body(publish(&app, &token, "odd", "1.1.0", tgz).await, 201).await;
    let res = c
        .get(app.url("/api/v1/packages/odd/readme?version=1.1.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/json",
        "data, not a page"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let v = body(res, 200).await;
    let html = v["html"].as_str().unwrap();
    assert!(html.contains("Title"), "{html}");
    for live in ["<script", "onerror", "href=\"javascript:", "<img"] {
        assert!(!html.contains(live), "{live} in {html}");
    }
    let info = body(
        c.get(app.url("/api/v1/packages/odd")).send().await.unwrap(),
        200,
    )
    .await;
    // Stored payloads come back verbatim as JSON strings: inert data for any client.
    assert_eq!(info["package"]["description"], "<script>alert(5)</script>");
    assert_eq!(info["package"]["keywords"][0], "<b>kw</b>");

    // A 100 MB README: capped at 512 KiB, not refused (only the first part is kept).
    let m = manifest("1.2.0", "");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    {
        let mut tar = tar::Builder::new(&mut enc);
        let mut h = tar::Header::new_gnu();
        h.set_size(m.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "sema.toml", m.as_bytes()).unwrap();
        let size: u64 = 100 * 1024 * 1024;
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        let page: Vec<u8> = b"All work and no play makes a README a very long file.\n"
            .iter()
            .copied()
            .cycle()
            .take(64 * 1024)
            .collect();
        struct Pages {
            page: Vec<u8>,
            left: u64,
        }
        impl std::io::Read for Pages {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.page.len()).min(self.left as usize);
                buf[..n].copy_from_slice(&self.page[..n]);
                self.left -= n as u64;
                Ok(n)
            }
        }
        tar.append_data(&mut h, "README.md", Pages { page, left: size })
            .unwrap();
        tar.finish().unwrap();
    }
    enc.flush().unwrap();
    let tgz = enc.finish().unwrap();
    assert!(tgz.len() < 2 * 1024 * 1024, "{}", tgz.len());
    body(publish(&app, &token, "odd", "1.2.0", tgz).await, 201).await;
    let len = app
        .sql_count("SELECT length(readme) FROM versions WHERE version = '1.2.0'")
        .await;
    assert!(
        (500 * 1024..=512 * 1024).contains(&len),
        "stored README is {len} bytes"
    );
    let v = body(
        c.get(app.url("/api/v1/packages/odd/readme?version=1.2.0"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(v["html"].as_str().unwrap().contains("very long file"));
    assert_eq!(app.sql_count("SELECT count(*) FROM versions").await, 3);
    assert_eq!(app.blob_count(), 3);
}
