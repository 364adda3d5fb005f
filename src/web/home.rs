//! `/`: the front page.

use actix_session::Session;
use actix_web::HttpResponse;
use askama::Template;

use super::{html, Layout};
use crate::auth::MaybeUser;
use crate::error::AppResult;

#[derive(Template)]
#[template(path = "home/page.html")]
struct Page {
    layout: Layout,
}

pub async fn page(session: Session, user: MaybeUser) -> AppResult<HttpResponse> {
    html(&Page {
        layout: Layout::new(&session, user.0.as_ref()),
    })
}
