//! Private mode (`REGISTRY_ACCESS=private`): one guard in front of every
//! route. Anonymous API calls get a JSON 401 and pages a redirect to sign-in;
//! health checks (for load balancers) and signing in itself stay open.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web, HttpResponse, ResponseError,
};

use crate::error::AppError;
use crate::state::AppState;

/// What anyone may reach in private mode: health checks, the sign-in and
/// account-creation forms and calls (creation itself obeys `REGISTRATION`),
/// GitHub sign-in, and the static assets those pages load.
pub fn is_open(method: &Method, path: &str) -> bool {
    let post = method == Method::POST;
    matches!(path, "/healthz" | "/readyz" | "/login")
        || path.starts_with("/static/")
        || path.starts_with("/auth/github")
        || (post
            && matches!(
                path,
                "/register"
                    | "/logout"
                    | "/api/v1/auth/login"
                    | "/api/v1/auth/register"
                    | "/api/v1/auth/logout"
            ))
}

/// The refusal's message; search says why `sema pkg search` cannot pass.
pub fn refusal_message(path: &str) -> String {
    let mut m = String::from(
        "this registry is private: sign in, or send an API token of this registry (Authorization: Bearer …; `sema pkg login` stores one)",
    );
    if matches!(path, "/api/v1/search" | "/api/v1/packages") {
        m.push_str(". The sema CLI never sends its token on search, so `sema pkg search` cannot search a private registry: search on this registry's web pages, or call /api/v1/search with a token");
    }
    m
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState")
        .clone();
    if !state.config.private
        || is_open(req.method(), req.path())
        || super::extract::signed_in(req.request(), &state).await?
    {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let res = if req.path().starts_with("/api/") {
        AppError::unauthorized(refusal_message(req.path())).error_response()
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login"))
            .finish()
    };
    Ok(req.into_response(res).map_into_right_body())
}
