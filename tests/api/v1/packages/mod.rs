//! `/api/v1/packages/{name}…`
mod activity;
mod analysis;
mod deprecate;
mod download;
pub mod mirror;
mod owners;
mod publish;
mod show;
mod webhooks;
mod yank;
