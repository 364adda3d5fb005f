//! `/`: search box, counts, and the most downloaded, recently updated and newest packages.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::view::{self, PackageItem};
use super::{page, Layout, Meta};
use crate::auth::MaybeUser;
use crate::error::AppResult;
use crate::registry::listing::{self, Order};

#[derive(Template)]
#[template(path = "home/page.html")]
struct Home {
    packages: String,
    versions: String,
    downloads: String,
    most_downloaded: Vec<PackageItem>,
    recently_updated: Vec<PackageItem>,
    newest: Vec<PackageItem>,
}

pub async fn show(req: HttpRequest, session: Session, user: MaybeUser) -> AppResult<HttpResponse> {
    let mut conn = crate::reads::Reads::of(&req).conn().await?;
    let counts = listing::counts(&mut conn).await?;
    let items = |v: Vec<listing::Listed>| v.into_iter().map(PackageItem::from).collect();
    let home = Home {
        packages: view::count(counts.packages),
        versions: view::count(counts.versions),
        downloads: view::count(counts.downloads),
        most_downloaded: items(listing::top(&mut conn, Order::Downloads, 8).await?),
        recently_updated: items(listing::top(&mut conn, Order::Updated, 8).await?),
        newest: items(listing::top(&mut conn, Order::Created, 8).await?),
    };
    let mut meta = Meta::new(
        "Find, install and publish Sema libraries",
        format!(
            "Find, install and publish Sema libraries: {} packages, {} versions.",
            home.packages, home.versions
        ),
    );
    meta.header_search = false;
    page(&req, &Layout::new(&session, user.0.as_ref()), &meta, &home)
}
