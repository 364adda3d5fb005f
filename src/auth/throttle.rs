//! Token buckets in Postgres, shared by every instance. Each change is one
//! statement, so concurrent requests on several instances cannot overspend.

use std::net::IpAddr;

use actix_web::HttpRequest;
use diesel::sql_types::{Double, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::{ready, Either, Ready};

use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    /// What a quiet key starts with (the burst).
    pub capacity: f64,
    /// Tokens regained per second.
    pub per_second: f64,
}

/// Failed sign-ins per account: 5 at once, then one a minute.
pub const LOGIN_ACCOUNT: Bucket = Bucket {
    capacity: 5.0,
    per_second: 1.0 / 60.0,
};
/// Failed sign-ins per client IP: 20 at once, then one every 10 s.
pub const LOGIN_IP: Bucket = Bucket {
    capacity: 20.0,
    per_second: 0.1,
};
/// Account creation per client IP: 10 at once, then one a minute.
pub const REGISTER_IP: Bucket = Bucket {
    capacity: 10.0,
    per_second: 1.0 / 60.0,
};

#[derive(diesel::QueryableByName)]
struct Tokens {
    #[diesel(sql_type = Double)]
    tokens: f64,
}

fn wait_secs(missing: f64, b: Bucket) -> u64 {
    ((missing / b.per_second).ceil() as u64).max(1)
}

/// Gives back one token spent by `take` (a sign-in that succeeded).
pub async fn refund(conn: &mut AsyncPgConnection, key: &str, b: Bucket) -> AppResult<()> {
    diesel::sql_query("UPDATE rate_limits SET tokens = LEAST($2, tokens + 1) WHERE key = $1")
        .bind::<Text, _>(key)
        .bind::<Double, _>(b.capacity)
        .execute(conn)
        .await?;
    Ok(())
}

/// Spends `cost` tokens. Returns the seconds to wait when there were not enough;
/// a refused attempt still spends (down to -cost), so hammering a closed door
/// keeps it closed.
pub async fn take(
    conn: &mut AsyncPgConnection,
    key: &str,
    b: Bucket,
    cost: f64,
) -> AppResult<Option<u64>> {
    let row: Tokens = diesel::sql_query(
        "INSERT INTO rate_limits AS r (key, tokens, updated_at) VALUES ($1, $2 - $4, now())
         ON CONFLICT (key) DO UPDATE SET
           tokens = GREATEST(LEAST($2, r.tokens + EXTRACT(EPOCH FROM now() - r.updated_at)::float8 * $3) - $4, -$4),
           updated_at = now()
         RETURNING tokens",
    )
    .bind::<Text, _>(key)
    .bind::<Double, _>(b.capacity)
    .bind::<Double, _>(b.per_second)
    .bind::<Double, _>(cost)
    .get_result(conn)
    .await?;
    Ok((row.tokens < 0.0).then(|| wait_secs(-row.tokens, b)))
}

pub fn too_many(retry_after: u64, what: &str) -> AppError {
    AppError::TooManyRequests {
        message: format!("too many {what}; try again in {retry_after} seconds"),
        retry_after,
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim())
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// The write bucket of one user: a burst of a minute's allowance, refilled evenly.
pub fn writes(per_minute: u32) -> Bucket {
    Bucket {
        capacity: per_minute as f64,
        per_second: per_minute as f64 / 60.0,
    }
}

/// Middleware (`wrap_fn`) giving web pages the API's read limit. A refusal
/// is a response, so the pages' error handler renders it as the 429 page. The
/// Prometheus middleware lets `/metrics` through to the pages' scope (and
/// swaps the body), so scrapes are not counted.
pub fn limit_page_reads<S>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> Either<S::Future, Ready<Result<actix_web::dev::ServiceResponse, actix_web::Error>>>
where
    S: actix_web::dev::Service<
        actix_web::dev::ServiceRequest,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let checked = match req.path() {
        "/metrics" => Ok(()),
        _ => check_read(&req),
    };
    match checked {
        Ok(()) => Either::Left(srv.call(req)),
        Err(e) => Either::Right(ready(Ok(req.error_response(e)))),
    }
}

/// Middleware check for API reads (GET/HEAD), keyed by client address.
pub fn check_read(req: &actix_web::dev::ServiceRequest) -> AppResult<()> {
    use actix_web::http::Method;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(());
    }
    let Some(state) = req.app_data::<actix_web::web::Data<crate::state::AppState>>() else {
        return Ok(());
    };
    let Some(ip) = client_ip(req.request(), &state.config.trusted_proxies) else {
        return Ok(());
    };
    match state.reads.check(ip) {
        Some(wait) => Err(too_many(wait, "requests from this address")),
        None => Ok(()),
    }
}
