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
    /// The backend failed (a statement refused, a corrupt row…). The detail is for logs only.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached right now (connection refused or lost, no connection free
    /// in time). Nothing was changed that the caller must undo; retrying later may succeed, and
    /// the backend reconnects by itself once the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(err))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database holds a schema migration this build does not know: a newer release migrated it.
/// Running an older binary on it could misread or corrupt records, so every backend refuses to
/// open it (wrapped in [`StoreError::Backend`]).
#[derive(Debug, thiserror::Error)]
#[error(
    "the database is at schema migration {found}, newer than this Portcullis knows (up to \
     {known}): it was migrated by a newer release. Run that release (or newer), or restore a \
     backup taken before the upgrade"
)]
pub struct DatabaseTooNew {
    /// The unknown migration found in the database.
    pub found: i64,
    /// The newest migration this build carries.
    pub known: i64,
}
