//! The pure rules of the registry: package names and versions, manifests,
//! tarballs, READMEs, search queries, API token scopes, deprecation messages and webhook rules (events, targets, signatures, retries). Plain Rust over values: no
//! database, no HTTP, no OpenAPI; refusals are a [`DomainError`], mapped to
//! HTTP once, in `src/error.rs`.

pub mod deprecation;
pub mod error;
pub mod manifest;
pub mod names;
pub mod readme;
pub mod search_query;
pub mod tarball;
pub mod token;
pub mod webhook;

pub use error::{DomainError, DomainResult};
