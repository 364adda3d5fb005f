//! Accounts, sessions, API tokens, CSRF and sign-in throttling.

pub mod access;
pub mod accounts;
pub mod csrf;
pub mod extract;
pub mod github_oauth;
pub mod session;
pub mod session_store;
pub mod throttle;

pub use extract::{Authed, MaybeUser};
