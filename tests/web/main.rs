//! HTTP tests of the web pages and their htmx fragments, one module per route.
mod account;
mod auth;
mod browse;
#[path = "../common/mod.rs"]
mod common;
mod discovery;
mod login;
mod packages;
mod pages;

/// The value of the first `name="csrf_token"` field on a page.
pub fn csrf_of(html: &str) -> String {
    let needle = "name=\"csrf_token\" value=\"";
    let at = html.find(needle).expect("a csrf field") + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}
