//! The upstream registry as the rest of the app sees it (implemented by
//! `mirror`, which only `lib.rs` names, so the mirror stays out of module cycles).

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::error::AppResult;

pub trait Upstream: Send + Sync {
    /// The upstream's base URL.
    fn url(&self) -> &str;
    /// Makes what this registry holds under `name` current: mirrors it if
    /// upstream has it and it is neither a local package nor claimed.
    fn resolve<'a>(&'a self, name: &'a str) -> BoxFuture<'a, AppResult<()>>;
    /// Fetches, checks and stores a mirrored version's tarball if it is not stored yet.
    fn ensure_tarball<'a>(
        &'a self,
        name: &'a str,
        version: &'a str,
        checksum: &'a str,
    ) -> BoxFuture<'a, AppResult<()>>;
    /// Mirrors upstream's first hits for a search query (best effort), so a
    /// local search returns local and mirrored packages together.
    fn discover<'a>(&'a self, q: &'a str) -> BoxFuture<'a, ()>;
    /// How long upstream took to answer a cheap read (for `doctor`), or why it did not.
    fn ping(&self) -> BoxFuture<'_, Result<Duration, String>>;
}
