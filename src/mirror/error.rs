//! How a mirror operation fails.

/// How a mirror operation failed; cheap to clone, so one result serves a whole herd.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MirrorError {
    #[error("upstream did not answer in time")]
    Timeout,
    #[error("upstream is unreachable: {0}")]
    Unreachable(String),
    #[error("{0}")]
    BadUpstream(String),
    #[error("not found upstream")]
    NotFound,
    #[error("{0}")]
    Checksum(String),
    /// Postgres, the blob store or a temporary file failed here.
    #[error("{0}")]
    Local(String),
}
