/// What can go wrong in a storage operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// A unique value (an email, a client id, an API identifier…) is already taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A single-use value (authorization code, refresh token) was already used. Carries the grant
    /// it belongs to, so the caller can revoke everything issued from it (RFC 6749 §4.1.2,
    /// RFC 9700 §4.14.2).
    #[error("already consumed")]
    AlreadyConsumed { grant_id: String },
    /// The backend failed (I/O, connection, corrupt row…). The detail is for logs only.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(err))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
