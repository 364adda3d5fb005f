//! Static files (`/static`): read once at start-up, each served at a versioned
//! URL (`/static/app.3f9a0c1d2e.js`, the hash of its bytes) with a year of
//! immutable caching, and compressed once with brotli and gzip so no request
//! pays for compression. Pages name files through [`url`]. The plain name
//! (`/static/app.js`) still answers, revalidated, for anything that links to it.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use sha2::{Digest, Sha256};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unversioned names may change with a deploy, so caches ask again.
const REVALIDATE: &str = "public, max-age=0, must-revalidate";

pub struct Asset {
    content_type: &'static str,
    etag: String,
    raw: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
}

#[derive(Default)]
pub struct Assets {
    /// Keyed by the plain and the versioned path (`app.js`, `app.<hash>.js`);
    /// the flag says which.
    files: HashMap<String, (std::sync::Arc<Asset>, bool)>,
    /// Plain path → versioned path.
    versioned: HashMap<String, String>,
}

static ASSETS: OnceLock<Assets> = OnceLock::new();

/// Loads `dir` the first time; later calls (one per worker) reuse it.
pub fn init(dir: &Path) -> &'static Assets {
    ASSETS.get_or_init(|| {
        Assets::load(dir).unwrap_or_else(|e| {
            tracing::error!("static files in {} not loaded: {e}", dir.display());
            Assets::default()
        })
    })
}

/// The URL pages use for a static file: versioned when it was loaded.
pub fn url(name: &str) -> String {
    match ASSETS.get().and_then(|a| a.versioned.get(name)) {
        Some(v) => format!("/static/{v}"),
        None => format!("/static/{name}"),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `fonts/a.woff2` + hash → `fonts/a.<hash>.woff2`.
fn versioned_name(path: &str, hash: &str) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{hash}.{ext}"),
        _ => format!("{path}.{hash}"),
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/") || content_type == "image/svg+xml"
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data)?;
    e.finish()
}

fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
    w.write_all(data)?;
    w.flush()?;
    Ok(w.into_inner())
}

/// Every file under `dir`, as paths relative to it with `/` separators.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &format!("{rel}/"), out)?;
        } else {
            out.push((rel, std::fs::read(entry.path())?));
        }
    }
    Ok(())
}

impl Assets {
    pub fn load(dir: &Path) -> std::io::Result<Assets> {
        let mut files = Vec::new();
        walk(dir, "", &mut files)?;
        // Style sheets last: their `url(…)`s are rewritten to the versioned
        // names of the files they load, so a font change changes their hash too.
        files.sort_by_key(|(p, _)| (p.ends_with(".css"), p.clone()));
        let mut assets = Assets::default();
        for (path, mut data) in files {
            if path.ends_with(".css") {
                let mut css = String::from_utf8_lossy(&data).into_owned();
                for (plain, versioned) in &assets.versioned {
                    css = css.replace(
                        &format!("url(\"{plain}\")"),
                        &format!("url(\"{versioned}\")"),
                    );
                }
                data = css.into_bytes();
            }
            let hash = hex::encode(Sha256::digest(&data));
            let hash = &hash[..10];
            let content_type = content_type(&path);
            let (gzip, br) = if compressible(content_type) {
                (Some(gzip(&data)?.into()), Some(brotli(&data)?.into()))
            } else {
                (None, None)
            };
            let asset = std::sync::Arc::new(Asset {
                content_type,
                etag: format!("\"{hash}\""),
                raw: data.into(),
                gzip,
                br,
            });
            let versioned = versioned_name(&path, hash);
            assets
                .files
                .insert(versioned.clone(), (asset.clone(), true));
            assets.files.insert(path.clone(), (asset, false));
            assets.versioned.insert(path, versioned);
        }
        Ok(assets)
    }
}

/// The encoding to send: brotli, then gzip, then none, as `Accept-Encoding` allows.
fn encoding(req: &HttpRequest) -> Option<&'static str> {
    let accept = req.headers().get(header::ACCEPT_ENCODING)?.to_str().ok()?;
    let allows = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let refused = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    ["br", "gzip"].into_iter().find(|e| allows(e))
}

/// `GET|HEAD /static/{path}`.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some((asset, versioned)) = ASSETS.get().and_then(|a| a.files.get(path.as_str())) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((
        header::CACHE_CONTROL,
        if *versioned { IMMUTABLE } else { REVALIDATE },
    ))
    .insert_header((header::ETAG, asset.etag.clone()))
    .insert_header((header::VARY, "Accept-Encoding"))
    .content_type(asset.content_type);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    if fresh {
        return res
            .status(actix_web::http::StatusCode::NOT_MODIFIED)
            .finish();
    }
    let body = match (encoding(&req), &asset.br, &asset.gzip) {
        (Some("br"), Some(b), _) => {
            res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")));
            b.clone()
        }
        (Some(_), _, Some(g)) => {
            res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            g.clone()
        }
        _ => asset.raw.clone(),
    };
    res.body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_keep_folder_and_extension() {
        assert_eq!(versioned_name("app.js", "abc"), "app.abc.js");
        assert_eq!(
            versioned_name("fonts/a.b.woff2", "abc"),
            "fonts/a.b.abc.woff2"
        );
        assert_eq!(versioned_name("LICENSE", "abc"), "LICENSE.abc");
    }

    #[test]
    fn style_sheets_name_the_versioned_fonts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fonts")).unwrap();
        std::fs::write(dir.path().join("fonts/f.woff2"), b"font").unwrap();
        std::fs::write(dir.path().join("s.css"), b"a{src:url(\"fonts/f.woff2\")}").unwrap();
        let a = Assets::load(dir.path()).unwrap();
        let font = &a.versioned["fonts/f.woff2"];
        let (css, _) = &a.files[a.versioned["s.css"].as_str()];
        assert!(String::from_utf8_lossy(&css.raw).contains(&format!("url(\"{font}\")")));
        // Fonts are compressed already; text is stored three ways.
        assert!(a.files["fonts/f.woff2"].0.br.is_none());
        assert!(css.br.is_some() && css.gzip.is_some());
    }
}
