//! Lag-tolerant reads in handlers: `Reads` picks the replica or the primary
//! per request, and `remember_writes` marks a client that just wrote so it
//! reads its own write (see `db::reads` for how a writer is remembered).

use std::future::{ready, Ready};

use actix_web::{
    body::MessageBody,
    cookie::{Cookie, SameSite},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web, FromRequest, HttpRequest,
};
use diesel_async::AsyncPgConnection;

use crate::db::reads::{client_key, unix_now, COOKIE};
use crate::db::replica::{Replica, Served};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Middleware: a successful write marks its client fresh for the window
/// (pages also get the cookie). Without a replica it does nothing.
pub async fn remember_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let routing = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.replica.clone());
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let (Some(routing), true) = (routing, write) else {
        return next.call(req).await;
    };
    let who = client_key(req.request());
    let page = !req.path().starts_with("/api/");
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.secure_cookies());
    let mut res = next.call(req).await?;
    // A refused write changed nothing.
    if res.status().as_u16() < 400 {
        if let Some(who) = who {
            routing.remember(who);
        }
        if page {
            let window = routing.replica.window();
            let until = unix_now() + window.as_secs();
            let cookie = Cookie::build(COOKIE, routing.sign(until))
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .max_age(actix_web::cookie::time::Duration::seconds(
                    window.as_secs() as i64
                ))
                .finish();
            res.response_mut().add_cookie(&cookie)?;
        }
    }
    Ok(res)
}

/// A lag-tolerant read's database: the replica or the primary (see the module notes).
pub struct Reads {
    state: web::Data<AppState>,
    replica: bool,
}

impl Reads {
    pub fn of(req: &HttpRequest) -> Reads {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState")
            .clone();
        let replica = state
            .replica
            .as_ref()
            .is_some_and(|r| r.replica.usable() && !r.wrote_recently(req));
        Reads { state, replica }
    }

    fn replica(&self) -> Option<&Replica> {
        self.state
            .replica
            .as_ref()
            .filter(|_| self.replica)
            .map(|r| &r.replica)
    }

    async fn primary(&self) -> AppResult<Conn> {
        if let Some(r) = &self.state.replica {
            r.replica.count(Served::Primary);
        }
        Ok(self.state.pool.get().await?)
    }

    /// A connection; the primary when the replica's pool cannot give one.
    pub async fn conn(&self) -> AppResult<Conn> {
        if let Some(r) = self.replica() {
            match r.pool.get().await {
                Ok(c) => {
                    r.count(Served::Replica);
                    return Ok(c);
                }
                Err(e) => r.mark_down(&e),
            }
        }
        self.primary().await
    }

    /// Runs `read`, on the replica when it may; a miss (404) or a failure
    /// there is asked again of the primary, which may hold a newer write or
    /// be reachable when the replica is not.
    pub async fn run<T>(
        &self,
        mut read: impl AsyncFnMut(&mut AsyncPgConnection) -> AppResult<T>,
    ) -> AppResult<T> {
        if let Some(r) = self.replica() {
            match r.pool.get().await {
                Ok(mut c) => {
                    r.count(Served::Replica);
                    match read(&mut *c).await {
                        Err(
                            AppError::NotFound(_)
                            | AppError::Unavailable(_)
                            | AppError::Internal(_),
                        ) => {}
                        done => return done,
                    }
                }
                Err(e) => r.mark_down(&e),
            }
        }
        read(&mut *self.primary().await?).await
    }
}

impl FromRequest for Reads {
    type Error = AppError;
    type Future = Ready<AppResult<Reads>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Reads::of(req)))
    }
}
