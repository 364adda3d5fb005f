//! The registry's domain: names, versions, manifests, tarballs, READMEs and the
//! publish/read operations over Postgres and the blob store. No HTTP in here.

pub mod listing;
pub mod manifest;
pub mod names;
pub mod packages;
pub mod publish;
pub mod readme;
pub mod search;
pub mod tarball;
