//! `GET /api/v1/search` (and `GET /api/v1/packages?q=`): the CLI's `sema pkg search`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{de, Deserialize, Deserializer, Serialize};

use crate::error::{AppResult, ErrorBody};
use crate::reads::Reads;
use crate::registry::search::{self, Request, SearchParams};
use crate::state::AppState;

/// The query string of the API's search: the search's parameters, with the
/// numbers and the sort checked as the document types them (the web form is
/// laxer: an empty `page` there means the first).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find; `keyword:x`, `owner:x` and `ns:x` filter. Cut at 512 characters.
    q: Option<String>,
    /// From 1; past the 1000th result a page is empty.
    #[param(value_type = Option<i64>, minimum = 1)]
    #[serde(default, deserialize_with = "integer")]
    page: Option<String>,
    /// Results per page, 20 by default; values outside 1-100 are clamped to it.
    #[param(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "integer")]
    per_page: Option<String>,
    /// `relevance` with `q`, else `downloads`, by default.
    #[param(value_type = Option<SortName>, inline)]
    #[serde(default, deserialize_with = "sort_name")]
    sort: Option<String>,
    /// Same as `keyword:x` in `q`.
    keyword: Option<String>,
    /// Same as `owner:x` in `q`.
    owner: Option<String>,
    /// Same as `ns:x` in `q`.
    ns: Option<String>,
}

impl From<SearchQuery> for SearchParams {
    fn from(q: SearchQuery) -> SearchParams {
        SearchParams {
            q: q.q,
            page: q.page,
            per_page: q.per_page,
            sort: q.sort,
            keyword: q.keyword,
            owner: q.owner,
            ns: q.ns,
        }
    }
}

/// The sort names, as the document lists them (`domain::search_query::Sort`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = Sort)]
pub enum SortName {
    Relevance,
    Downloads,
    RecentDownloads,
    Updated,
    New,
    Name,
}

/// One page of search results, as sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub packages: Vec<Hit>,
    /// Matches, counted up to 1000; always an integer.
    pub total: i64,
    /// More than 1000 packages match; only the first are served.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
}

/// One package in the results.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub name: String,
    pub description: String,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub recent_downloads: i64,
    pub keywords: Vec<String>,
    pub updated_at: DateTime<Utc>,
    pub exact_match: bool,
    /// The upstream registry a mirrored package comes from; null for a local one.
    pub mirrored_from: Option<String>,
    /// Its owners deprecated it (`GET /api/v1/packages/{name}` says why);
    /// it ranks after the packages that match as well.
    pub deprecated: bool,
}

impl From<search::SearchResults> for SearchResults {
    fn from(r: search::SearchResults) -> SearchResults {
        SearchResults {
            packages: r.packages.into_iter().map(Hit::from).collect(),
            total: r.total,
            total_capped: r.total_capped,
            page: r.page,
            per_page: r.per_page,
        }
    }
}

impl From<search::Hit> for Hit {
    fn from(h: search::Hit) -> Hit {
        Hit {
            name: h.name,
            description: h.description,
            latest_version: h.latest_version,
            downloads: h.downloads,
            recent_downloads: h.recent_downloads,
            keywords: h.keywords,
            updated_at: h.updated_at,
            exact_match: h.exact_match,
            mirrored_from: h.mirrored_from,
            deprecated: h.deprecated,
        }
    }
}

/// A 64-bit integer literal (`format: int64`), kept as text.
fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    match s.parse::<i64>() {
        Ok(n) if !s.starts_with('+') => Ok(Some(n.to_string())),
        _ => Err(de::Error::custom(format!("{s:?} is not a 64-bit integer"))),
    }
}

/// One of the sort names exactly, kept as text.
fn sort_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    if let Some(name) = &s {
        SortName::deserialize(de::value::StrDeserializer::<D::Error>::new(name))?;
    }
    Ok(s)
}

/// Full-text search; without `q`, every package by downloads.
#[utoipa::path(
    get, path = "/api/v1/search", operation_id = "search_search", tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of results", body = SearchResults),
        (status = 400, description = "Unknown sort, or a bad page or per_page", body = ErrorBody),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    reads: Reads,
    q: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    if let (Some(m), Some(text)) = (&state.mirror, &q.q) {
        m.discover(text).await;
    }
    let mut conn = reads.conn().await?;
    let request = Request::parse(&SearchParams::from(q.into_inner()))?;
    let found = search::search(&mut conn, &request).await?;
    Ok(HttpResponse::Ok().json(SearchResults::from(found)))
}

/// The same search at the packages collection's address.
#[utoipa::path(
    get, path = "/api/v1/packages", operation_id = "search_packages", tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of results", body = SearchResults),
        (status = 400, description = "Unknown sort, or a bad page or per_page", body = ErrorBody),
    )
)]
pub async fn packages(
    state: web::Data<AppState>,
    reads: Reads,
    q: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    search(state, reads, q).await
}
