//! Accounts, sessions, API tokens, CSRF and sign-in throttling.

pub mod accounts;
pub mod csrf;
pub mod extract;
pub mod github;
pub mod session_store;
pub mod throttle;
pub mod tokens;

pub use extract::{Authed, MaybeUser};
