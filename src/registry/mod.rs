//! The registry over Postgres and the blob store: publish, packages, owners,
//! invitations, deprecations, webhooks and their outbox, listings and search queries. No HTTP in here; the pure rules
//! (names, manifests, tarballs, READMEs) are in `domain`.

pub mod admin_listing;
pub mod analyses;
pub mod deprecations;
pub mod invitations;
pub mod listing;
pub mod namespaces;
pub mod packages;
pub mod publish;
pub mod search;
pub mod tokens;
pub mod upstream;
pub mod users;
pub mod webhooks;
