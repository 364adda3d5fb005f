//! `GET /api/v1/search` (and `GET /api/v1/packages?q=`): the CLI's `sema pkg search`.

use actix_web::{web, HttpResponse};

use crate::error::AppResult;
use crate::registry::search::{self, SearchParams};
use crate::state::AppState;

pub async fn search(
    state: web::Data<AppState>,
    q: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(search::search(&mut conn, &q.into_inner()).await?))
}
