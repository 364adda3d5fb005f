//! `/healthz` (the process is up) and `/readyz` (Postgres and the blob store answer).

use actix_web::{web, HttpResponse};
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = async {
        let mut conn = state.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        anyhow::Ok(())
    };
    let timeout = std::time::Duration::from_secs(5);
    let db_ok = matches!(tokio::time::timeout(timeout, db).await, Ok(Ok(())));
    let blobs_ok = state.storage.check_cached(timeout).await;
    let mut down = vec![];
    if !db_ok {
        down.push("database");
    }
    if !blobs_ok {
        down.push("blob store");
    }
    if down.is_empty() {
        HttpResponse::Ok().json(json!({ "ok": true, "database": "up", "blob_store": "up" }))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "error": format!("not ready: {} down", down.join(" and ")),
            "database": if db_ok { "up" } else { "down" },
            "blob_store": if blobs_ok { "up" } else { "down" },
        }))
    }
}
