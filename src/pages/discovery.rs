//! Feeds and discovery: Atom feeds of releases and deprecations (all, and per package),
//! `sitemap.xml` (an index of `/sitemaps/{n}.xml` past 50,000 URLs) and `robots.txt`.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::{AppError, AppResult};
use crate::reads::Reads;
use crate::registry::{analyses, deprecations, listing, packages};
use crate::state::AppState;

/// The sitemap protocol's limit of URLs per file.
pub const SITEMAP_MAX: i64 = 50_000;
/// `/` and `/search` open the first file; each file stays within the limit.
const STATIC_URLS: &[&str] = &["/", "/search"];
const PER_FILE: i64 = SITEMAP_MAX - STATIC_URLS.len() as i64;

fn base(state: &AppState) -> String {
    state.config.base_url.trim_end_matches('/').to_string()
}

struct Entry {
    title: String,
    url: String,
    updated: String,
    summary: String,
    author: String,
    /// The release added capabilities: which ("shell, process").
    adds: Option<String>,
    /// A deprecation (`deprecated`) or its undoing (`undeprecated`), not a release.
    category: Option<&'static str>,
    /// For merging releases and deprecations newest first.
    at: chrono::DateTime<chrono::Utc>,
}

/// How many entries a feed holds.
const FEED_MAX: i64 = 50;

#[derive(Template)]
#[template(path = "feeds/atom.xml")]
struct Atom {
    title: String,
    id: String,
    self_url: String,
    alternate: String,
    updated: String,
    entries: Vec<Entry>,
}

fn atom_response(feed: Atom) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(feed.render().map_err(AppError::internal)?))
}

/// Feed entries; releases that added capabilities say so in the title and summary.
async fn entries(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    releases: Vec<listing::Release>,
) -> AppResult<Vec<Entry>> {
    let pairs: Vec<(String, String)> = releases
        .iter()
        .map(|r| (r.name.clone(), r.version.clone()))
        .collect();
    let added = analyses::added_caps(conn, &pairs).await?;
    Ok(releases
        .into_iter()
        .map(|r| {
            let adds = added
                .get(&(r.name.clone(), r.version.clone()))
                .map(|c| c.join(", "));
            let (title, summary) = match &adds {
                Some(a) => (
                    format!("{} {} (adds {a})", r.name, r.version),
                    format!("Adds capabilities: {a}. {}", r.description),
                ),
                None => (format!("{} {}", r.name, r.version), r.description.clone()),
            };
            Entry {
                title: xml_text(&title),
                url: format!("{base}/packages/{}/{}", r.name, r.version),
                updated: r.published_at.to_rfc3339(),
                summary: xml_text(&summary),
                author: xml_text(&r.published_by.unwrap_or_else(|| "sema-pkg".into())),
                adds,
                category: None,
                at: r.published_at,
            }
        })
        .collect())
}

/// A feed's entries: releases and deprecations (of every package, or of
/// one), newest first; a deprecation tells a package's users to move on.
async fn feed_entries(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    package_id: Option<i64>,
) -> AppResult<Vec<Entry>> {
    let releases = listing::releases(conn, package_id, FEED_MAX).await?;
    let mut all = entries(conn, base, releases).await?;
    let changes = deprecations::changes(conn, package_id, FEED_MAX).await?;
    all.extend(changes.into_iter().map(|c| deprecation_entry(base, c)));
    all.sort_by_key(|e| std::cmp::Reverse(e.at));
    all.truncate(FEED_MAX as usize);
    Ok(all)
}

fn deprecation_entry(base: &str, c: deprecations::Change) -> Entry {
    let deprecated = c.action == "package.deprecate";
    let (title, summary, category) = if deprecated {
        let message = c.message.unwrap_or_default();
        (format!("{} is deprecated", c.name), message, "deprecated")
    } else {
        let summary = "Its owners undid the deprecation.".to_string();
        (
            format!("{} is no longer deprecated", c.name),
            summary,
            "undeprecated",
        )
    };
    Entry {
        title: xml_text(&title),
        // The page is the link; the audit row's id keeps each entry's id unique.
        url: format!("{base}/packages/{}#deprecation-{}", c.name, c.id),
        updated: c.at.to_rfc3339(),
        summary: xml_text(&summary),
        author: xml_text(&c.actor.unwrap_or_else(|| "sema-pkg".into())),
        adds: None,
        category: Some(category),
        at: c.at,
    }
}

/// Text XML 1.0 can carry, whatever is stored: escaping cannot make a control
/// character legal, so each becomes U+FFFD. (Publishing refuses them now;
/// rows from before may hold some.)
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

pub async fn releases(state: web::Data<AppState>, reads: Reads) -> AppResult<HttpResponse> {
    let mut conn = reads.conn().await?;
    let base = base(&state);
    let entries = feed_entries(&mut conn, &base, None).await?;
    atom_response(Atom {
        title: "New Sema package releases".into(),
        id: format!("{base}/feeds/releases.xml"),
        self_url: format!("{base}/feeds/releases.xml"),
        alternate: format!("{base}/"),
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| chrono::Utc::now().to_rfc3339()),
        entries,
    })
}

pub async fn package(
    state: web::Data<AppState>,
    reads: Reads,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = reads.conn().await?;
    let pkg = packages::find(&mut conn, &name).await?;
    let base = base(&state);
    let entries = feed_entries(&mut conn, &base, Some(pkg.id)).await?;
    atom_response(Atom {
        title: format!("{} releases", pkg.name),
        id: format!("{base}/packages/{}/feed", pkg.name),
        self_url: format!("{base}/packages/{}/feed", pkg.name),
        alternate: format!("{base}/packages/{}", pkg.name),
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| pkg.updated_at.to_rfc3339()),
        entries,
    })
}

#[derive(Template)]
#[template(path = "feeds/urlset.xml")]
struct UrlSet {
    urls: Vec<(String, Option<String>)>,
}

#[derive(Template)]
#[template(path = "feeds/sitemap_index.xml")]
struct SitemapIndex {
    files: Vec<String>,
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

async fn package_count(reads: &Reads) -> AppResult<i64> {
    let mut conn = reads.conn().await?;
    Ok(listing::counts(&mut conn).await?.packages)
}

/// One file when everything fits, else an index of numbered files.
pub async fn sitemap(state: web::Data<AppState>, reads: Reads) -> AppResult<HttpResponse> {
    let packages = package_count(&reads).await?;
    if packages <= PER_FILE {
        return sitemap_file(&state, &reads, 1).await;
    }
    let base = base(&state);
    let files = (1..=(packages + PER_FILE - 1) / PER_FILE)
        .map(|n| format!("{base}/sitemaps/{n}.xml"))
        .collect();
    Ok(xml(SitemapIndex { files }
        .render()
        .map_err(AppError::internal)?))
}

pub async fn sitemap_part(
    state: web::Data<AppState>,
    reads: Reads,
    n: web::Path<String>,
) -> AppResult<HttpResponse> {
    let n: i64 = n
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| AppError::not_found("no such sitemap"))?;
    let packages = package_count(&reads).await?;
    if (n - 1) * PER_FILE >= packages.max(1) {
        return Err(AppError::not_found("no such sitemap"));
    }
    sitemap_file(&state, &reads, n).await
}

async fn sitemap_file(state: &AppState, reads: &Reads, n: i64) -> AppResult<HttpResponse> {
    let base = base(state);
    let mut conn = reads.conn().await?;
    let mut urls: Vec<(String, Option<String>)> = Vec::new();
    if n == 1 {
        urls.extend(STATIC_URLS.iter().map(|p| (format!("{base}{p}"), None)));
    }
    for (name, updated) in listing::sitemap_page(&mut conn, (n - 1) * PER_FILE, PER_FILE).await? {
        urls.push((
            format!("{base}/packages/{name}"),
            Some(updated.format("%Y-%m-%d").to_string()),
        ));
    }
    Ok(xml(UrlSet { urls }.render().map_err(AppError::internal)?))
}

pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\nAllow: /\nDisallow: /account\nDisallow: /login\nDisallow: /auth/\nDisallow: /api/\n\nSitemap: {}/sitemap.xml\n",
            base(&state)
        ))
}
