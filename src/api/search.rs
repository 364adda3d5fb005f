//! `GET /api/v1/search` (and `GET /api/v1/packages?q=`): the CLI's `sema pkg search`.

use actix_web::{web, HttpResponse};

use crate::error::{AppResult, ErrorBody};
use crate::registry::search::{self, SearchParams, SearchResults};
use crate::state::AppState;

/// Full-text search; without `q`, every package by downloads.
#[utoipa::path(
    get, path = "/api/v1/search", operation_id = "search_search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results", body = SearchResults),
        (status = 400, description = "Unknown sort, or a bad page or per_page", body = ErrorBody),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    q: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(search::search(&mut conn, &q.into_inner()).await?))
}

/// The same search at the packages collection's address.
#[utoipa::path(
    get, path = "/api/v1/packages", operation_id = "search_packages", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results", body = SearchResults),
        (status = 400, description = "Unknown sort, or a bad page or per_page", body = ErrorBody),
    )
)]
pub async fn packages(
    state: web::Data<AppState>,
    q: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    search(state, q).await
}
