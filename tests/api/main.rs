//! HTTP tests of the JSON API, one module per route, on a real Postgres.
#[path = "../common/mod.rs"]
mod common;
mod health;
mod hostile;
mod metrics;
mod openapi;
mod private;
#[path = "../common/proxy.rs"]
mod proxy;
mod v1;
