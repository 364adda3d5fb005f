mod auth;
mod me;
mod packages;
mod search;
mod tokens;
mod unknown;
