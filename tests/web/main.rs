//! HTTP tests of the web pages and their htmx fragments, one module per route.
mod account;
mod admin;
mod api;
mod auth;
mod browse;
mod capabilities;
#[path = "../common/mod.rs"]
mod common;
mod deprecation;
mod discovery;
mod login;
mod packages;
mod pages;
mod webhooks;

/// The value of the first `name="csrf_token"` field on a page.
pub fn csrf_of(html: &str) -> String {
    let needle = "name=\"csrf_token\" value=\"";
    let at = html.find(needle).expect("a csrf field") + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The CSRF token of the page at `path`, as the browser `b` sees it.
pub async fn csrf_at(app: &common::TestApp, b: &reqwest::Client, path: &str) -> String {
    csrf_of(
        &b.get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
}
