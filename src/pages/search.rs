//! `/search?q=&sort=&page=`: a plain GET form; with htmx the results update as
//! you type (the fragment is `search/results.html`) and the URL follows.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::view::{self, PackageItem};
use super::{page_or_fragment, Layout, Meta};
use crate::auth::MaybeUser;
use crate::error::AppResult;
use crate::registry::search::{self, Request, SearchParams};
use crate::state::AppState;

pub const SORTS: &[(&str, &str)] = &[
    ("relevance", "Relevance"),
    ("downloads", "All-time downloads"),
    ("recent-downloads", "Recent downloads"),
    ("updated", "Recently updated"),
    ("new", "Newest"),
    ("name", "Name"),
];

#[derive(Template)]
#[template(path = "search/page.html")]
struct Page<'a> {
    q: &'a str,
    sort: &'a str,
    sorts: &'static [(&'static str, &'static str)],
    results: &'a Results,
}

#[derive(Template)]
#[template(path = "search/results.html")]
struct Results {
    q: String,
    total: String,
    total_n: i64,
    items: Vec<PackageItem>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    user: MaybeUser,
    params: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let mut p = params.into_inner();
    // An empty sort (the form's "default") means the search's own default.
    if p.sort.as_deref().is_some_and(|s| s.trim().is_empty()) {
        p.sort = None;
    }
    let q = p.q.clone().unwrap_or_default();
    let sort = p.sort.clone().unwrap_or_default();
    if let Some(m) = &state.mirror {
        m.discover(&q).await;
    }
    let mut conn = crate::reads::Reads::of(&req).conn().await?;
    let found = search::search(&mut conn, &Request::parse(&p)?).await?;
    let pages = ((found.total + found.per_page - 1) / found.per_page).max(1);
    let link = |page: i64| {
        let mut u = format!("/search?q={}", view::query(&q));
        if !sort.is_empty() {
            u.push_str(&format!("&sort={}", view::query(&sort)));
        }
        if page > 1 {
            u.push_str(&format!("&page={page}"));
        }
        u
    };
    let results = Results {
        // Counting stops at search::TOTAL_MAX: "1,000+ packages".
        total: if found.total_capped {
            format!("{}+", view::count(found.total))
        } else {
            view::count(found.total)
        },
        total_n: found.total,
        page: found.page,
        pages,
        prev: (found.page > 1).then(|| link((found.page - 1).min(pages))),
        next: (found.page < pages).then(|| link(found.page + 1)),
        items: found.packages.into_iter().map(PackageItem::from).collect(),
        q: q.clone(),
    };
    let title = if q.trim().is_empty() {
        "All packages".to_string()
    } else {
        format!("Search: {}", q.trim())
    };
    let mut meta = Meta::new(
        title,
        format!("{} Sema packages matching your search.", results.total),
    );
    meta.header_search = false;
    meta.canonical = super::canonical(&req, &link(found.page.min(pages)));
    page_or_fragment(
        &req,
        &Layout::new(&session, user.0.as_ref()),
        &meta,
        &Page {
            q: &q,
            sort: &sort,
            sorts: SORTS,
            results: &results,
        },
        &results,
    )
}
