//! `/users/{username}`: a user's packages.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::view::{self, PackageItem};
use super::{page, Layout, Meta};
use crate::auth::MaybeUser;
use crate::error::AppResult;
use crate::registry::{listing, packages};

#[derive(Template)]
#[template(path = "user/page.html")]
struct Page {
    username: String,
    joined: String,
    items: Vec<PackageItem>,
}

pub async fn show(
    req: HttpRequest,
    session: Session,
    user: MaybeUser,
    username: web::Path<String>,
) -> AppResult<HttpResponse> {
    let mut conn = crate::reads::Reads::of(&req).conn().await?;
    let found = packages::find_user(&mut conn, &username).await?;
    let items: Vec<PackageItem> = listing::owned_by(&mut conn, found.id)
        .await?
        .into_iter()
        .map(PackageItem::from)
        .collect();
    let meta = Meta::new(
        found.username.clone(),
        format!(
            "Sema packages by {}: {} package{}.",
            found.username,
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
    );
    page(
        &req,
        &Layout::new(&session, user.0.as_ref()),
        &meta,
        &Page {
            joined: view::date(&found.created_at),
            username: found.username,
            items,
        },
    )
}
