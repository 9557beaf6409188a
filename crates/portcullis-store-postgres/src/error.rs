//! From sqlx errors to `StoreError`.

use portcullis_store::StoreError;

/// Maps a unique-constraint violation to `Conflict`, a database out of reach to `Unavailable`,
/// anything else to `Backend`.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &err
        && e.is_unique_violation()
    {
        // PostgreSQL names the violated constraint (`users_email_key`, `refresh_tokens_pkey`).
        let what = e.constraint().unwrap_or("a unique column");
        return StoreError::Conflict(format!("duplicate value for {what}"));
    }
    if unreachable(&err) {
        return StoreError::Unavailable(Box::new(err));
    }
    StoreError::backend(err)
}

/// Errors that say the database could not be reached, rather than that it refused a statement.
fn unreachable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}
