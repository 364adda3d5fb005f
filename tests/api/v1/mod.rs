mod analyze;
mod auth;
mod me;
mod packages;
mod rate_limits;
mod search;
mod tokens;
mod unknown;
