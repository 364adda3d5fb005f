//! What the domain's rules refuse, without saying how a transport shows it:
//! `src/error.rs` maps each kind to its HTTP status in one place.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Malformed input: a name, a version, a tarball, a token scope (400).
    #[error("{0}")]
    Invalid(String),
    /// Larger than the registry allows (413).
    #[error("{0}")]
    TooLarge(String),
    /// Well-formed but not acceptable: a manifest that contradicts the upload (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The machine failed (reading a spooled upload): not the client's fault (500).
    #[error("{0}")]
    Io(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(m: impl Into<String>) -> Self {
        DomainError::Invalid(m.into())
    }
}
