//! `/api/v1/packages/{name}…`
mod activity;
mod download;
mod owners;
mod publish;
mod show;
mod yank;
