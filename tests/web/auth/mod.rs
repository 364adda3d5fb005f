//! `/auth/…`
mod github;
